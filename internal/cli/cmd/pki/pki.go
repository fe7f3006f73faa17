// Package pki implements `navarkos pki`.
package pki

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/navarkos/navarkos/internal/fleetpki"
)

// NewCommand returns `navarkos pki`.
func NewCommand() *cobra.Command {
	var r fleetpki.Request
	var kubeconfig string
	cmd := &cobra.Command{
		Use:   "pki",
		Short: "Make the certificates and kubeconfigs of a charts/navarkos release, once, into Secrets",
		Long: "Make the fleet CA, etcd's and the fleet API's certificates, the service-account key and one client\n" +
			"certificate per component into Secrets of the release's namespace, in the cluster this runs in. What\n" +
			"exists is kept (the serving certificate is renewed when its names change), so the chart's Job may run\n" +
			"it at every install and upgrade.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := rest.InClusterConfig()
			if kubeconfig != "" {
				cfg, err = clientcmd.BuildConfigFromFlags("", kubeconfig)
			}
			if err != nil {
				return fmt.Errorf("no cluster to write the Secrets to (run in a pod, or pass --management-kubeconfig): %w", err)
			}
			c, err := client.New(cfg, client.Options{})
			if err != nil {
				return err
			}
			if err := fleetpki.Ensure(cmd.Context(), c, r); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "PKI of %s in namespace %s is in place: Secrets %v\n", r.Prefix, r.Namespace, r.SecretNames())
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&kubeconfig, "management-kubeconfig", "", "kubeconfig of the cluster that holds the Secrets (default: the pod's own)")
	fs.StringVar(&r.Namespace, "namespace", "", "namespace of the release")
	fs.StringVar(&r.Prefix, "prefix", "", "the release's full name, which starts every Secret's name")
	fs.StringVar(&r.EtcdService, "etcd-service", "", "etcd's headless Service")
	fs.StringVar(&r.FleetAPIService, "fleet-api-service", "", "the fleet API's Service")
	fs.StringVar(&r.FleetAPIURL, "fleet-api-url", "", "the fleet API's in-cluster URL, for the kubeconfigs")
	fs.StringSliceVar(&r.ExtraSANs, "extra-san", nil, "more names and addresses of the fleet API's serving certificate")
	for _, name := range []string{"namespace", "prefix", "etcd-service", "fleet-api-service", "fleet-api-url"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}
