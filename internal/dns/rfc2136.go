package dns

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
)

// ownerMarker starts the TXT record that marks a name as Navarkos's in an external zone.
const ownerMarker = "heritage=navarkos,owner="

// ErrNotOwned is returned for a name that holds records Navarkos did not create.
var ErrNotOwned = errors.New("the name holds records that Navarkos did not create")

// RFC2136 publishes hosts to an external authoritative server by dynamic update (RFC 2136),
// signed with TSIG. Beside each name's A and AAAA records it keeps a TXT ownership marker,
// and it never changes a name whose records carry no marker of its own.
type RFC2136 struct {
	// Server is the primary's host:port.
	Server string
	// Zones are the zones to update on it, fully qualified; a name goes to the closest
	// zone that holds it.
	Zones []string
	// KeyName, Secret (base64) and Algorithm (e.g. hmac-sha256.) are the TSIG key.
	KeyName, Secret, Algorithm string
	// Timeout bounds each exchange; 5 s when zero.
	Timeout time.Duration

	mu        sync.Mutex
	published map[string][]string // owner → names it published
}

// SetKey replaces the TSIG key, e.g. after its Secret was rotated.
func (p *RFC2136) SetKey(name, secret string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.KeyName, p.Secret = name, secret
}

func (p *RFC2136) key() (string, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.KeyName, p.Secret
}

