// Package fleetpki makes the certificates and kubeconfigs of a fleet control plane run by the
// charts/navarkos chart, once, into Secrets of the management cluster: the chart renders the
// same objects every time (helm template, dry runs and GitOps see no change), and a Job of
// the release calls Ensure, which creates what is missing and keeps what is there.
package fleetpki

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Identities of the fleet API's clients, as the fleet RBAC names them.
const (
	// ControllerUser and ControllersGroup are the Navarkos controllers.
	ControllerUser   = "navarkos-controller"
	ControllersGroup = "navarkos:controllers"
	// KubeControllerManagerUser is the housekeeping controllers' user, which Kubernetes'
	// bootstrap RBAC already grants what they need.
	KubeControllerManagerUser = "system:kube-controller-manager"
	// AdminUser and AdminsGroup are the fleet's administrators: cluster-admin by a binding.
	AdminUser   = "navarkos-admin"
	AdminsGroup = "navarkos:fleet-admins"
	// BootstrapUser is the fleet API pod's own setup client (CRDs and RBAC): the only
	// system:masters credential, mounted nowhere else.
	BootstrapUser = "navarkos-bootstrap"
)

// Validity is how long every certificate is valid.
const Validity = 10 * 365 * 24 * time.Hour

// Request names the release whose PKI is made.
type Request struct {
	// Namespace holds the Secrets; Prefix starts their names (the release's full name).
	Namespace, Prefix string
	// EtcdService is etcd's headless Service, whose members the etcd certificate names.
	EtcdService string
	// FleetAPIService is the fleet API's Service; FleetAPIURL its in-cluster address.
	FleetAPIService, FleetAPIURL string
	// ExtraSANs are more names and addresses of the fleet API's serving certificate.
	ExtraSANs []string
}

// Secret names, by Request.Prefix.
func (r Request) caSecret() string         { return r.Prefix + "-ca" }
func (r Request) pkiSecret() string        { return r.Prefix + "-pki" }
func (r Request) controllerSecret() string { return r.Prefix + "-controller-kubeconfig" }
func (r Request) adminSecret() string      { return r.Prefix + "-admin-kubeconfig" }

// SecretNames lists the Secrets Ensure writes, for the Job's Role.
func (r Request) SecretNames() []string {
	return []string{r.caSecret(), r.pkiSecret(), r.controllerSecret(), r.adminSecret()}
}

// Validate checks a request before anything is made: every name set, and each extra SAN an
// IP address or a DNS name.
func (r Request) Validate() error {
	for flag, v := range map[string]string{"namespace": r.Namespace, "prefix": r.Prefix, "etcd-service": r.EtcdService,
		"fleet-api-service": r.FleetAPIService, "fleet-api-url": r.FleetAPIURL} {
		if v == "" {
			return fmt.Errorf("--%s must not be empty", flag)
		}
	}
	for _, san := range r.ExtraSANs {
		if net.ParseIP(san) == nil && len(validation.IsDNS1123Subdomain(san)) > 0 {
			return fmt.Errorf("--extra-san %q is neither an IP address nor a DNS name", san)
		}
	}
	return nil
}

// Ensure creates the Secrets that are missing and renews the fleet API's serving certificate
// when its names changed; it changes nothing else, so that running it again is safe.
func Ensure(ctx context.Context, c client.Client, r Request) error {
	if err := r.Validate(); err != nil {
		return err
	}
	ca, err := ensureCA(ctx, c, r)
	if err != nil {
		return err
	}
	pki := &corev1.Secret{}
	err = c.Get(ctx, client.ObjectKey{Namespace: r.Namespace, Name: r.pkiSecret()}, pki)
	switch {
	case apierrors.IsNotFound(err):
		data, err := newPKI(ca, r)
		if err != nil {
			return err
		}
		if err := create(ctx, c, r, r.pkiSecret(), data); err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("failed to read Secret %s: %w", r.pkiSecret(), err)
	default:
		if err := renewServing(ctx, c, ca, r, pki); err != nil {
			return err
		}
	}
	for name, user := range map[string]struct{ cn, group string }{
		r.controllerSecret(): {ControllerUser, ControllersGroup},
		r.adminSecret():      {AdminUser, AdminsGroup},
	} {
		err := c.Get(ctx, client.ObjectKey{Namespace: r.Namespace, Name: name}, &corev1.Secret{})
		if !apierrors.IsNotFound(err) {
			if err != nil {
				return fmt.Errorf("failed to read Secret %s: %w", name, err)
			}
			continue
		}
		kc, err := clientKubeconfig(ca, r.FleetAPIURL, user.cn, user.group)
		if err != nil {
			return err
		}
		if err := create(ctx, c, r, name, map[string][]byte{"kubeconfig": kc}); err != nil {
			return err
		}
	}
	return nil
}

