package dns

import (
	"net/netip"
	"slices"
	"strings"

	mdns "github.com/miekg/dns"
)

// Zone is an authoritative zone: its SOA and name servers, the hosts it answers with
// health-aware records, and static records.
type Zone struct {
	// Origin is the zone's name, fully qualified, e.g. navarkos.local.
	Origin string
	// Serial is the SOA serial; it must grow whenever the zone's contents change.
	Serial uint32
	// NS lists the zone's name servers, fully qualified; Glue gives addresses for those inside the zone.
	NS   []string
	Glue map[string][]netip.Addr
	// Admin is the SOA mailbox, e.g. hostmaster.navarkos.local.
	Admin string
	// TTL of the SOA and NS records, and the negative-answer TTL.
	TTL, NegativeTTL uint32
	// Hosts are answered from their targets, by name (fully qualified).
	Hosts map[string]Host
	// Records are static records (TXT, CNAME, A, AAAA), e.g. ownership markers.
	Records []mdns.RR
}

// Host is one name answered from targets.
type Host struct {
	Targets []Target
	Policy  Policy
	TTL     uint32
}

// Response is a zone's answer to one question.
type Response struct {
	Rcode             int
	Answer, Ns, Extra []mdns.RR
	// Authoritative is false when the name is outside the zone.
	Authoritative bool
}

// Contains reports whether name is in the zone.
func (z *Zone) Contains(name string) bool {
	name = mdns.CanonicalName(name)
	return name == z.Origin || strings.HasSuffix(name, "."+z.Origin)
}

// Reserved reports whether name is one of the zone's own: its apex, a name server or the SOA's
// primary (MNAME). Such a name is the operator's; a host there would answer for the zone's
// name server, so it is never published.
func (z *Zone) Reserved(name string) bool {
	name = mdns.CanonicalName(name)
	if name == z.Origin || name == mdns.CanonicalName(z.SOA().Ns) {
		return true
	}
	return slices.ContainsFunc(z.NS, func(ns string) bool { return mdns.CanonicalName(ns) == name })
}

// SOA is the zone's start of authority.
func (z *Zone) SOA() *mdns.SOA {
	ns := z.Origin
	if len(z.NS) > 0 {
		ns = z.NS[0]
	}
	return &mdns.SOA{
		Hdr: mdns.RR_Header{Name: z.Origin, Rrtype: mdns.TypeSOA, Class: mdns.ClassINET, Ttl: z.TTL},
		Ns:  ns, Mbox: z.Admin, Serial: z.Serial,
		Refresh: 60, Retry: 30, Expire: 86400, Minttl: z.NegativeTTL,
	}
}

// Answer answers one question for a client of the given region (or ""), with draw picking
// among weighted targets.
func (z *Zone) Answer(q mdns.Question, geo *GeoTable, clientRegion string, draw uint64) Response {
	return z.answer(q, geo, clientRegion, draw, map[string]bool{})
}

// maxCNAMEChain bounds how many CNAMEs in the zone one answer follows.
const maxCNAMEChain = 8

// answer answers one question; followed holds the names whose CNAMEs this answer followed
// already, so that a loop (a → b → a) or an over-long chain is a SERVFAIL, not a stack overflow.
func (z *Zone) answer(q mdns.Question, geo *GeoTable, clientRegion string, draw uint64, followed map[string]bool) Response {
	name := mdns.CanonicalName(q.Name)
	if !z.Contains(name) {
		return Response{Rcode: mdns.RcodeRefused}
	}
	r := Response{Rcode: mdns.RcodeSuccess, Authoritative: true}
	if q.Qtype == mdns.TypeANY {
		// RFC 8482: a minimal answer, which also takes the point out of ANY for amplification.
		r.Answer = []mdns.RR{&mdns.HINFO{Hdr: hdr(name, mdns.TypeHINFO, z.TTL), Cpu: "RFC8482"}}
		return r
	}
	if name == z.Origin {
		switch q.Qtype {
		case mdns.TypeSOA:
			r.Answer = []mdns.RR{z.SOA()}
			return r
		case mdns.TypeNS:
			r.Answer = z.nsRecords()
			r.Extra = z.glue()
			return r
		}
	}
	if cname := z.static(name, mdns.TypeCNAME); len(cname) > 0 && q.Qtype != mdns.TypeCNAME {
		r.Answer = cname
		target := mdns.CanonicalName(cname[0].(*mdns.CNAME).Target)
		followed[name] = true
		if followed[target] || len(followed) > maxCNAMEChain {
			return Response{Rcode: mdns.RcodeServerFailure}
		}
		if z.Contains(target) {
			follow := z.answer(mdns.Question{Name: target, Qtype: q.Qtype, Qclass: q.Qclass}, geo, clientRegion, draw, followed)
			if follow.Rcode == mdns.RcodeServerFailure {
				return follow
			}
			r.Answer = append(r.Answer, follow.Answer...)
		}
		return r
	}
	r.Answer = append(r.Answer, z.static(name, q.Qtype)...)
	if host, ok := z.Hosts[name]; ok && (q.Qtype == mdns.TypeA || q.Qtype == mdns.TypeAAAA) {
		for _, a := range Select(host.Targets, host.Policy, geo, clientRegion, draw) {
			if a.Is4() == (q.Qtype == mdns.TypeA) {
				r.Answer = append(r.Answer, addressRecord(name, a, host.TTL))
			}
		}
	}
	if q.Qtype == mdns.TypeA || q.Qtype == mdns.TypeAAAA {
		for _, a := range z.Glue[name] {
			if a.Is4() == (q.Qtype == mdns.TypeA) {
				r.Answer = append(r.Answer, addressRecord(name, a, z.TTL))
			}
		}
	}
	uniformTTLs(r.Answer)
	if len(r.Answer) == 0 {
		if !z.exists(name) {
			r.Rcode = mdns.RcodeNameError
		}
		r.Ns = []mdns.RR{z.negativeSOA()}
	}
	return r
}

