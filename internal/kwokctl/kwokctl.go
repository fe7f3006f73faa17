package kwokctl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Runner runs kwokctl against one work directory, with the binaries of one bin directory.
type Runner struct {
	// BinDir holds kwokctl, kwok, etcd, kube-apiserver, kube-controller-manager and kube-scheduler.
	BinDir string
	// WorkDir is kwokctl's KWOK_WORKDIR; each cluster lives in WorkDir/clusters/<name>.
	WorkDir string
	// KubeVersion is the version the binaries report, e.g. v1.37.2.
	KubeVersion string
}

// CreateOptions tunes a new cluster.
type CreateOptions struct {
	// Disable lists components not to run, e.g. kube-scheduler.
	Disable []string
	// ExtraArgs are component=flag=value pairs.
	ExtraArgs []string
	// APIServerPort fixes the kube-apiserver port; 0 picks a free one.
	APIServerPort int
	// Wait is how long kwokctl waits for the cluster to be ready.
	Wait time.Duration
}

// ClusterDir is the directory that holds a cluster's configuration, PKI, data, logs and pid files.
func (r Runner) ClusterDir(name string) string {
	return filepath.Join(r.WorkDir, "clusters", name)
}

// KubeconfigPath is the admin kubeconfig kwokctl writes for a cluster.
func (r Runner) KubeconfigPath(name string) string {
	return filepath.Join(r.ClusterDir(name), "kubeconfig.yaml")
}

// completeMarker is written into a cluster's directory once its creation has finished.
const completeMarker = "navarkos-created"

// Complete reports whether the cluster's creation finished. A cluster that exists but is
// not complete is the leftover of a creation that was interrupted.
func (r Runner) Complete(name string) bool {
	_, err := os.Stat(filepath.Join(r.ClusterDir(name), completeMarker))
	return err == nil
}

// Exists reports whether kwokctl has a configuration for the cluster.
func (r Runner) Exists(name string) bool {
	_, err := os.Stat(filepath.Join(r.ClusterDir(name), "kwok.yaml"))
	return err == nil
}

// Clusters lists the clusters in the work directory.
func (r Runner) Clusters() ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(r.WorkDir, "clusters"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to list local clusters in %s: %w", r.WorkDir, err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && r.Exists(e.Name()) {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// Processes returns the live processes of a cluster, by component.
// Pid files whose process is gone (or a zombie) are removed, so that kwokctl starts that component again.
func (r Runner) Processes(name string) (map[string]int, error) {
	dir := filepath.Join(r.ClusterDir(name), "pids")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read pid files of local cluster %s: %w", name, err)
	}
	live := map[string]int{}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		component := strings.TrimSuffix(e.Name(), ".pid")
		raw, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
		if err == nil && Alive(pid) {
			live[component] = pid
			continue
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("failed to remove stale pid file %s: %w", path, err)
		}
	}
	return live, nil
}

// Alive reports whether a process runs. A zombie, killed but not yet reaped, does not count.
func Alive(pid int) bool {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses and may hold spaces.
	s := string(raw)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return false
	}
	state := s[i+2]
	return state != 'Z' && state != 'X'
}

// Create makes and starts a cluster, waiting for it to be ready.
func (r Runner) Create(ctx context.Context, name string, opts CreateOptions) error {
	wait := opts.Wait
	if wait == 0 {
		wait = 2 * time.Minute
	}
	args := []string{
		"create", "cluster",
		"--runtime", "binary",
		"--kubeconfig", "",
		"--wait", wait.String(),
		"--etcd-binary", r.bin("etcd"),
		"--kube-apiserver-binary", r.bin("kube-apiserver"),
		"--kube-controller-manager-binary", r.bin("kube-controller-manager"),
		"--kube-scheduler-binary", r.bin("kube-scheduler"),
		"--kwok-controller-binary", r.bin("kwok"),
	}
	if opts.APIServerPort != 0 {
		args = append(args, "--kube-apiserver-port", strconv.Itoa(opts.APIServerPort))
	}
	if len(opts.Disable) > 0 {
		args = append(args, "--disable", strings.Join(opts.Disable, ","))
	}
	for _, a := range opts.ExtraArgs {
		args = append(args, "--extra-args", a)
	}
	if err := r.run(ctx, name, args...); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(r.ClusterDir(name), completeMarker), nil, 0o600); err != nil {
		return fmt.Errorf("failed to mark local cluster %s as created: %w", name, err)
	}
	return nil
}

// Start starts the stopped components of a cluster and waits until its API serves.
func (r Runner) Start(ctx context.Context, name string) error {
	if _, err := r.Processes(name); err != nil {
		return err
	}
	return r.run(ctx, name, "start", "cluster")
}

// Stop stops every component of a cluster and keeps its data.
func (r Runner) Stop(ctx context.Context, name string) error {
	if _, err := r.Processes(name); err != nil {
		return err
	}
	return r.run(ctx, name, "stop", "cluster")
}

// Delete stops a cluster and removes its directory. Deleting a missing cluster succeeds.
func (r Runner) Delete(ctx context.Context, name string) error {
	if r.Exists(name) {
		if _, err := r.Processes(name); err != nil {
			return err
		}
		// kwokctl removes a context from this kubeconfig; pointing it into the work directory keeps the user's own untouched.
		contexts := filepath.Join(r.WorkDir, "kwokctl-contexts.kubeconfig")
		if err := r.run(ctx, name, "delete", "cluster", "--kubeconfig", contexts); err != nil {
			return err
		}
	}
	// kwokctl leaves the directory when creation failed half-way; nothing in it is worth keeping.
	if err := os.RemoveAll(r.ClusterDir(name)); err != nil {
		return fmt.Errorf("failed to remove the directory of local cluster %s: %w", name, err)
	}
	return nil
}

func (r Runner) bin(name string) string { return filepath.Join(r.BinDir, name) }

func (r Runner) run(ctx context.Context, name string, args ...string) error {
	args = append([]string{"--name", name}, args...)
	cmd := exec.CommandContext(ctx, r.bin("kwokctl"), args...)
	cmd.Env = append(os.Environ(), "KWOK_WORKDIR="+r.WorkDir)
	if r.KubeVersion != "" {
		cmd.Env = append(cmd.Env, "KWOK_KUBE_VERSION="+r.KubeVersion)
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		verb := strings.Join(args[2:min(4, len(args))], " ")
		return fmt.Errorf("kwokctl %s %s failed: %w: %s", verb, name, err, lastLines(out.String(), 3, 300))
	}
	return nil
}

// lastLines keeps the tail of a command's output for an error message: n lines of at most width bytes.
func lastLines(s string, n, width int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for i, l := range lines {
		if len(l) > width {
			lines[i] = l[:width] + "…"
		}
	}
	return strings.Join(lines, " | ")
}
