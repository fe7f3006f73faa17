package options

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/spf13/pflag"

	"github.com/navarkos/navarkos/internal/dns"
	"github.com/navarkos/navarkos/internal/setup"
)

// DNS are the flags of the DNS server and publishers, shared by `up` and `controller`.
type DNS struct {
	Addr                              string
	Zones                             []string
	Notify, TransferFrom              []string
	GeoFile                           string
	Endpoints                         bool
	RFC2136Server                     string
	RFC2136Zones                      []string
	RFC2136KeyName, RFC2136SecretFile string
	RFC2136Algorithm                  string
	RRL                               dns.RateLimits
	RRLExempt                         []string
}

// AddFlags registers the DNS flags; defaultAddr is where the embedded server listens by default.
func (d *DNS) AddFlags(fs *pflag.FlagSet, defaultAddr string) {
	fs.StringVar(&d.Addr, "dns-addr", defaultAddr, "address of the embedded DNS server for the --dns-zone zones (empty turns it off)")
	fs.StringArrayVar(&d.Zones, "dns-zone", []string{setup.DefaultDNSZone}, "a zone GlobalIngresses may publish in, served by the embedded server and sent through the DNSEndpoint publisher; repeatable")
	fs.StringSliceVar(&d.Notify, "dns-notify", nil, "secondaries (host:port) to NOTIFY when a zone changes; they may AXFR from --dns-transfer-from")
	fs.StringSliceVar(&d.TransferFrom, "dns-transfer-from", nil, "networks (CIDR) allowed to AXFR the zones (default: loopback only)")
	fs.StringVar(&d.GeoFile, "dns-geo", "", "YAML file mapping client subnets to regions for Geo answers: {prefixes: {CIDR: region}, nearest: {region: [regions]}}")
	fs.BoolVar(&d.Endpoints, "publish-dnsendpoints", false, "also write an ExternalDNS DNSEndpoint per global host (the CRD must be installed)")
	fs.StringVar(&d.RFC2136Server, "rfc2136-server", "", "also publish by RFC 2136 dynamic update to this primary, host:port")
	fs.StringArrayVar(&d.RFC2136Zones, "rfc2136-zone", nil, "a zone to update on the RFC 2136 server, repeatable; default: the --dns-zone zones")
	fs.StringVar(&d.RFC2136KeyName, "rfc2136-tsig-key-name", "", "name of the TSIG key for RFC 2136 updates")
	fs.StringVar(&d.RFC2136SecretFile, "rfc2136-tsig-secret-file", "", "file holding the base64 TSIG secret")
	fs.StringVar(&d.RFC2136Algorithm, "rfc2136-tsig-algorithm", "hmac-sha256", "TSIG algorithm")
	// Response-rate limiting, as BIND's rate-limit clause; identical responses are counted.
	rrl := dns.DefaultRateLimits()
	fs.Float64Var(&d.RRL.ResponsesPerSecond, "dns-rrl-responses-per-second", rrl.ResponsesPerSecond, "UDP answers per second to one client network for one name and type (0: unlimited)")
	fs.Float64Var(&d.RRL.NXDomainsPerSecond, "dns-rrl-nxdomains-per-second", rrl.NXDomainsPerSecond, "UDP NXDOMAINs per second to one client network for one zone (0: unlimited)")
	fs.Float64Var(&d.RRL.ErrorsPerSecond, "dns-rrl-errors-per-second", rrl.ErrorsPerSecond, "UDP error responses per second to one client network (0: unlimited)")
	fs.DurationVar(&d.RRL.Window, "dns-rrl-window", rrl.Window, "how long a network over a rate must pay its excess back before it is answered again")
	fs.IntVar(&d.RRL.Slip, "dns-rrl-slip", rrl.Slip, "send one empty truncated response (retry over TCP) for this many limited ones; 0 drops them all")
	fs.IntVar(&d.RRL.IPv4PrefixLen, "dns-rrl-ipv4-prefix-length", rrl.IPv4PrefixLen, "IPv4 clients sharing this prefix length are one network")
	fs.IntVar(&d.RRL.IPv6PrefixLen, "dns-rrl-ipv6-prefix-length", rrl.IPv6PrefixLen, "IPv6 clients sharing this prefix length are one network")
	fs.StringSliceVar(&d.RRLExempt, "dns-rrl-exempt", nil, "client networks (CIDR) never rate-limited, e.g. your own resolvers")
}