// authority is the fleet CA.
type authority struct {
	cert *x509.Certificate
	key  crypto.Signer
	pem  []byte
}

func ensureCA(ctx context.Context, c client.Client, r Request) (*authority, error) {
	s := &corev1.Secret{}
	err := c.Get(ctx, client.ObjectKey{Namespace: r.Namespace, Name: r.caSecret()}, s)
	if apierrors.IsNotFound(err) {
		// A PKI without its CA was made by an older chart, whose CA key was never kept.
		if err := c.Get(ctx, client.ObjectKey{Namespace: r.Namespace, Name: r.pkiSecret()}, &corev1.Secret{}); err == nil {
			return nil, fmt.Errorf("secret %s exists without the CA Secret %s (made by an older chart, which kept no CA key): "+
				"delete it, and etcd's claims, to start a new fleet", r.pkiSecret(), r.caSecret())
		}
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		tmpl := template("navarkos-fleet-ca", nil)
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
		if err != nil {
			return nil, err
		}
		keyPEM, err := encodeKey(key)
		if err != nil {
			return nil, err
		}
		data := map[string][]byte{"ca.crt": encodeCert(der), "ca.key": keyPEM}
		if err := create(ctx, c, r, r.caSecret(), data); err != nil {
			return nil, err
		}
		return parseAuthority(data)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read Secret %s: %w", r.caSecret(), err)
	}
	return parseAuthority(s.Data)
}

func parseAuthority(data map[string][]byte) (*authority, error) {
	block, _ := pem.Decode(data["ca.crt"])
	if block == nil {
		return nil, errors.New("the CA Secret holds no PEM certificate in ca.crt")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("ca.crt: %w", err)
	}
	block, _ = pem.Decode(data["ca.key"])
	if block == nil {
		return nil, errors.New("the CA Secret holds no PEM key in ca.key")
	}
	key, err := x509.ParseECPrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("ca.key: %w", err)
	}
	return &authority{cert: cert, key: key, pem: data["ca.crt"]}, nil
}

// newPKI makes what the fleet API and etcd pods mount.
func newPKI(ca *authority, r Request) (map[string][]byte, error) {
	data := map[string][]byte{"ca.crt": ca.pem}
	etcdNames := []string{"localhost", fmt.Sprintf("*.%s.%s.svc", r.EtcdService, r.Namespace),
		fmt.Sprintf("*.%s.%s.svc.cluster.local", r.EtcdService, r.Namespace), fmt.Sprintf("%s.%s.svc", r.EtcdService, r.Namespace)}
	for _, c := range []struct {
		name, cn  string
		names     []string
		usage     []x509.ExtKeyUsage
		groups    []string
		addresses []string
	}{
		{"etcd", "navarkos-etcd", etcdNames, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, nil, []string{"127.0.0.1"}},
		{"etcd-client", "navarkos-fleet-api", nil, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, nil, nil},
	} {
		crt, key, err := issue(ca, c.cn, c.groups, c.names, c.addresses, c.usage)
		if err != nil {
			return nil, err
		}
		data[c.name+".crt"], data[c.name+".key"] = crt, key
	}
	if err := issueServing(ca, r, data); err != nil {
		return nil, err
	}
	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	if data["sa.key"], err = encodeKey(saKey); err != nil {
		return nil, err
	}
	// The housekeeping controllers and the bootstrap run in the fleet API's pod, on loopback.
	for file, user := range map[string]struct{ cn, group string }{
		"kcm.kubeconfig":       {KubeControllerManagerUser, ""},
		"bootstrap.kubeconfig": {BootstrapUser, "system:masters"},
	} {
		if data[file], err = clientKubeconfig(ca, "https://127.0.0.1:6443", user.cn, user.group); err != nil {
			return nil, err
		}
	}
	return data, nil
}

