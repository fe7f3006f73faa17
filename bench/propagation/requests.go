package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// printAPIRequests prints the fleet API server's busiest request kinds, from its own
// apiserver_request_total counter, to show what the controllers ask of it.
func printAPIRequests(ctx context.Context, kubeconfigPath string, top int) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfigPath)
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	counts, err := requestCounts(ctx, cs)
	if err != nil {
		return fmt.Errorf("failed to read the fleet API server's metrics: %w", err)
	}
	fmt.Printf("\n| fleet API requests | count |\n|---|---|\n")
	for _, k := range busiest(counts, top) {
		fmt.Printf("| %s | %.0f |\n", k, counts[k])
	}
	return nil
}

// printMemberRequests prints what one member's API server served per Deployment, made
// directly and through Navarkos: the differences of its request counters over each phase.
func printMemberRequests(member string, n int, before, afterDirect, afterFleet map[string]float64) {
	direct, fleet := map[string]float64{}, map[string]float64{}
	for k, v := range afterFleet {
		direct[k] = (afterDirect[k] - before[k]) / float64(n)
		fleet[k] = (v - afterDirect[k]) / float64(n)
	}
	either := map[string]float64{}
	for k := range fleet {
		either[k] = max(direct[k], fleet[k])
	}
	fmt.Printf("\n| requests to member %s per Deployment | direct | through Navarkos |\n|---|---|---|\n", member)
	for _, k := range busiest(either, 10) {
		if fleet[k] >= 0.05 || direct[k] >= 0.05 {
			fmt.Printf("| %s | %.2f | %.2f |\n", k, direct[k], fleet[k])
		}
	}
}

// requestCounts reads an API server's apiserver_request_total, summed by verb and resource.
func requestCounts(ctx context.Context, cs kubernetes.Interface) (map[string]float64, error) {
	raw, err := cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, err
	}
	counts := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "apiserver_request_total{") {
			continue
		}
		labels, value, _ := strings.Cut(line[len("apiserver_request_total{"):], "} ")
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		l := parseLabels(labels)
		counts[l["verb"]+" "+l["resource"]+optional("/", l["subresource"])] += v
	}
	return counts, sc.Err()
}

// busiest returns the keys of the top largest counts, largest first.
func busiest(counts map[string]float64, top int) []string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return counts[keys[i]] > counts[keys[j]] })
	return keys[:min(top, len(keys))]
}

func parseLabels(s string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if ok {
			out[k] = strings.Trim(v, `"`)
		}
	}
	return out
}

func optional(sep, s string) string {
	if s == "" {
		return ""
	}
	return sep + s
}
