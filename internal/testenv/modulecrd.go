package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"k8s.io/apiextensions-apiserver/pkg/apihelpers"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// GatewayAPIVersion is the Gateway API release whose HTTPRoute CRD the chart tests install.
const GatewayAPIVersion = "v1.6.3"

// InstallHTTPRouteCRD installs the Gateway API's own HTTPRoute CRD, taken from its module.
func InstallHTTPRouteCRD(ctx context.Context, c client.Client) error {
	return InstallModuleCRD(ctx, c, "sigs.k8s.io/gateway-api@"+GatewayAPIVersion, "config/crd/standard/gateway.networking.k8s.io_httproutes.yaml")
}

// InstallModuleCRD installs a CRD file of a Go module (downloaded through the Go module proxy)
// and waits until it is served.
func InstallModuleCRD(ctx context.Context, c client.Client, moduleAtVersion, file string) error {
	dir, err := moduleDir(ctx, moduleAtVersion)
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(file)))
	if err != nil {
		return err
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.Unmarshal(raw, crd); err != nil {
		return fmt.Errorf("the CRD %s of %s does not parse: %w", file, moduleAtVersion, err)
	}
	return installCRD(ctx, c, crd)
}

// moduleDir downloads a module through the Go module proxy (or finds it in the module
// cache) and returns its directory.
func moduleDir(ctx context.Context, moduleAtVersion string) (string, error) {
	tmp, err := os.MkdirTemp("", "crdmodule")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", moduleAtVersion)
	cmd.Dir = tmp // outside any module
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("failed to download %s: %w", moduleAtVersion, err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		return "", fmt.Errorf("go mod download gave no directory for %s: %s", moduleAtVersion, out)
	}
	return mod.Dir, nil
}

// installCRD creates a CRD and waits until it is established.
func installCRD(ctx context.Context, c client.Client, crd *apiextensionsv1.CustomResourceDefinition) error {
	if err := c.Create(ctx, crd); client.IgnoreAlreadyExists(err) != nil {
		return fmt.Errorf("failed to create the CRD %s: %w", crd.Name, err)
	}
	// The setup package has the same wait, but importing it here would cycle through its tests.
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		got := &apiextensionsv1.CustomResourceDefinition{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(crd), got); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		return apihelpers.IsCRDConditionTrue(got, apiextensionsv1.Established), nil
	})
	if err != nil {
		return fmt.Errorf("waiting for the CRD %s to be established: %w", crd.Name, err)
	}
	return nil
}
