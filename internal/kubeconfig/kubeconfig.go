// Package kubeconfig loads kubeconfigs that come from the fleet's users, such as the
// kubeconfig Secret of a joined cluster, without letting them run commands or read files in
// the process that loads them.
package kubeconfig

import (
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Policy says what a kubeconfig may ask of the process that loads it.
type Policy struct {
	// AllowPluginsAndFiles lets kubeconfigs run exec and auth-provider plugins and read
	// token, certificate and key files. Off by default: whoever writes a join Secret would
	// otherwise run code, or read files, where the controllers hold the fleet's credentials.
	AllowPluginsAndFiles bool
}

// RESTConfig checks a kubeconfig against the policy and builds a client configuration of its
// current context.
func (p Policy) RESTConfig(data []byte) (*rest.Config, error) {
	if !p.AllowPluginsAndFiles {
		if err := Check(data); err != nil {
			return nil, err
		}
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(data)
	if err != nil {
		// The parser's message quotes structure, never credentials.
		return nil, fmt.Errorf("not a usable kubeconfig: %v", err)
	}
	SkipCompressionOnLoopback(cfg)
	return cfg, nil
}

// SkipCompressionOnLoopback asks an API server on this machine for uncompressed answers.
// Asked for gzip, kube-apiserver compresses every watch stream: on loopback that spends the
// CPU of both ends (8% of the controllers' in a propagation benchmark) and saves nothing.
// A server elsewhere is still asked for gzip, which saves bandwidth on large lists.
func SkipCompressionOnLoopback(cfg *rest.Config) {
	u, err := url.Parse(cfg.Host)
	if err != nil {
		return
	}
	host := u.Hostname()
	if addr, err := netip.ParseAddr(host); (err == nil && addr.IsLoopback()) || host == "localhost" {
		cfg.DisableCompression = true
	}
}

// Check refuses a kubeconfig that would run a command (exec or auth-provider plugins) or read
// a file (token, client certificate, client key or certificate authority files). Credentials
// and certificates must be inline. It names each refused entry.
func Check(data []byte) error {
	cfg, err := clientcmd.Load(data)
	if err != nil {
		return fmt.Errorf("not a usable kubeconfig: %v", err)
	}
	var refused []string
	for name, a := range cfg.AuthInfos {
		if a.Exec != nil {
			refused = append(refused, fmt.Sprintf("user %q runs the command %q (exec)", name, a.Exec.Command))
		}
		if a.AuthProvider != nil {
			refused = append(refused, fmt.Sprintf("user %q uses the auth-provider plugin %q", name, a.AuthProvider.Name))
		}
		for field, path := range map[string]string{"tokenFile": a.TokenFile, "client-certificate": a.ClientCertificate, "client-key": a.ClientKey} {
			if path != "" {
				refused = append(refused, fmt.Sprintf("user %q reads %s from a file", name, field))
			}
		}
	}
	for name, c := range cfg.Clusters {
		if c.CertificateAuthority != "" {
			refused = append(refused, fmt.Sprintf("cluster %q reads certificate-authority from a file", name))
		}
	}
	if len(refused) == 0 {
		return nil
	}
	slices.Sort(refused)
	return fmt.Errorf("the kubeconfig is refused: %s; Navarkos takes only inline credentials and certificates (a controller started with --allow-kubeconfig-plugins accepts them)", strings.Join(refused, "; "))
}
