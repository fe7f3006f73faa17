package dns

import (
	"net/netip"
	"reflect"
	"slices"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
)

// Registry gathers the hosts that several owners (GlobalIngresses) publish, builds a zone per
// origin from them, and hands every new set of zones to Publish. Only a change of a zone's
// contents bumps its serial, to the later of the next number and the Unix time, so that
// serials never go backwards across restarts and secondaries are notified only of changes.
type Registry struct {
	// Origins are served even without hosts, e.g. navarkos.local.
	Origins []string
	// NSAddrs are the addresses of the zones' name server, ns1.<origin>, as glue.
	NSAddrs []netip.Addr
	// Serial is the serial of zones that have not changed since the start; 0 means the Unix
	// time of the first publication.
	Serial uint32
	// Publish receives the zones after every change.
	Publish func([]*Zone)
	// Now is the clock of the serials; nil means the system's.
	Now func() time.Time

	mu      sync.Mutex
	owners  map[string]ownerHosts
	serials map[string]uint32
}

type ownerHosts struct {
	origin string
	hosts  map[string]Host
}

// Set replaces what an owner publishes in a zone.
func (r *Registry) Set(owner, origin string, hosts map[string]Host) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.owners == nil {
		r.owners = map[string]ownerHosts{}
	}
	canon := map[string]Host{}
	for name, h := range hosts {
		canon[mdns.CanonicalName(name)] = h
	}
	entry := ownerHosts{origin: mdns.CanonicalName(origin), hosts: canon}
	old, had := r.owners[owner]
	if had && reflect.DeepEqual(old, entry) {
		return // nothing changed: no new serial, no NOTIFY
	}
	r.owners[owner] = entry
	if had && old.origin != entry.origin {
		r.bump(old.origin)
	}
	r.bump(entry.origin)
	r.publish()
}

// Remove drops what an owner published.
func (r *Registry) Remove(owner string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old, ok := r.owners[owner]
	if !ok {
		return
	}
	delete(r.owners, owner)
	r.bump(old.origin)
	r.publish()
}

// bump gives the origin a new serial.
func (r *Registry) bump(origin string) {
	if r.serials == nil {
		r.serials = map[string]uint32{}
	}
	r.serials[origin] = max(r.serialOf(origin)+1, r.unixNow())
}

// serialOf is the origin's current serial.
func (r *Registry) serialOf(origin string) uint32 {
	if s, ok := r.serials[origin]; ok {
		return s
	}
	if r.Serial == 0 {
		r.Serial = r.unixNow()
	}
	return r.Serial
}

func (r *Registry) unixNow() uint32 {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	return uint32(now().Unix())
}

// nameServer is the name of a served zone's name server, which the NSAddrs answer for.
func nameServer(origin string) string { return "ns1." + origin }

// Reserved reports whether name is a served zone's own (its apex or its name server), which
// no owner may publish: the zone's NS records point there.
func (r *Registry) Reserved(name string) bool {
	name = mdns.CanonicalName(name)
	return slices.ContainsFunc(r.Origins, func(o string) bool {
		o = mdns.CanonicalName(o)
		return name == o || name == nameServer(o)
	})
}

// Zones builds the current zones.
func (r *Registry) Zones() []*Zone {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.zones()
}

func (r *Registry) publish() {
	if r.Publish != nil {
		r.Publish(r.zones())
	}
}

func (r *Registry) zones() []*Zone {
	byOrigin := map[string]*Zone{}
	zone := func(origin string) *Zone {
		if z, ok := byOrigin[origin]; ok {
			return z
		}
		ns := nameServer(origin)
		z := &Zone{
			Origin: origin, Serial: r.serialOf(origin), NS: []string{ns}, Admin: "hostmaster." + origin,
			TTL: 60, NegativeTTL: 5, Hosts: map[string]Host{}, Glue: map[string][]netip.Addr{ns: r.NSAddrs},
		}
		byOrigin[origin] = z
		return z
	}
	for _, o := range r.Origins {
		zone(mdns.CanonicalName(o))
	}
	owners := make([]string, 0, len(r.owners))
	for o := range r.owners {
		owners = append(owners, o)
	}
	slices.Sort(owners) // two owners of one host: the first by name wins, the same every time
	for _, o := range owners {
		oh := r.owners[o]
		z := zone(oh.origin)
		for name, h := range oh.hosts {
			if _, taken := z.Hosts[name]; !taken && !z.Reserved(name) {
				z.Hosts[name] = h
			}
		}
	}
	out := make([]*Zone, 0, len(byOrigin))
	for _, z := range byOrigin {
		out = append(out, z)
	}
	slices.SortFunc(out, func(a, b *Zone) int {
		if a.Origin < b.Origin {
			return -1
		}
		return 1
	})
	return out
}
