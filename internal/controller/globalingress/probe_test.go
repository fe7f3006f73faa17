package globalingress

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

func hostPort(t *testing.T, addr string) (netip.Addr, int32) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(p)
	return netip.MustParseAddr(h), int32(port)
}

func TestProbe(t *testing.T) {
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer healthy.Close()
	tlsServer := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer tlsServer.Close()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr, closedPort := hostPort(t, closed.Addr().String())
	_ = closed.Close()

	ctx := context.Background()
	a, port := hostPort(t, strings.TrimPrefix(healthy.URL, "http://"))
	ta, tport := hostPort(t, strings.TrimPrefix(tlsServer.URL, "https://"))
	for _, tt := range []struct {
		name  string
		probe n6sv1alpha1.HealthProbe
		addr  netip.Addr
		port  int32
		ok    bool
	}{
		{"HTTP 200", n6sv1alpha1.HealthProbe{Type: "HTTP", Path: "/healthz"}, a, port, true},
		{"HTTP 404 fails", n6sv1alpha1.HealthProbe{Type: "HTTP", Path: "/missing"}, a, port, false},
		{"HTTPS with a self-signed certificate", n6sv1alpha1.HealthProbe{Type: "HTTPS", Path: "/"}, ta, tport, true},
		{"TCP open", n6sv1alpha1.HealthProbe{Type: "TCP"}, a, port, true},
		{"TCP closed fails", n6sv1alpha1.HealthProbe{Type: "TCP"}, closedAddr, closedPort, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := Probe(ctx, &tt.probe, tt.addr, tt.port)
			if (err == nil) != tt.ok {
				t.Fatalf("probe error %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
