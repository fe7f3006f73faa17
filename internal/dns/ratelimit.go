package dns

import (
	"cmp"
	"net/netip"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
)

// RateLimiter is response-rate limiting as BIND does it: it counts *identical* UDP
// responses sent to one client network, so that the server is of no use for reflection
// attacks with spoofed sources, while a resolver farm asking for many names is not held back.
// Two responses are identical when they go to the same network and are of the same kind
// for the same name and type; all NXDOMAINs of a zone count as one name (the zone's), and
// all errors as one, so that random names cannot dodge the limit. Over the limit, every
// Slip-th response goes out empty and truncated, telling a real client to retry over TCP,
// where the source cannot be spoofed; the others are dropped.
type RateLimiter struct {
	RateLimits
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	mu       sync.Mutex
	accounts map[accountKey]*account
}

// RateLimits are a RateLimiter's settings, as BIND's rate-limit clause names them.
type RateLimits struct {
	// ResponsesPerSecond limits answers and empty answers (NODATA) per name and type;
	// NXDomainsPerSecond limits NXDOMAINs per zone; ErrorsPerSecond limits errors (REFUSED,
	// SERVFAIL, FORMERR, ...). Zero leaves that kind unlimited.
	ResponsesPerSecond, NXDomainsPerSecond, ErrorsPerSecond float64
	// Window is how many seconds of excess a network must pay back before it is answered
	// again: an account falls to at most -rate×Window. Below one second it counts as one.
	Window time.Duration
	// Slip sends one truncated response for this many limited ones; 0 drops them all.
	Slip int
	// IPv4PrefixLen and IPv6PrefixLen group clients into networks; 24 and 56 when zero.
	IPv4PrefixLen, IPv6PrefixLen int
	// Exempt networks are never limited (a site's own resolvers, monitoring).
	Exempt []netip.Prefix
}

// DefaultRateLimits are the limits the embedded server ships with: 20 identical responses
// a second to one /24 or /56, 15 s of window, every second limited response truncated.
// Resolvers cache answers for their TTL, so a farm behind one network asks for one name
// far less often; a reflection flood asks for the same name without end.
func DefaultRateLimits() RateLimits {
	return RateLimits{ResponsesPerSecond: 20, NXDomainsPerSecond: 20, ErrorsPerSecond: 20,
		Window: 15 * time.Second, Slip: 2, IPv4PrefixLen: 24, IPv6PrefixLen: 56}
}

// responseKind is the kind of a response, as RRL tells them apart.
type responseKind uint8

const (
	kindAnswer responseKind = iota
	kindNXDomain
	kindError
)

type accountKey struct {
	network netip.Prefix
	kind    responseKind
	qtype   uint16
	name    string
}

type account struct {
	balance float64
	last    time.Time
	slip    int
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

// maxAccounts bounds the limiter's memory; accounts back in credit are swept when it is reached.
const maxAccounts = 100000

// Check debits the account of a response about to go to addr and says whether to send it.
func (l *RateLimiter) Check(addr netip.Addr, resp *mdns.Msg) Verdict {
	if l == nil {
		return Send
	}
	key, rate := l.classify(addr, resp)
	if rate <= 0 {
		return Send
	}
	for _, p := range l.Exempt {
		if p.Contains(addr.Unmap()) {
			return Send
		}
	}
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.accounts == nil {
		l.accounts = map[accountKey]*account{}
	}
	a := l.accounts[key]
	if a == nil {
		if len(l.accounts) >= maxAccounts {
			l.sweep(now)
		}
		a = &account{balance: rate, last: now}
		l.accounts[key] = a
	}
	a.balance = min(rate, a.balance+now.Sub(a.last).Seconds()*rate) - 1
	a.balance = max(a.balance, -rate*max(1, l.Window.Seconds()))
	a.last = now
	if a.balance >= 0 {
		return Send
	}
	if l.Slip > 0 {
		a.slip++
		if a.slip%l.Slip == 0 {
			return Truncate
		}
	}
	return Drop
}

// classify names the account a response is debited from, and that account's rate.
func (l *RateLimiter) classify(addr netip.Addr, resp *mdns.Msg) (accountKey, float64) {
	key := accountKey{network: l.network(addr)}
	switch {
	case resp.Rcode == mdns.RcodeNameError:
		key.kind, key.name = kindNXDomain, soaOwner(resp)
	case resp.Rcode != mdns.RcodeSuccess || len(resp.Question) != 1:
		key.kind = kindError
	default:
		key.kind, key.qtype, key.name = kindAnswer, resp.Question[0].Qtype, strings.ToLower(resp.Question[0].Name)
	}
	return key, l.rate(key.kind)
}

// soaOwner is the zone named by a negative answer's SOA, or "" without one.
func soaOwner(resp *mdns.Msg) string {
	for _, rr := range resp.Ns {
		if soa, ok := rr.(*mdns.SOA); ok {
			return strings.ToLower(soa.Hdr.Name)
		}
	}
	return ""
}

// sweep forgets the accounts back in full credit: they hold nothing worth keeping.
func (l *RateLimiter) sweep(now time.Time) {
	for k, a := range l.accounts {
		if a.balance+now.Sub(a.last).Seconds()*l.rate(k.kind) >= l.rate(k.kind) {
			delete(l.accounts, k)
		}
	}
}

func (l *RateLimiter) rate(kind responseKind) float64 {
	switch kind {
	case kindNXDomain:
		return l.NXDomainsPerSecond
	case kindError:
		return l.ErrorsPerSecond
	}
	return l.ResponsesPerSecond
}

// network is the client network of addr: its /24 or /56 unless the prefix lengths are set.
func (l *RateLimiter) network(addr netip.Addr) netip.Prefix {
	addr = addr.Unmap()
	bits := cmp.Or(l.IPv4PrefixLen, 24)
	if addr.Is6() {
		bits = cmp.Or(l.IPv6PrefixLen, 56)
	}
	p, _ := addr.Prefix(bits)
	return p
}
