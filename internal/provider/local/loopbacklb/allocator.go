package loopbacklb

import (
	"hash/fnv"
	"net/netip"
	"strings"
	"sync"
)

// pool is the range addresses come from: 127.1.0.0/16 without its first and last address.
var pool = netip.MustParsePrefix("127.1.0.0/16")

const poolSize = 1 << 16

// Allocator hands out distinct loopback addresses to owners ("cluster/kind/namespace/name").
// An owner's address is drawn from a hash of its name, so that it tends to get the same one
// after a restart, and probes forward past taken ones.
type Allocator struct {
	mu      sync.Mutex
	byOwner map[string]netip.Addr
	byAddr  map[netip.Addr]string
}

// Assign returns the owner's address. want, when valid, free and in the pool, is kept: it is
// the address the object's status already shows.
func (a *Allocator) Assign(owner string, want netip.Addr) (netip.Addr, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.byOwner == nil {
		a.byOwner, a.byAddr = map[string]netip.Addr{}, map[netip.Addr]string{}
	}
	if got, ok := a.byOwner[owner]; ok {
		return got, true
	}
	if want.IsValid() && usable(want) {
		if _, taken := a.byAddr[want]; !taken {
			a.take(owner, want)
			return want, true
		}
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(owner))
	start := h.Sum32() % poolSize
	for i := range uint32(poolSize) {
		addr := nth((start + i) % poolSize)
		if _, taken := a.byAddr[addr]; usable(addr) && !taken {
			a.take(owner, addr)
			return addr, true
		}
	}
	return netip.Addr{}, false
}

// ReleaseExcept frees the addresses of the owners under prefix that keep does not list.
func (a *Allocator) ReleaseExcept(prefix string, keep map[string]bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for owner, addr := range a.byOwner {
		if strings.HasPrefix(owner, prefix) && !keep[owner] {
			delete(a.byOwner, owner)
			delete(a.byAddr, addr)
		}
	}
}

func (a *Allocator) take(owner string, addr netip.Addr) {
	a.byOwner[owner] = addr
	a.byAddr[addr] = owner
}

func nth(i uint32) netip.Addr {
	b := pool.Addr().As4()
	return netip.AddrFrom4([4]byte{b[0], b[1], byte(i >> 8), byte(i)})
}

// usable excludes the pool's network and broadcast-like ends.
func usable(addr netip.Addr) bool {
	if !pool.Contains(addr) {
		return false
	}
	b := addr.As4()
	return !(b[2] == 0 && b[3] == 0) && !(b[2] == 255 && b[3] == 255)
}
