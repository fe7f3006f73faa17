package options

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/navarkos/navarkos/internal/dns"
	"github.com/navarkos/navarkos/internal/setup"
)

// DNS are the flags of the DNS server and publishers, shared by `up` and `controller`.
type DNS struct {
	Addr                              string
	Notify, TransferFrom              []string
	GeoFile                           string
	Endpoints                         bool
	RFC2136Server, RFC2136Zone        string
	RFC2136KeyName, RFC2136SecretFile string
	RFC2136Algorithm                  string
}

// AddFlags registers the DNS flags; defaultAddr is where the embedded server listens by default.
func (d *DNS) AddFlags(fs *pflag.FlagSet, defaultAddr string) {
	fs.StringVar(&d.Addr, "dns-addr", defaultAddr, "address of the embedded DNS server for the zone navarkos.local. (empty turns it off)")
	fs.StringSliceVar(&d.Notify, "dns-notify", nil, "secondaries (host:port) to NOTIFY when a zone changes; they may AXFR from --dns-transfer-from")
	fs.StringSliceVar(&d.TransferFrom, "dns-transfer-from", nil, "networks (CIDR) allowed to AXFR the zones (default: loopback only)")
	fs.StringVar(&d.GeoFile, "dns-geo", "", "YAML file mapping client subnets to regions for Geo answers: {prefixes: {CIDR: region}, nearest: {region: [regions]}}")
	fs.BoolVar(&d.Endpoints, "publish-dnsendpoints", false, "also write an ExternalDNS DNSEndpoint per global host (the CRD must be installed)")
	fs.StringVar(&d.RFC2136Server, "rfc2136-server", "", "also publish by RFC 2136 dynamic update to this primary, host:port")
	fs.StringVar(&d.RFC2136Zone, "rfc2136-zone", "", "zone to update on the RFC 2136 server; hosts inside it are published")
	fs.StringVar(&d.RFC2136KeyName, "rfc2136-tsig-key-name", "", "name of the TSIG key for RFC 2136 updates")
	fs.StringVar(&d.RFC2136SecretFile, "rfc2136-tsig-secret-file", "", "file holding the base64 TSIG secret")
	fs.StringVar(&d.RFC2136Algorithm, "rfc2136-tsig-algorithm", "hmac-sha256", "TSIG algorithm")
}

// Options turns the flags into the controllers' DNS options.
func (d *DNS) Options() (setup.DNSOptions, error) {
	opts := setup.DNSOptions{Addr: d.Addr, Endpoints: d.Endpoints, Notify: d.Notify}
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
	if d.RFC2136Server == "" {
		return opts, nil
	}
	if d.RFC2136Zone == "" || d.RFC2136KeyName == "" || d.RFC2136SecretFile == "" {
		return opts, errors.New("--rfc2136-server needs --rfc2136-zone, --rfc2136-tsig-key-name and --rfc2136-tsig-secret-file")
	}
	secret, err := os.ReadFile(d.RFC2136SecretFile)
	if err != nil {
		return opts, fmt.Errorf("--rfc2136-tsig-secret-file: %w", err)
	}
	opts.RFC2136 = &dns.RFC2136{
		Server: d.RFC2136Server, Zone: d.RFC2136Zone, KeyName: d.RFC2136KeyName,
		Secret: strings.TrimSpace(string(secret)), Algorithm: d.RFC2136Algorithm,
	}
	return opts, nil
}
