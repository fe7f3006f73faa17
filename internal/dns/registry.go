package dns

import (
	"net/netip"
	"slices"
	"sync"

	mdns "github.com/miekg/dns"
)

// Registry gathers the hosts that several owners (GlobalIngresses) publish, builds a zone per
// origin from them, and hands every new set of zones to Publish. Each change bumps the serials.
type Registry struct {
	// Origins are served even without hosts, e.g. navarkos.local.
	Origins []string
	// NSAddrs are the addresses of the zones' name server, ns1.<origin>, as glue.
	NSAddrs []netip.Addr
	// Serial starts the SOA serials; a restart should start above the last one, e.g. at the Unix time.
	Serial uint32
	// Publish receives the zones after every change.
	Publish func([]*Zone)

	mu     sync.Mutex
	owners map[string]ownerHosts
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
	r.owners[owner] = ownerHosts{origin: mdns.CanonicalName(origin), hosts: canon}
	r.publish()
}

// Remove drops what an owner published.
func (r *Registry) Remove(owner string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.owners[owner]; !ok {
		return
	}
	delete(r.owners, owner)
	r.publish()
}

// Zones builds the current zones.
func (r *Registry) Zones() []*Zone {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.zones()
}

func (r *Registry) publish() {
	r.Serial++
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
		ns := "ns1." + origin
		z := &Zone{
			Origin: origin, Serial: r.Serial, NS: []string{ns}, Admin: "hostmaster." + origin,
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
			if _, taken := z.Hosts[name]; !taken {
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
