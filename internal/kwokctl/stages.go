package kwokctl

import (
	"bytes"
	"fmt"
	"time"

	nodefast "sigs.k8s.io/kwok/kustomize/stage/node/fast"
	nodelease "sigs.k8s.io/kwok/kustomize/stage/node/heartbeat-with-lease"
	podfast "sigs.k8s.io/kwok/kustomize/stage/pod/fast"
	"sigs.k8s.io/yaml"
)

// podReadyStage names kwok's stage that makes a scheduled pod Running and Ready.
const podReadyStage = "pod-ready"

// stages is a kwok configuration of the Stages of a cluster whose pods become Ready
// podReadyDelay after they are scheduled, as a real kubelet's pull, start and readiness probe
// take time. They are kwok's own default stages (kwokctl's for the binary runtime: fast node
// initialisation, heartbeats with leases, fast pods), with that delay on pod-ready: a
// configuration that names any Stage replaces all of kwokctl's defaults.
func stages(podReadyDelay time.Duration) ([]byte, error) {
	var out bytes.Buffer
	for _, doc := range []string{nodefast.DefaultNodeInit, nodelease.DefaultNodeHeartbeatWithLease,
		podfast.DefaultPodReady, podfast.DefaultPodComplete, podfast.DefaultPodDelete} {
		stage := map[string]any{}
		if err := yaml.Unmarshal([]byte(doc), &stage); err != nil {
			return nil, fmt.Errorf("failed to read kwok's default stage: %w", err)
		}
		meta, _ := stage["metadata"].(map[string]any)
		spec, _ := stage["spec"].(map[string]any)
		if meta["name"] == podReadyStage && spec != nil {
			spec["delay"] = map[string]any{"durationMilliseconds": podReadyDelay.Milliseconds()}
		}
		data, err := yaml.Marshal(stage)
		if err != nil {
			return nil, err
		}
		out.WriteString("---\n")
		out.Write(data)
	}
	return out.Bytes(), nil
}
