package loopbacklb

import (
	"fmt"
	"net/netip"
	"testing"
)

func TestAllocatorGivesDistinctStableAddresses(t *testing.T) {
	var a Allocator
	seen := map[netip.Addr]string{}
	for i := range 2000 {
		owner := fmt.Sprintf("c%d/Service/shop/web", i)
		addr, ok := a.Assign(owner, netip.Addr{})
		if !ok || !pool.Contains(addr) || !usable(addr) {
			t.Fatalf("%s got %v", owner, addr)
		}
		if prev, dup := seen[addr]; dup {
			t.Fatalf("%s and %s share %s", prev, owner, addr)
		}
		seen[addr] = owner
		if again, _ := a.Assign(owner, netip.Addr{}); again != addr {
			t.Fatalf("%s moved from %s to %s", owner, addr, again)
		}
	}
	// The address a status shows is kept when free, and not when another owner has it. The
	// probe address is the first free one from 127.1.77.77 on, whatever the hash used.
	free := netip.MustParseAddr("127.1.77.77")
	for _, used := seen[free]; used || !usable(free); _, used = seen[free] {
		free = free.Next()
	}
	if !pool.Contains(free) {
		t.Fatalf("no free address in the pool from 127.1.77.77 on")
	}
	if kept, _ := a.Assign("x/Service/a/b", free); kept != free {
		t.Fatalf("a free address in the status was not kept: %s", kept)
	}
	if other, _ := a.Assign("y/Service/a/b", free); other == free {
		t.Fatal("two owners got the same address")
	}
	if outside, _ := a.Assign("z/Service/a/b", netip.MustParseAddr("10.0.0.1")); !pool.Contains(outside) {
		t.Fatalf("an address outside the pool was kept: %s", outside)
	}
	// A released address is free again.
	a.ReleaseExcept("x/", nil)
	if got, _ := a.Assign("w/Service/a/b", free); got != free {
		t.Fatalf("the released %s was not free again: got %s", free, got)
	}
}
