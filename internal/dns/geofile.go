package dns

import (
	"fmt"
	"net/netip"
	"slices"

	"sigs.k8s.io/yaml"
)

// geoFile is the YAML form of a GeoTable:
//
//	prefixes: {10.1.0.0/16: us-east, 10.2.0.0/16: eu-west}
//	nearest: {eu-west: [us-east, ap-south]}
type geoFile struct {
	Prefixes map[string]string   `json:"prefixes"`
	Nearest  map[string][]string `json:"nearest"`
}

// ParseGeoTable reads a GeoTable from YAML, naming the entry at fault in any error.
func ParseGeoTable(data []byte) (*GeoTable, error) {
	var f geoFile
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return nil, fmt.Errorf("the geo table does not parse: %w", err)
	}
	g := &GeoTable{Nearest: f.Nearest}
	cidrs := make([]string, 0, len(f.Prefixes))
	for cidr := range f.Prefixes {
		cidrs = append(cidrs, cidr)
	}
	slices.Sort(cidrs)
	for _, cidr := range cidrs {
		p, err := netip.ParsePrefix(cidr)
		if err != nil {
			return nil, fmt.Errorf("prefixes: %q is not a CIDR: %w", cidr, err)
		}
		if f.Prefixes[cidr] == "" {
			return nil, fmt.Errorf("prefixes: %s has no region", cidr)
		}
		g.Prefixes = append(g.Prefixes, GeoPrefix{Prefix: p.Masked(), Region: f.Prefixes[cidr]})
	}
	return g, nil
}
