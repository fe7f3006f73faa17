package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// externalDNSModule is the module hack/tools/externaldns builds bin/external-dns from.
const externalDNSModule = "sigs.k8s.io/external-dns"

// ExternalDNSOwner is the TXT registry owner of the ExternalDNS that StartExternalDNS runs.
const ExternalDNSOwner = "navarkos-e2e"

// ExternalDNSVersion is the ExternalDNS release hack/tools/externaldns pins, so that the
// binary the tests run and the DNSEndpoint CRD they install are of one release.
func ExternalDNSVersion() (string, error) {
	path := filepath.Join(RepoRoot(), "hack", "tools", "externaldns", "go.mod")
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	f, err := modfile.ParseLax(path, raw, nil)
	if err != nil {
		return "", err
	}
	for _, r := range f.Require {
		if r.Mod.Path == externalDNSModule {
			return r.Mod.Version, nil
		}
	}
	return "", fmt.Errorf("%s requires no %s", path, externalDNSModule)
}

// InstallExternalDNSCRD installs ExternalDNS's own DNSEndpoint CRD, taken from its module.
func InstallExternalDNSCRD(ctx context.Context, c client.Client) error {
	version, err := ExternalDNSVersion()
	if err != nil {
		return err
	}
	return InstallModuleCRD(ctx, c, externalDNSModule+"@"+version, "config/crd/standard/dnsendpoints.externaldns.k8s.io.yaml")
}

// StartExternalDNS runs the real ExternalDNS as an operator would beside Navarkos: its crd
// source reads the DNSEndpoint objects of the API server of kubeconfig, and its rfc2136
// provider writes them to the BIND at bind (see StartBIND) in zones, signing updates and
// zone transfers with BIND's key. It syncs every second and owns what it writes through TXT
// records of owner ExternalDNSOwner, so it deletes what it made and nothing else.
func StartExternalDNS(t *testing.T, kubeconfig, bind string, zones ...string) (output func() string) {
	t.Helper()
	if err := RequireBinaries("external-dns"); err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(bind)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{
		"--kubeconfig=" + kubeconfig,
		"--source=crd", "--crd-source-apiversion=externaldns.k8s.io/v1alpha1", "--crd-source-kind=DNSEndpoint",
		"--provider=rfc2136", "--rfc2136-host=" + host, "--rfc2136-port=" + port,
		"--rfc2136-tsig-keyname=navarkos", "--rfc2136-tsig-secret=" + BINDKey, "--rfc2136-tsig-secret-alg=hmac-sha256",
		"--rfc2136-axfr",
		"--registry=txt", "--txt-owner-id=" + ExternalDNSOwner, "--policy=sync", "--interval=1s",
		fmt.Sprintf("--metrics-address=127.0.0.1:%d", FreePort(t)),
	}
	for _, zone := range zones {
		// ExternalDNS matches names against zones written without the root's dot.
		zone = strings.TrimSuffix(zone, ".")
		args = append(args, "--rfc2136-zone="+zone, "--domain-filter="+zone)
	}
	return StartProcess(t, filepath.Join(BinDir(), "external-dns"), args...)
}
