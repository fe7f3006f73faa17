package planner_test

import (
	"encoding/json"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// unstructuredPool builds a ClusterPool from raw JSON, so that a test can send what the typed API cannot say.
type unstructuredPool struct {
	u *unstructured.Unstructured
}

func (p *unstructuredPool) fill(obj map[string]any, specJSON string) {
	var spec map[string]any
	if err := json.Unmarshal([]byte(specJSON), &spec); err != nil {
		panic(err)
	}
	obj["spec"] = spec
	p.u = &unstructured.Unstructured{Object: obj}
}
