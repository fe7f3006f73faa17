package kwokctl

import (
	"bytes"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// TestStagesDelayOnlyPodReady: the configuration holds kwok's node and pod stages, all of
// them, since it replaces kwokctl's defaults, and only pod-ready waits.
func TestStagesDelayOnlyPodReady(t *testing.T) {
	data, err := stages(3 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	delays := map[string]any{}
	for _, doc := range bytes.Split(data, []byte("---\n")) {
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var stage struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
			Spec struct {
				ResourceRef struct {
					Kind string `json:"kind"`
				} `json:"resourceRef"`
				Delay map[string]any `json:"delay"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(doc, &stage); err != nil {
			t.Fatalf("a document does not parse: %v", err)
		}
		if stage.Kind != "Stage" {
			t.Fatalf("a document of kind %q", stage.Kind)
		}
		delays[stage.Spec.ResourceRef.Kind+"/"+stage.Metadata.Name] = stage.Spec.Delay["durationMilliseconds"]
	}
	if len(delays) != 5 {
		t.Fatalf("want 2 node and 3 pod stages, got %v", delays)
	}
	if got := delays["Pod/pod-ready"]; got != float64(3000) {
		t.Errorf("pod-ready waits %v ms, want 3000", got)
	}
	for _, name := range []string{"Pod/pod-complete", "Pod/pod-delete", "Node/node-initialize"} {
		if got, ok := delays[name]; !ok || got != nil {
			t.Errorf("stage %s: present %v, delay %v; want it present and undelayed", name, ok, got)
		}
	}
}
