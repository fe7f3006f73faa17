package e2e

import (
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	. "github.com/onsi/gomega"
)

// TestUpServesTheOperatorsZones: `navarkos up --dns-zone` serves each zone it names from the
// embedded server, its SOA answered with authority, and refuses a zone it does not name.
func TestUpServesTheOperatorsZones(t *testing.T) {
	dnsAddr := freeAddr(t)
	startUp(t, t.TempDir(), "--dns-addr", dnsAddr, "--dns-zone", "shop.example.test.", "--dns-zone", "navarkos.local.")
	soa := func(zone string) (int, bool, error) {
		m := new(mdns.Msg)
		m.SetQuestion(zone, mdns.TypeSOA)
		resp, _, err := (&mdns.Client{Net: "udp", Timeout: 2 * time.Second}).Exchange(m, dnsAddr)
		if err != nil {
			return 0, false, err
		}
		answered := len(resp.Answer) == 1 && resp.Answer[0].Header().Rrtype == mdns.TypeSOA && resp.Authoritative
		return resp.Rcode, answered, nil
	}
	g := NewWithT(t)
	for _, zone := range []string{"shop.example.test.", "navarkos.local."} {
		g.Eventually(func(g Gomega) {
			rcode, answered, err := soa(zone)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(rcode).To(Equal(mdns.RcodeSuccess))
			g.Expect(answered).To(BeTrue(), "an authoritative SOA answer")
		}, clusterTimeout, poll).Should(Succeed(), "waiting for the SOA of zone %s", zone)
	}
	rcode, _, err := soa("example.org.")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rcode).To(Equal(mdns.RcodeRefused), "a zone not named is refused")
}