// servingNames are the fleet API's DNS names and IP addresses.
func servingNames(r Request) (names, addresses []string) {
	svc := r.FleetAPIService
	names = []string{"localhost", svc, svc + "." + r.Namespace, svc + "." + r.Namespace + ".svc", svc + "." + r.Namespace + ".svc.cluster.local"}
	addresses = []string{"127.0.0.1"}
	for _, san := range r.ExtraSANs {
		if net.ParseIP(san) != nil {
			addresses = append(addresses, san)
		} else {
			names = append(names, san)
		}
	}
	return names, addresses
}

func issueServing(ca *authority, r Request, data map[string][]byte) error {
	names, addresses := servingNames(r)
	crt, key, err := issue(ca, "navarkos-fleet-api", nil, names, addresses, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth})
	if err != nil {
		return err
	}
	data["apiserver.crt"], data["apiserver.key"] = crt, key
	return nil
}

// renewServing reissues the fleet API's serving certificate when the names it must cover
// changed (extraSANs), and leaves everything else as it is.
func renewServing(ctx context.Context, c client.Client, ca *authority, r Request, pki *corev1.Secret) error {
	names, addresses := servingNames(r)
	if block, _ := pem.Decode(pki.Data["apiserver.crt"]); block != nil {
		if cert, err := x509.ParseCertificate(block.Bytes); err == nil && sameNames(cert, names, addresses) {
			return nil
		}
	}
	if err := issueServing(ca, r, pki.Data); err != nil {
		return err
	}
	if err := c.Update(ctx, pki); err != nil {
		return fmt.Errorf("failed to renew the fleet API's serving certificate in Secret %s: %w", pki.Name, err)
	}
	return nil
}

func sameNames(cert *x509.Certificate, names, addresses []string) bool {
	var got []string
	for _, ip := range cert.IPAddresses {
		got = append(got, ip.String())
	}
	var want []string
	for _, a := range addresses {
		want = append(want, net.ParseIP(a).String())
	}
	return slices.Equal(slices.Sorted(slices.Values(cert.DNSNames)), slices.Sorted(slices.Values(names))) &&
		slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want)))
}

// clientKubeconfig is a kubeconfig of the fleet API with a client certificate for one user.
func clientKubeconfig(ca *authority, server, user, group string) ([]byte, error) {
	var groups []string
	if group != "" {
		groups = []string{group}
	}
	crt, key, err := issue(ca, user, groups, nil, nil, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth})
	if err != nil {
		return nil, err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["fleet"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca.pem}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificateData: crt, ClientKeyData: key}
	cfg.Contexts["fleet"] = &clientcmdapi.Context{Cluster: "fleet", AuthInfo: user}
	cfg.CurrentContext = "fleet"
	return clientcmd.Write(*cfg)
}

// issue makes a key and a certificate signed by the CA: the common name is the user and the
// organisations its groups, as the API server reads client certificates.
func issue(ca *authority, cn string, groups, names, addresses []string, usage []x509.ExtKeyUsage) (crt, key []byte, err error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := template(cn, groups)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = usage
	tmpl.DNSNames = names
	for _, a := range addresses {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(a))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, k.Public(), ca.key)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to sign the certificate of %s: %w", cn, err)
	}
	keyPEM, err := encodeKey(k)
	return encodeCert(der), keyPEM, err
}

func template(cn string, groups []string) *x509.Certificate {
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn, Organization: groups},
		NotBefore:    now.Add(-time.Hour), // clocks of the nodes may differ a little
		NotAfter:     now.Add(Validity),
	}
}

func encodeCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// encodeKey writes a key as SEC 1 ("EC PRIVATE KEY"), which every reader here takes:
// kube-apiserver's service-account keys do not take PKCS #8.
func encodeKey(k *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

// create writes one Secret, kept when the release is uninstalled: etcd's data needs its CA.
func create(ctx context.Context, c client.Client, r Request, name string, data map[string][]byte) error {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: r.Namespace, Name: name, Labels: map[string]string{
			"app.kubernetes.io/part-of": "navarkos", "app.kubernetes.io/component": "pki",
		}},
		Type: corev1.SecretTypeOpaque, Data: data,
	}
	if err := c.Create(ctx, s); err != nil {
		return fmt.Errorf("failed to create Secret %s/%s: %w", r.Namespace, name, err)
	}
	return nil
}
