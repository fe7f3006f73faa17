package dnsquery

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/spf13/cobra"
)

type options struct {
	server, qtype, subnet string
	tcp                   bool
}

// NewCommand returns `navarkos dns`, with its `query` subcommand.
func NewCommand() *cobra.Command {
	dns := &cobra.Command{Use: "dns", Short: "Ask the fleet's DNS server"}
	o := &options{}
	query := &cobra.Command{
		Use:     "query HOST",
		Short:   "Ask the embedded DNS server (or another) for a name, as dig would",
		Example: "  navarkos dns query shop.navarkos.local\n  navarkos dns query shop.navarkos.local --subnet 10.2.0.0/24   # as a client of that subnet sees it",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.OutOrStdout(), args[0])
		},
	}
	f := query.Flags()
	f.StringVar(&o.server, "server", "127.0.0.1:5353", "DNS server to ask, host:port")
	f.StringVarP(&o.qtype, "type", "t", "A", "record type: A, AAAA, TXT, SOA, NS, CNAME, AXFR...")
	f.StringVar(&o.subnet, "subnet", "", "EDNS0 client subnet to send, e.g. 10.2.0.0/24")
	f.BoolVar(&o.tcp, "tcp", false, "ask over TCP")
	dns.AddCommand(query)
	return dns
}

func (o *options) run(out io.Writer, host string) error {
	qtype, ok := mdns.StringToType[strings.ToUpper(o.qtype)]
	if !ok {
		return fmt.Errorf("--type %q is not a record type", o.qtype)
	}
	name := mdns.Fqdn(host)
	if qtype == mdns.TypeAXFR {
		return o.transfer(out, name)
	}
	m := new(mdns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = false
	m.SetEdns0(1232, false)
	if o.subnet != "" {
		p, err := netip.ParsePrefix(o.subnet)
		if err != nil {
			return fmt.Errorf("--subnet: %w", err)
		}
		family := uint16(1)
		if p.Addr().Is6() {
			family = 2
		}
		m.IsEdns0().Option = append(m.IsEdns0().Option, &mdns.EDNS0_SUBNET{Code: mdns.EDNS0SUBNET, Family: family,
			SourceNetmask: uint8(p.Bits()), Address: net.IP(p.Masked().Addr().AsSlice())})
	}
	c := &mdns.Client{Timeout: 3 * time.Second}
	if o.tcp {
		c.Net = "tcp"
	}
	resp, rtt, err := c.Exchange(m, o.server)
	if err != nil {
		return fmt.Errorf("no answer from %s: %w", o.server, err)
	}
	fmt.Fprintf(out, ";; %s from %s in %s, authoritative %v, truncated %v\n", mdns.RcodeToString[resp.Rcode], o.server, rtt.Round(time.Microsecond), resp.Authoritative, resp.Truncated)
	section(out, "ANSWER", resp.Answer)
	section(out, "AUTHORITY", resp.Ns)
	var extra []mdns.RR
	for _, rr := range resp.Extra {
		if rr.Header().Rrtype != mdns.TypeOPT {
			extra = append(extra, rr)
		}
	}
	section(out, "ADDITIONAL", extra)
	return nil
}

func (o *options) transfer(out io.Writer, zone string) error {
	m := new(mdns.Msg)
	m.SetAxfr(zone)
	envelopes, err := new(mdns.Transfer).In(m, o.server)
	if err != nil {
		return fmt.Errorf("AXFR of %s from %s: %w", zone, o.server, err)
	}
	for e := range envelopes {
		if e.Error != nil {
			return fmt.Errorf("AXFR of %s from %s: %w", zone, o.server, e.Error)
		}
		for _, rr := range e.RR {
			fmt.Fprintln(out, rr.String())
		}
	}
	return nil
}

func section(out io.Writer, name string, rrs []mdns.RR) {
	if len(rrs) == 0 {
		return
	}
	fmt.Fprintf(out, ";; %s\n", name)
	for _, rr := range rrs {
		fmt.Fprintln(out, rr.String())
	}
}
