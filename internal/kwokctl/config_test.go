package kwokctl

import (
	"bytes"
	"strings"
	"testing"
	"time"

	configv1alpha1 "sigs.k8s.io/kwok/pkg/apis/config/v1alpha1"
	"sigs.k8s.io/yaml"
)

// TestConfigFileCarriesTheComponentsEnvironment: a creation's configuration is, in kwok's own
// types read strictly, the loopback bind address and one patch per component with its
// variables in order, followed by the Stages when pods wait; a malformed pair is refused.
func TestConfigFileCarriesTheComponentsEnvironment(t *testing.T) {
	data, err := configFile(CreateOptions{
		Env:           []string{"kube-apiserver=GOGC=50", "etcd=GOGC=50", "kube-apiserver=GOMAXPROCS=1"},
		PodReadyDelay: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	docs := bytes.Split(bytes.TrimPrefix(data, []byte("---\n")), []byte("---\n"))
	var conf configv1alpha1.KwokctlConfiguration
	if err := yaml.UnmarshalStrict(docs[0], &conf); err != nil {
		t.Fatalf("the first document is not a KwokctlConfiguration: %v\n%s", err, docs[0])
	}
	if conf.Kind != "KwokctlConfiguration" || conf.Options.BindAddress != "127.0.0.1" {
		t.Fatalf("kind %q, bind address %q: want KwokctlConfiguration on 127.0.0.1", conf.Kind, conf.Options.BindAddress)
	}
	var got []string
	for _, p := range conf.ComponentsPatches {
		for _, e := range p.ExtraEnvs {
			got = append(got, p.Name+"="+e.Name+"="+e.Value)
		}
	}
	if want := "kube-apiserver=GOGC=50 kube-apiserver=GOMAXPROCS=1 etcd=GOGC=50"; strings.Join(got, " ") != want {
		t.Fatalf("patches %v, want %s", got, want)
	}
	if len(docs) < 2 || !bytes.Contains(docs[1], []byte("kind: Stage")) {
		t.Fatal("no Stages follow the configuration, though pods wait")
	}

	shared, err := configFile(CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(shared, []byte("componentsPatches")) || bytes.Contains(shared, []byte("Stage")) {
		t.Fatalf("the shared configuration has patches or Stages:\n%s", shared)
	}
	for _, bad := range []string{"GOGC=50", "kube-apiserver=GOGC", "=GOGC=50", "etcd==1"} {
		if _, err := configFile(CreateOptions{Env: []string{bad}}); err == nil {
			t.Errorf("environment %q was taken", bad)
		}
	}
}