// Options turns the flags into the controllers' DNS options.
func (d *DNS) Options() (setup.DNSOptions, error) {
	opts := setup.DNSOptions{Addr: d.Addr, Endpoints: d.Endpoints, Notify: d.Notify}
	zones, err := canonicalZones("--dns-zone", d.Zones)
	if err != nil {
		return opts, err
	}
	opts.Zones = zones
	if d.GeoFile != "" {
		data, err := os.ReadFile(d.GeoFile)
		if err != nil {
			return opts, fmt.Errorf("--dns-geo: %w", err)
		}
		if opts.Geo, err = dns.ParseGeoTable(data); err != nil {
			return opts, fmt.Errorf("--dns-geo %s: %w", d.GeoFile, err)
		}
	}
	for _, cidr := range d.TransferFrom {
		p, err := netip.ParsePrefix(cidr)
		if err != nil {
			return opts, fmt.Errorf("--dns-transfer-from: %w", err)
		}
		opts.TransferFrom = append(opts.TransferFrom, p)
	}
	rrl, err := d.rateLimit()
	if err != nil {
		return opts, err
	}
	opts.RateLimit = rrl
	if d.RFC2136Server == "" {
		return opts, nil
	}
	if d.RFC2136KeyName == "" || d.RFC2136SecretFile == "" {
		return opts, errors.New("--rfc2136-server needs --rfc2136-tsig-key-name and --rfc2136-tsig-secret-file")
	}
	rfcZones := zones
	if len(d.RFC2136Zones) > 0 {
		if rfcZones, err = canonicalZones("--rfc2136-zone", d.RFC2136Zones); err != nil {
			return opts, err
		}
	}
	secret, err := os.ReadFile(d.RFC2136SecretFile)
	if err != nil {
		return opts, fmt.Errorf("--rfc2136-tsig-secret-file: %w", err)
	}
	opts.RFC2136 = &dns.RFC2136{
		Server: d.RFC2136Server, Zones: rfcZones, KeyName: d.RFC2136KeyName,
		Secret: strings.TrimSpace(string(secret)), Algorithm: d.RFC2136Algorithm,
	}
	return opts, nil
}

// canonicalZones checks the zones of a flag and makes them canonical: fully qualified, lower
// case, each once.
func canonicalZones(flag string, zones []string) ([]string, error) {
	if len(zones) == 0 {
		return nil, fmt.Errorf("%s: at least one zone is needed", flag)
	}
	var out []string
	for _, z := range zones {
		if _, ok := mdns.IsDomainName(z); !ok || strings.Trim(z, ".") == "" || strings.Contains(z, "*") {
			return nil, fmt.Errorf("%s %q: not a zone name, such as shop.example.com", flag, z)
		}
		z = strings.ToLower(mdns.CanonicalName(z))
		if slices.Contains(out, z) {
			return nil, fmt.Errorf("%s %q: given twice", flag, z)
		}
		out = append(out, z)
	}
	return out, nil
}

// rateLimit checks the response-rate limiting flags; nil when every rate is unlimited.
func (d *DNS) rateLimit() (*dns.RateLimiter, error) {
	l := d.RRL
	switch {
	case l.ResponsesPerSecond < 0 || l.NXDomainsPerSecond < 0 || l.ErrorsPerSecond < 0:
		return nil, errors.New("--dns-rrl-*-per-second: a rate may not be negative")
	case l.Window < time.Second || l.Window > time.Hour:
		return nil, fmt.Errorf("--dns-rrl-window %s: must be from 1s to 1h", l.Window)
	case l.Slip < 0 || l.Slip > 10:
		return nil, fmt.Errorf("--dns-rrl-slip %d: must be from 0 to 10", l.Slip)
	case l.IPv4PrefixLen < 1 || l.IPv4PrefixLen > 32:
		return nil, fmt.Errorf("--dns-rrl-ipv4-prefix-length %d: must be from 1 to 32", l.IPv4PrefixLen)
	case l.IPv6PrefixLen < 1 || l.IPv6PrefixLen > 128:
		return nil, fmt.Errorf("--dns-rrl-ipv6-prefix-length %d: must be from 1 to 128", l.IPv6PrefixLen)
	}
	for _, cidr := range d.RRLExempt {
		p, err := netip.ParsePrefix(cidr)
		if err != nil {
			return nil, fmt.Errorf("--dns-rrl-exempt: %w", err)
		}
		l.Exempt = append(l.Exempt, p.Masked())
	}
	if l.ResponsesPerSecond == 0 && l.NXDomainsPerSecond == 0 && l.ErrorsPerSecond == 0 {
		return nil, nil
	}
	return &dns.RateLimiter{RateLimits: l}, nil
}
