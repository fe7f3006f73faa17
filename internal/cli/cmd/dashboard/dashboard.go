// Package dashboard implements `navarkos dashboard`, a web UI of the fleet on loopback.
package dashboard

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/navarkos/navarkos/internal/cli/options"
	"github.com/navarkos/navarkos/internal/dashboard"
	"github.com/navarkos/navarkos/internal/dns"
	"github.com/navarkos/navarkos/internal/setup"
)

// NewCommand returns `navarkos dashboard`.
func NewCommand(g *options.Global) *cobra.Command {
	var addr, dnsServer, geoFile, historyFile string
	var namespaces []string
	var flags options.Planner
	cmd := &cobra.Command{
		Use:   "dashboard",
		Short: "Serve a live web UI of the fleet on loopback, opened by a URL with a one-time token",
		Long: `Serve the fleet dashboard on a loopback address until Ctrl-C. It reads the fleet API with
your own kubeconfig, so it shows what your RBAC lets you see, and needs no credential of its
own: a kind you may not read in every namespace is read in --namespace (by default your
kubeconfig context's). Open the URL it prints: its token admits your browser, which then
keeps it in a cookie. Everything it serves is in the binary; it works with no network.

Its pages: the fleet map; cost and demand over the last day (kept in --history-file, so
that a restart loses nothing); the planner's decisions and what it would do now; workloads
and where they run; global names, with the DNS server's answer as a region sees it; and a
simulator of the shipped or your own traces.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := flags.Options()
			if err != nil {
				return err
			}
			d := dashboard.Options{Namespaces: namespaces, DNSServer: dnsServer, Planner: opts.Config, HistoryFile: historyFile}
			if geoFile != "" {
				data, err := os.ReadFile(geoFile)
				if err != nil {
					return fmt.Errorf("--dns-geo: %w", err)
				}
				if d.Geo, err = dns.ParseGeoTable(data); err != nil {
					return fmt.Errorf("--dns-geo %s: %w", geoFile, err)
				}
			}
			cfg, err := g.RESTConfig()
			if err != nil {
				return err
			}
			if len(d.Namespaces) == 0 {
				d.Namespaces = []string{g.Namespace()}
			}
			if !cmd.Flags().Changed("history-file") {
				d.HistoryFile = defaultHistoryFile(cfg.Host)
			}
			url, done, err := dashboard.Listen(cmd.Context(), cfg, setup.Scheme(), addr, d)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Dashboard: %s\nPress Ctrl-C to stop it.\n", url)
			return <-done
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:0", "loopback address to serve on (port 0: a free one)")
	f.StringSliceVarP(&namespaces, "namespace", "n", nil, "namespaces to read the kinds you may not read in every namespace (default: the kubeconfig context's)")
	f.StringVar(&dnsServer, "dns-server", "127.0.0.1:5353", "the fleet's DNS server (host:port) that the global names page asks")
	f.StringVar(&geoFile, "dns-geo", "", "the DNS server's geo table (its --dns-geo file), so that the page can ask as a client of each region")
	f.StringVar(&historyFile, "history-file", "", "file keeping the last day's cost, demand and decisions (default: one per fleet API in the user cache directory; empty: memory only)")
	flags.AddConfigFlags(f)
	return cmd
}

// defaultHistoryFile is the history of the fleet API at host, in the user's cache directory.
func defaultHistoryFile(host string) string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	sum := sha256.Sum256([]byte(host))
	return filepath.Join(dir, "navarkos", "dashboard", hex.EncodeToString(sum[:8])+".jsonl")
}
