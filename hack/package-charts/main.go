// Command package-charts makes a Helm chart repository of charts/fn and charts/navarkos:
// `make charts` writes the archives and index.yaml to dist/charts, ready to serve over HTTP
// (`helm repo add navarkos URL`).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/navarkos/navarkos/charts"
)

func main() {
	dest := flag.String("o", "dist/charts", "directory of the repository")
	url := flag.String("url", "", "URL the repository is served from; empty gives relative archive URLs")
	flag.Parse()
	index, err := charts.PackageRepository([]string{"charts/fn", "charts/navarkos"}, *dest, *url)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for name, versions := range index.Entries {
		for _, v := range versions {
			fmt.Printf("%s %s (app %s): %s\n", name, v.Version, v.AppVersion, v.URLs[0])
		}
	}
	fmt.Printf("index: %s/index.yaml\n", *dest)
}