// Sync makes the zone hold, for each of owner's hosts, exactly the given addresses, and
// removes the names the owner published before and no longer has.
func (p *RFC2136) Sync(ctx context.Context, owner string, hosts map[string][]netip.Addr, ttl uint32) error {
	canon := make(map[string][]netip.Addr, len(hosts))
	for h, addrs := range hosts {
		canon[mdns.CanonicalName(h)] = addrs
	}
	names := make([]string, 0, len(canon))
	for name := range canon {
		names = append(names, name)
	}
	slices.Sort(names)
	var errs []error
	for _, name := range names {
		if err := p.set(ctx, owner, name, canon[name], ttl); err != nil {
			errs = append(errs, err)
		}
	}
	p.mu.Lock()
	before := p.published[owner]
	if p.published == nil {
		p.published = map[string][]string{}
	}
	p.published[owner] = names
	p.mu.Unlock()
	for _, name := range before {
		if !slices.Contains(names, name) {
			if err := p.remove(ctx, owner, name); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// Adopt adds names the owner published before, as a record that outlived this process says
// (a GlobalIngress's status), so that Sync and Remove clean them up too. Each name's TXT
// marker still decides: a name that is not the owner's is never touched.
func (p *RFC2136) Adopt(owner string, names []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.published == nil {
		p.published = map[string][]string{}
	}
	for _, n := range names {
		n = mdns.CanonicalName(n)
		if !slices.Contains(p.published[owner], n) {
			p.published[owner] = append(p.published[owner], n)
		}
	}
}

// Remove deletes every name the owner published.
func (p *RFC2136) Remove(ctx context.Context, owner string) error {
	p.mu.Lock()
	names := p.published[owner]
	delete(p.published, owner)
	p.mu.Unlock()
	var errs []error
	for _, name := range names {
		errs = append(errs, p.remove(ctx, owner, name))
	}
	return errors.Join(errs...)
}

// ZoneOf is the closest of the zones that holds name, and whether one does.
func (p *RFC2136) ZoneOf(name string) (string, bool) {
	name = mdns.CanonicalName(name)
	best := ""
	for _, z := range p.Zones {
		z = mdns.CanonicalName(z)
		if (name == z || strings.HasSuffix(name, "."+z)) && len(z) > len(best) {
			best = z
		}
	}
	return best, best != ""
}

// Apex reports whether name is the apex of one of the zones: its name servers' records are
// the operator's, and never Navarkos's to change.
func (p *RFC2136) Apex(name string) bool {
	return slices.ContainsFunc(p.Zones, func(z string) bool { return mdns.CanonicalName(z) == mdns.CanonicalName(name) })
}

// set replaces a name's addresses, creating its ownership marker, if the name is free or ours.
func (p *RFC2136) set(ctx context.Context, owner, name string, addrs []netip.Addr, ttl uint32) error {
	zone, ok := p.ZoneOf(name)
	if !ok {
		return fmt.Errorf("%s is outside the zones %s", name, strings.Join(p.Zones, ", "))
	}
	state, err := p.owned(ctx, owner, name)
	if err != nil {
		return err
	}
	if state == foreign {
		return fmt.Errorf("%s: %w", name, ErrNotOwned)
	}
	m := new(mdns.Msg)
	m.SetUpdate(zone)
	if state == ours {
		m.Answer = append(m.Answer, p.stillOurs(owner, name))
	} else {
		// Prerequisite: nobody took the name since we looked.
		m.RRsetNotUsed([]mdns.RR{&mdns.A{Hdr: hdr(name, mdns.TypeA, 0)}, &mdns.AAAA{Hdr: hdr(name, mdns.TypeAAAA, 0)}, &mdns.TXT{Hdr: hdr(name, mdns.TypeTXT, 0)}})
	}
	m.RemoveRRset([]mdns.RR{&mdns.A{Hdr: hdr(name, mdns.TypeA, 0)}, &mdns.AAAA{Hdr: hdr(name, mdns.TypeAAAA, 0)}})
	var insert []mdns.RR
	for _, a := range addrs {
		insert = append(insert, addressRecord(name, a, ttl))
	}
	if state != ours {
		insert = append(insert, p.marker(owner, name))
	}
	if len(insert) > 0 {
		m.Insert(insert)
	}
	return p.send(ctx, m, "update "+name)
}

// remove deletes a name's addresses and marker, if they are ours.
func (p *RFC2136) remove(ctx context.Context, owner, name string) error {
	zone, inZone := p.ZoneOf(name)
	if !inZone {
		return nil // never published: it is in none of the zones
	}
	state, err := p.owned(ctx, owner, name)
	if err != nil || state != ours {
		return err
	}
	m := new(mdns.Msg)
	m.SetUpdate(zone)
	m.Answer = append(m.Answer, p.stillOurs(owner, name))
	m.RemoveRRset([]mdns.RR{&mdns.A{Hdr: hdr(name, mdns.TypeA, 0)}, &mdns.AAAA{Hdr: hdr(name, mdns.TypeAAAA, 0)}})
	m.Remove([]mdns.RR{p.marker(owner, name)})
	return p.send(ctx, m, "remove "+name)
}

type ownership int

const (
	free ownership = iota
	ours
	foreign
)

// owned looks at a name: free (no address or TXT), ours (our marker), or foreign.
func (p *RFC2136) owned(ctx context.Context, owner, name string) (ownership, error) {
	found := false
	for _, qtype := range []uint16{mdns.TypeTXT, mdns.TypeA, mdns.TypeAAAA} {
		m := new(mdns.Msg)
		m.SetQuestion(name, qtype)
		resp, err := p.exchange(ctx, m)
		if err != nil {
			return free, fmt.Errorf("the primary %s did not answer for %s (check --rfc2136-server, and that the server is up): %w", p.Server, name, err)
		}
		if resp.Rcode == mdns.RcodeRefused || resp.Rcode == mdns.RcodeNotAuth {
			zone, _ := p.ZoneOf(name)
			return free, fmt.Errorf("the primary %s refused to answer for %s: it does not serve zone %s (name its zones with --rfc2136-zone)", p.Server, name, zone)
		}
		for _, rr := range resp.Answer {
			found = true
			if txt, ok := rr.(*mdns.TXT); ok && strings.Join(txt.Txt, "") == ownerMarker+owner {
				return ours, nil
			}
		}
	}
	if found {
		return foreign, nil
	}
	return free, nil
}

// stillOurs is the prerequisite that the name still carries our marker (RFC 2136 2.4.2:
// the RRset exists with this value; TTL 0).
func (p *RFC2136) stillOurs(owner, name string) mdns.RR {
	rr := p.marker(owner, name)
	rr.Header().Ttl = 0
	return rr
}

func (p *RFC2136) marker(owner, name string) mdns.RR {
	return &mdns.TXT{Hdr: hdr(name, mdns.TypeTXT, 300), Txt: []string{ownerMarker + owner}}
}

func (p *RFC2136) send(ctx context.Context, m *mdns.Msg, what string) error {
	alg := p.Algorithm
	if alg == "" {
		alg = mdns.HmacSHA256
	}
	keyName, _ := p.key()
	m.SetTsig(mdns.CanonicalName(keyName), mdns.Fqdn(alg), 300, time.Now().Unix())
	resp, err := p.exchange(ctx, m)
	if errors.Is(err, mdns.ErrAuth) {
		return fmt.Errorf("%s on %s: the server refused TSIG key %q: %w", what, p.Server, keyName, err)
	}
	if err != nil {
		return fmt.Errorf("%s on %s: %w", what, p.Server, err)
	}
	switch resp.Rcode {
	case mdns.RcodeSuccess:
		return nil
	case mdns.RcodeRefused:
		return fmt.Errorf("%s on %s: the server answered REFUSED: allow updates of zone %s by TSIG key %q there (BIND: allow-update)", what, p.Server, m.Question[0].Name, keyName)
	}
	return fmt.Errorf("%s on %s: the server answered %s", what, p.Server, mdns.RcodeToString[resp.Rcode])
}

func (p *RFC2136) exchange(ctx context.Context, m *mdns.Msg) (*mdns.Msg, error) {
	timeout := p.Timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	c := &mdns.Client{Net: "tcp", Timeout: timeout}
	if keyName, secret := p.key(); keyName != "" {
		c.TsigSecret = map[string]string{mdns.CanonicalName(keyName): secret}
	}
	resp, _, err := c.ExchangeContext(ctx, m, p.Server)
	return resp, err
}
