package globalingress

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// probeTimeout bounds one probe.
const probeTimeout = time.Second

// Prober checks targets by TCP connect or HTTP(S) GET, with one HTTP client per TLS setting,
// shared by every probe: connections are reused rather than a transport made per call.
type Prober struct {
	mu      sync.Mutex
	clients map[[32]byte]*http.Client
}

// Probe checks one address. An HTTP probe passes on a 2xx or 3xx status; it follows a
// redirect only to the same scheme, host and port, so a target cannot point the controller
// at another host. An HTTPS probe verifies the certificate against the probe's caBundle, for
// its serverName (or host), when one is given; otherwise it checks that the target serves,
// not who it is.
func (pr *Prober) Probe(ctx context.Context, p *n6sv1alpha1.HealthProbe, host string, addr netip.Addr, port int32) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	hostPort := net.JoinHostPort(addr.String(), strconv.Itoa(int(port)))
	switch p.Type {
	case "TCP":
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", hostPort)
		if err != nil {
			return err
		}
		return conn.Close()
	case "HTTP", "HTTPS":
		scheme := "http"
		if p.Type == "HTTPS" {
			scheme = "https"
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+hostPort+p.Path, nil)
		if err != nil {
			return err
		}
		c, err := pr.client(p, host)
		if err != nil {
			return err
		}
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode >= 400 {
			return fmt.Errorf("%s answered %d", req.URL, resp.StatusCode)
		}
		return nil
	}
	return fmt.Errorf("unknown probe type %q", p.Type)
}

// client is the shared client of the probe's TLS setting.
func (pr *Prober) client(p *n6sv1alpha1.HealthProbe, host string) (*http.Client, error) {
	serverName := p.ServerName
	if serverName == "" {
		serverName = host
	}
	key := sha256.Sum256([]byte(p.CABundle + "\x00" + serverName))
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if c, ok := pr.clients[key]; ok {
		return c, nil
	}
	// Without a CA the probe checks that the target serves, not who it is, as the API says.
	tlsConfig := &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12} //nolint:gosec // see above
	if p.CABundle != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(p.CABundle)) {
			return nil, errors.New("the probe's caBundle holds no PEM certificate")
		}
		tlsConfig = &tls.Config{RootCAs: pool, ServerName: serverName, MinVersion: tls.VersionTLS12}
	}
	c := &http.Client{
		Transport: &http.Transport{TLSClientConfig: tlsConfig, MaxIdleConnsPerHost: 2, IdleConnTimeout: time.Minute},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			first := via[0].URL
			if req.URL.Scheme != first.Scheme || req.URL.Host != first.Host || len(via) >= 5 {
				return http.ErrUseLastResponse // the redirect itself is the answer
			}
			return nil
		},
	}
	if pr.clients == nil {
		pr.clients = map[[32]byte]*http.Client{}
	}
	pr.clients[key] = c
	return c, nil
}
