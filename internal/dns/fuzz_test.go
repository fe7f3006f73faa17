package dns

import (
	"net/netip"
	"testing"

	mdns "github.com/miekg/dns"
)

// FuzzHandle feeds the server arbitrary packets: whatever parses as a DNS message gets a
// response that packs, and nothing panics. The seed corpus is in testdata/fuzz/FuzzHandle.
func FuzzHandle(f *testing.F) {
	for _, m := range seedMessages() {
		if b, err := m.Pack(); err == nil {
			f.Add(b, false)
		}
	}
	s := &Server{}
	s.SetZones(bigZone())
	s.SetGeo(geo)
	client := netip.MustParseAddr("10.2.0.1")
	f.Fuzz(func(t *testing.T, packet []byte, tcp bool) {
		req := new(mdns.Msg)
		if err := req.Unpack(packet); err != nil {
			return
		}
		resp := s.Handle(req, client, tcp)
		if _, err := resp.Pack(); err != nil {
			t.Fatalf("the response to %v does not pack: %v", req, err)
		}
		resp.Compress = true
		if !tcp && resp.Len() > ednsSize {
			t.Fatalf("a UDP response of %d bytes", resp.Len())
		}
	})
}

func seedMessages() []*mdns.Msg {
	var out []*mdns.Msg
	for _, q := range []struct {
		name  string
		qtype uint16
	}{{"shop.navarkos.local.", mdns.TypeA}, {"big.navarkos.local.", mdns.TypeA}, {"navarkos.local.", mdns.TypeSOA}, {"www.navarkos.local.", mdns.TypeAAAA}, {"x.example.", mdns.TypeTXT}} {
		m := new(mdns.Msg)
		m.SetQuestion(q.name, q.qtype)
		out = append(out, m)
		e := m.Copy()
		e.SetEdns0(4096, true)
		e.IsEdns0().Option = append(e.IsEdns0().Option, &mdns.EDNS0_SUBNET{Code: mdns.EDNS0SUBNET, Family: 1, SourceNetmask: 24, Address: []byte{10, 2, 0, 0}})
		out = append(out, e)
	}
	return out
}
