package simulate

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/util/yaml"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// ParsePools reads ClusterPool objects from a YAML stream, with documents separated by ---.
func ParsePools(r io.Reader) ([]n6sv1alpha1.ClusterPool, error) {
	dec := yaml.NewYAMLOrJSONDecoder(bufio.NewReader(r), 4096)
	var pools []n6sv1alpha1.ClusterPool
	for i := 1; ; i++ {
		var p n6sv1alpha1.ClusterPool
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if p.Kind == "" && p.Name == "" {
			continue // an empty document
		}
		if p.Kind != "ClusterPool" || p.Name == "" {
			return nil, fmt.Errorf("document %d: want a named ClusterPool, got kind %q name %q", i, p.Kind, p.Name)
		}
		if p.Spec.NodesPerCluster.Max < 1 || p.Spec.Clusters.Max < 1 || p.Spec.NodeShape.Pods < 1 {
			return nil, fmt.Errorf("ClusterPool %s: clusters.max, nodesPerCluster.max and nodeShape.pods must be at least 1", p.Name)
		}
		if pr := p.Spec.Price; pr.PerNodeHour.Sign() < 0 || (pr.PerClusterHour != nil && pr.PerClusterHour.Sign() < 0) ||
			(pr.HibernatedPerClusterHour != nil && pr.HibernatedPerClusterHour.Sign() < 0) {
			return nil, fmt.Errorf("ClusterPool %s: prices must not be negative", p.Name)
		}
		pools = append(pools, p)
	}
	if len(pools) == 0 {
		return nil, errors.New("no ClusterPool found")
	}
	return pools, nil
}
