package globalingress

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// probeTimeout bounds one probe.
const probeTimeout = time.Second

// Probe checks one address by TCP connect or HTTP(S) GET. An HTTP probe passes on a 2xx or
// 3xx status. HTTPS probes do not verify the certificate: they check that the target serves,
// not who it is.
func Probe(ctx context.Context, p *n6sv1alpha1.HealthProbe, addr netip.Addr, port int32) error {
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
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // see above
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