// Transfer lists the zone for AXFR: SOA, every record, SOA again. Hosts give every healthy
// address (or every address, when none is healthy), since a secondary cannot choose per query.
func (z *Zone) Transfer() []mdns.RR {
	out := []mdns.RR{z.SOA()}
	out = append(out, z.nsRecords()...)
	out = append(out, z.glue()...)
	for _, name := range z.hostNames() {
		host := z.Hosts[name]
		for _, a := range Select(host.Targets, Policy{Strategy: RoundRobin}, nil, "", 0) {
			out = append(out, addressRecord(name, a, host.TTL))
		}
	}
	out = append(out, z.Records...)
	uniformTTLs(out[1:])
	return append(out, z.SOA())
}

// uniformTTLs gives every record of an RRset (same name, type and class) the lowest TTL among
// them: RFC 2181 5.2 forbids an RRset whose TTLs differ, which a host's records beside a
// static record of the same name would otherwise make.
func uniformTTLs(rrs []mdns.RR) {
	type rrset struct {
		name          string
		rrtype, class uint16
	}
	lowest := map[rrset]uint32{}
	for _, rr := range rrs {
		h := rr.Header()
		key := rrset{mdns.CanonicalName(h.Name), h.Rrtype, h.Class}
		if ttl, ok := lowest[key]; !ok || h.Ttl < ttl {
			lowest[key] = h.Ttl
		}
	}
	for _, rr := range rrs {
		h := rr.Header()
		h.Ttl = lowest[rrset{mdns.CanonicalName(h.Name), h.Rrtype, h.Class}]
	}
}

func (z *Zone) hostNames() []string {
	names := make([]string, 0, len(z.Hosts))
	for name := range z.Hosts {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// exists reports whether a name has records or names below it (an empty non-terminal).
func (z *Zone) exists(name string) bool {
	if name == z.Origin {
		return true
	}
	below := "." + name
	for h := range z.Hosts {
		if h == name || strings.HasSuffix(h, below) {
			return true
		}
	}
	for _, rr := range z.Records {
		if n := mdns.CanonicalName(rr.Header().Name); n == name || strings.HasSuffix(n, below) {
			return true
		}
	}
	for n := range z.Glue {
		if n == name || strings.HasSuffix(n, below) {
			return true
		}
	}
	return false
}

func (z *Zone) static(name string, qtype uint16) []mdns.RR {
	var out []mdns.RR
	for _, rr := range z.Records {
		if rr.Header().Rrtype == qtype && mdns.CanonicalName(rr.Header().Name) == name {
			out = append(out, rr)
		}
	}
	return out
}

func (z *Zone) nsRecords() []mdns.RR {
	out := make([]mdns.RR, 0, len(z.NS))
	for _, ns := range z.NS {
		out = append(out, &mdns.NS{Hdr: hdr(z.Origin, mdns.TypeNS, z.TTL), Ns: ns})
	}
	return out
}

func (z *Zone) glue() []mdns.RR {
	var out []mdns.RR
	for _, ns := range z.NS {
		for _, a := range z.Glue[ns] {
			out = append(out, addressRecord(ns, a, z.TTL))
		}
	}
	return out
}

// negativeSOA is the SOA of a negative answer, whose TTL is the negative TTL (RFC 2308).
func (z *Zone) negativeSOA() mdns.RR {
	soa := z.SOA()
	soa.Hdr.Ttl = min(z.TTL, z.NegativeTTL)
	return soa
}

func hdr(name string, rrtype uint16, ttl uint32) mdns.RR_Header {
	return mdns.RR_Header{Name: name, Rrtype: rrtype, Class: mdns.ClassINET, Ttl: ttl}
}

func addressRecord(name string, a netip.Addr, ttl uint32) mdns.RR {
	if a.Is4() {
		return &mdns.A{Hdr: hdr(name, mdns.TypeA, ttl), A: a.AsSlice()}
	}
	return &mdns.AAAA{Hdr: hdr(name, mdns.TypeAAAA, ttl), AAAA: a.AsSlice()}
}
