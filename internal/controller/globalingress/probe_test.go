package globalingress

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
			err := (&Prober{}).Probe(ctx, &tt.probe, "shop.navarkos.local", tt.addr, tt.port)
			if (err == nil) != tt.ok {
				t.Fatalf("probe error %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// TestProbeVerifiesWithACAAndStaysOnItsHost: an HTTPS probe with a caBundle verifies the
// certificate for its server name; a redirect to another host is not followed; one client
// serves every probe of the same TLS setting.
func TestProbeVerifiesWithACAAndStaysOnItsHost(t *testing.T) {
	ctx := context.Background()
	tlsServer := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer tlsServer.Close()
	ca := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsServer.Certificate().Raw}))
	// Every httptest server shares one certificate; another CA is made here.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other CA"}, DNSNames: []string{"example.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	otherCA := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	ta, tport := hostPort(t, strings.TrimPrefix(tlsServer.URL, "https://"))
	pr := &Prober{}
	// httptest's certificate names example.com.
	if err := pr.Probe(ctx, &n6sv1alpha1.HealthProbe{Type: "HTTPS", Path: "/", CABundle: ca, ServerName: "example.com"}, "shop.navarkos.local", ta, tport); err != nil {
		t.Errorf("HTTPS with the right CA and name: %v", err)
	}
	if err := pr.Probe(ctx, &n6sv1alpha1.HealthProbe{Type: "HTTPS", Path: "/", CABundle: ca}, "shop.navarkos.local", ta, tport); err == nil {
		t.Error("HTTPS verified for a host its certificate does not name")
	}
	if err := pr.Probe(ctx, &n6sv1alpha1.HealthProbe{Type: "HTTPS", Path: "/", CABundle: otherCA, ServerName: "example.com"}, "shop.navarkos.local", ta, tport); err == nil {
		t.Error("HTTPS verified with another CA")
	}
	if err := pr.Probe(ctx, &n6sv1alpha1.HealthProbe{Type: "HTTPS", Path: "/", CABundle: "not pem"}, "h", ta, tport); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("a caBundle without a certificate: %v", err)
	}

	var elsewhere atomic.Int32
	victim := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
	defer victim.Close()
	redirecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, victim.URL+"/internal", http.StatusFound)
		case "/moved":
			http.Redirect(w, r, "/broken", http.StatusFound)
		case "/broken":
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer redirecting.Close()
	ra, rport := hostPort(t, strings.TrimPrefix(redirecting.URL, "http://"))
	if err := pr.Probe(ctx, &n6sv1alpha1.HealthProbe{Type: "HTTP", Path: "/away"}, "h", ra, rport); err != nil {
		t.Errorf("a redirect elsewhere is the answer, a 3xx: %v", err)
	}
	if elsewhere.Load() != 0 {
		t.Error("the probe followed a redirect to another host")
	}
	if err := pr.Probe(ctx, &n6sv1alpha1.HealthProbe{Type: "HTTP", Path: "/moved"}, "h", ra, rport); err == nil {
		t.Error("a redirect on the same host must be followed, to its 503")
	}
	if len(pr.clients) != 4 {
		t.Errorf("%d clients for 4 TLS settings (CA+name, CA+host, other CA, none), want one each", len(pr.clients))
	}
}

// TestProbesReachOnlyTheBackendsPorts: a probe on a port the backend does not serve is not
// sent (another service on the same address is no tenant's to scan), and fails the target
// with a reason that says so; a probe of the backend's own port is sent.
func TestProbesReachOnlyTheBackendsPorts(t *testing.T) {
	var probed []int32
	r := &Reconciler{Probe: func(_ context.Context, _ *n6sv1alpha1.HealthProbe, _ string, _ netip.Addr, port int32) error {
		probed = append(probed, port)
		return nil
	}}
	gi := &n6sv1alpha1.GlobalIngress{
		ObjectMeta: metav1.ObjectMeta{Namespace: "tenant-a", Name: "scan"},
		Spec:       n6sv1alpha1.GlobalIngressSpec{Hosts: []string{"scan.navarkos.local"}},
	}
	tgt := target{addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}, port: 8080, ports: []int32{8080, 8443}}
	tests := []struct {
		name       string
		port       int32
		wantOK     bool
		wantProbed []int32
	}{
		{"the etcd port of the same address", 2379, false, nil},
		{"the backend's second port", 8443, true, []int32{8443}},
		{"no port: the backend's first", 0, true, []int32{8080}},
	}
	for _, tt := range tests {
		probed = nil
		gi.Spec.HealthCheck.Probe = &n6sv1alpha1.HealthProbe{Type: "HTTP", Path: "/", Port: tt.port}
		reason, ok := r.probe(context.Background(), gi, &tgt)
		if ok != tt.wantOK || !slices.Equal(probed, tt.wantProbed) {
			t.Errorf("%s: ok=%v (%q), probed %v; want ok=%v, probed %v", tt.name, ok, reason, probed, tt.wantOK, tt.wantProbed)
		}
		if !ok && !strings.Contains(reason, "not a port of the backend") {
			t.Errorf("%s: the reason %q does not say why", tt.name, reason)
		}
	}
}
