package fleetpki

import (
	"strings"
	"testing"
)

// A request with a missing name or a SAN that is neither an address nor a DNS name is refused
// before anything is made, with the flag at fault.
func TestValidate(t *testing.T) {
	good := Request{Namespace: "ns", Prefix: "p", EtcdService: "p-etcd", FleetAPIService: "p-api", FleetAPIURL: "https://p-api.ns.svc:443",
		ExtraSANs: []string{"fleet.example.com", "10.0.0.7", "2001:db8::1"}}
	if err := good.Validate(); err != nil {
		t.Fatalf("a good request: %v", err)
	}
	for _, tc := range []struct {
		change func(*Request)
		want   string
	}{
		{func(r *Request) { r.Prefix = "" }, "--prefix"},
		{func(r *Request) { r.FleetAPIURL = "" }, "--fleet-api-url"},
		{func(r *Request) { r.ExtraSANs = []string{"bad name!"} }, `--extra-san "bad name!"`},
		{func(r *Request) { r.ExtraSANs = []string{"a\nb.example.com"} }, "--extra-san"},
	} {
		r := good
		tc.change(&r)
		if err := r.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one naming %s", err, tc.want)
		}
	}
}
