package dns

import (
	"net/netip"
	"sync"
	"time"
)

// RateLimiter limits the UDP responses sent to each client network, so that the server is
// no use for reflection attacks with spoofed sources (response-rate limiting). Over the
// limit, every Slip-th response goes out truncated, telling a real client to retry over TCP,
// where the source cannot be spoofed; the others are dropped.
type RateLimiter struct {
	// PerSecond and Burst size each network's token bucket.
	PerSecond, Burst float64
	// Slip sends one truncated response for this many limited ones; 0 drops them all.
	Slip int
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	mu      sync.Mutex
	buckets map[netip.Prefix]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
	slip   int
}

// Verdict is what to do with one response.
type Verdict int

const (
	// Send the response.
	Send Verdict = iota
	// Truncate sends an empty truncated response instead.
	Truncate
	// Drop sends nothing.
	Drop
)

// maxBuckets bounds the limiter's memory; idle buckets are swept when it is reached.
const maxBuckets = 100000

// Check takes a token for a response to addr and says whether to send it.
func (l *RateLimiter) Check(addr netip.Addr) Verdict {
	if l == nil || l.PerSecond <= 0 {
		return Send
	}
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	key := clientNetwork(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[netip.Prefix]*bucket{}
	}
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			l.sweep(now)
		}
		b = &bucket{tokens: l.Burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.Burst, b.tokens+now.Sub(b.last).Seconds()*l.PerSecond)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return Send
	}
	if l.Slip > 0 {
		b.slip++
		if b.slip%l.Slip == 0 {
			return Truncate
		}
	}
	return Drop
}

// sweep forgets the buckets that have refilled: they hold nothing worth keeping.
func (l *RateLimiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.PerSecond >= l.Burst {
			delete(l.buckets, k)
		}
	}
}

// clientNetwork groups clients as resolvers are grouped: IPv4 by /24, IPv6 by /56.
func clientNetwork(addr netip.Addr) netip.Prefix {
	addr = addr.Unmap()
	bits := 24
	if addr.Is6() {
		bits = 56
	}
	p, _ := addr.Prefix(bits)
	return p
}
