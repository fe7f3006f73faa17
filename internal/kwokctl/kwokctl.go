package kwokctl

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/yaml"
)

// Runner runs kwokctl against one work directory, with the binaries of one bin directory.
type Runner struct {
	// BinDir holds kwokctl, kwok, etcd, kube-apiserver, kube-controller-manager and kube-scheduler.
	BinDir string
	// WorkDir is kwokctl's KWOK_WORKDIR; each cluster lives in WorkDir/clusters/<name>.
	WorkDir string
	// KubeVersion is the version the binaries report, e.g. v1.37.2.
	KubeVersion string
	// CommandTimeout bounds each kwokctl command whose context has no deadline, beyond a
	// creation's own wait; 0 means DefaultCommandTimeout.
	CommandTimeout time.Duration
}

// NoFsync is the extra argument that makes a cluster's etcd skip fsync. Nothing is lost when
// an etcd process is killed, since the kernel keeps its writes; only a crash of the machine
// could lose the last of them. Local clusters share one disk, which fsync would otherwise keep busy.
const NoFsync = "etcd=unsafe-no-fsync=true"

// CreateOptions tunes a new cluster.
type CreateOptions struct {
	// Disable lists components not to run, e.g. kube-scheduler.
	Disable []string
	// ExtraArgs are component=flag=value pairs.
	ExtraArgs []string
	// Env are component=NAME=VALUE environment variables of the components.
	Env []string
	// APIServerPort fixes the kube-apiserver port; 0 picks a free one.
	APIServerPort int
	// Wait is how long kwokctl waits for the cluster to be ready.
	Wait time.Duration
	// PodReadyDelay is how long a scheduled pod takes to become Running and Ready; 0 keeps
	// kwok's instant pods.
	PodReadyDelay time.Duration
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
// Pid files whose process is gone (or a zombie), or whose pid now belongs to a program not
// run from the cluster's directory, are removed, so that kwokctl starts that component again.
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
		if err == nil && Alive(pid) && runsFrom(pid, r.ClusterDir(name)) {
			live[component] = pid
			continue
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("failed to remove stale pid file %s: %w", path, err)
		}
	}
	return live, nil
}

// runsFrom reports whether the process runs a program from the cluster's directory, as
// kwokctl starts every component (<cluster>/bin/<component>). A pid file that outlived its
// process, after a reboot say, may name a reused pid of an unrelated process: that one is
// never listed, so never signalled.
func runsFrom(pid int, clusterDir string) bool {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	argv0, _, _ := strings.Cut(string(raw), "\x00")
	dir, err := filepath.Abs(clusterDir)
	if err != nil {
		return false
	}
	return strings.HasPrefix(argv0, dir+string(filepath.Separator))
}

// Alive reports whether a process still runs or holds resources such as ports. A zombie
// counts as gone once all its threads have exited: a killed multi-threaded process shows
// state Z while its other threads still tear down and hold its sockets.
func Alive(pid int) bool {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return false
	}
	var state string
	threads := 1
	for _, line := range strings.Split(string(raw), "\n") {
		key, value, _ := strings.Cut(line, ":")
		value = strings.TrimSpace(value)
		switch key {
		case "State":
			state = value
		case "Threads":
			if n, err := strconv.Atoi(value); err == nil {
				threads = n
			}
		}
	}
	zombie := strings.HasPrefix(state, "Z") || strings.HasPrefix(state, "X")
	return !zombie || threads > 1
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
	cfg, err := r.writeCreateConfig(name, opts)
	if err != nil {
		return err
	}
	defer os.Remove(cfg)
	if err := r.runWith(ctx, name, cfg, args...); err != nil {
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

// Stop stops every component of a cluster, waits for them to exit, and keeps the data.
func (r Runner) Stop(ctx context.Context, name string) error {
	procs, err := r.Processes(name)
	if err != nil {
		return err
	}
	r.releaseLeases(ctx, name)
	if err := r.run(ctx, name, "stop", "cluster"); err != nil {
		return err
	}
	return waitExited(ctx, name, procs)
}

// leaseReleaseTimeout bounds the release of leases before a stop.
const leaseReleaseTimeout = 5 * time.Second

// leaderLeases are the leader election leases of a cluster's controllers, in kube-system.
var leaderLeases = []string{"kube-controller-manager", "kube-scheduler"}

// releaseLeases deletes the leases a running cluster's components hold, before it stops.
// Started again within a lease's duration, a component would wait for its predecessor's
// lease to expire: kwok manages a node's pods only while it holds the node's lease (200 s),
// and kube-controller-manager and kube-scheduler act only as leaders (15 s). Best effort: a
// cluster whose API does not answer has nothing to release, and the leases expire anyway.
func (r Runner) releaseLeases(ctx context.Context, name string) {
	cfg, err := clientcmd.BuildConfigFromFlags("", r.KubeconfigPath(name))
	if err != nil {
		return
	}
	cfg.Timeout = leaseReleaseTimeout
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, leaseReleaseTimeout)
	defer cancel()
	logger := log.FromContext(ctx)
	if err := cs.CoordinationV1().Leases(corev1.NamespaceNodeLease).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
		logger.V(1).Info("Could not release the node leases before stopping", "cluster", name, "error", err.Error())
		return
	}
	for _, lease := range leaderLeases {
		if err := cs.CoordinationV1().Leases(metav1.NamespaceSystem).Delete(ctx, lease, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			logger.V(1).Info("Could not release a leader lease before stopping", "cluster", name, "lease", lease, "error", err.Error())
		}
	}
}

// exitTimeout bounds the wait for killed components to exit and release their ports.
const exitTimeout = 30 * time.Second

// waitExited waits until none of procs runs: kill returns before the kernel has torn a
// process down, and its ports are free only after that.
func waitExited(ctx context.Context, name string, procs map[string]int) error {
	ctx, cancel := context.WithTimeout(ctx, exitTimeout)
	defer cancel()
	for {
		var running []string
		for component, pid := range procs {
			if Alive(pid) {
				running = append(running, fmt.Sprintf("%s (pid %d)", component, pid))
			}
		}
		if len(running) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("components of local cluster %s did not exit: %s", name, strings.Join(running, ", "))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Delete stops a cluster and removes its directory. Deleting a missing cluster succeeds.
func (r Runner) Delete(ctx context.Context, name string) error {
	procs, err := r.Processes(name)
	if err != nil {
		return err
	}
	if r.Exists(name) {
		// kwokctl removes a context from this kubeconfig; pointing it into the work directory keeps the user's own untouched.
		contexts := filepath.Join(r.WorkDir, "kwokctl-contexts.kubeconfig")
		if err := r.run(ctx, name, "delete", "cluster", "--kubeconfig", contexts); err != nil {
			// A creation killed half-way can leave a configuration kwokctl cannot read;
			// the pid files still say what to stop.
			log.FromContext(ctx).Info("kwokctl could not delete the cluster; killing its processes from their pid files", "cluster", name, "error", err.Error())
		}
	}
	for _, pid := range procs {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("failed to kill pid %d of local cluster %s: %w", pid, name, err)
		}
	}
	if err := waitExited(ctx, name, procs); err != nil {
		return err
	}
	if err := os.RemoveAll(r.ClusterDir(name)); err != nil {
		return fmt.Errorf("failed to remove the directory of local cluster %s: %w", name, err)
	}
	return nil
}

func (r Runner) bin(name string) string { return filepath.Join(r.BinDir, name) }

// configPath writes kwokctl's shared configuration into the work directory, once, and
// returns its path.
func (r Runner) configPath() (string, error) {
	data, err := configFile(CreateOptions{})
	if err != nil {
		return "", err
	}
	path := filepath.Join(r.WorkDir, "navarkos-kwokctl.yaml")
	if got, err := os.ReadFile(path); err == nil && bytes.Equal(got, data) {
		return path, nil
	}
	return path, r.writeWorkFile(path, data)
}

// writeCreateConfig writes the configuration of one creation into the work directory and
// returns its path; kwokctl keeps what it read in the cluster's own configuration, which its
// later commands use.
func (r Runner) writeCreateConfig(name string, opts CreateOptions) (string, error) {
	data, err := configFile(opts)
	if err != nil {
		return "", err
	}
	path := filepath.Join(r.WorkDir, "navarkos-create-"+name+".yaml")
	return path, r.writeWorkFile(path, data)
}

func (r Runner) writeWorkFile(path string, data []byte) error {
	if err := os.MkdirAll(r.WorkDir, 0o750); err != nil {
		return fmt.Errorf("failed to create kwokctl's work directory: %w", err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("failed to write kwokctl's configuration %s: %w", path, err)
	}
	return nil
}

// configFile is a kwokctl configuration: every component bound to the loopback address
// (kwokctl's default, 0.0.0.0, would open etcd, which has no authentication here, to the
// network), the components' environment of opts, and the Stages of opts' pod readiness
// delay. Passing it also keeps a user's ~/.kwok/kwok.yaml out.
func configFile(opts CreateOptions) ([]byte, error) {
	doc := map[string]any{
		"apiVersion": "config.kwok.x-k8s.io/v1alpha1",
		"kind":       "KwokctlConfiguration",
		"options":    map[string]any{"bindAddress": "127.0.0.1"},
	}
	patches, err := componentEnv(opts.Env)
	if err != nil {
		return nil, err
	}
	if len(patches) > 0 {
		doc["componentsPatches"] = patches
	}
	data, err := yaml.Marshal(doc)
	if err != nil {
		return nil, err
	}
	out := append([]byte("---\n"), data...)
	if opts.PodReadyDelay > 0 {
		st, err := stages(opts.PodReadyDelay)
		if err != nil {
			return nil, err
		}
		out = append(out, st...)
	}
	return out, nil
}

// componentPatch is one component's entry in kwokctl's componentsPatches.
type componentPatch struct {
	Name      string   `json:"name"`
	ExtraEnvs []envVar `json:"extraEnvs"`
}

// envVar is one environment variable of a component.
type envVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// componentEnv turns component=NAME=VALUE pairs into kwokctl's componentsPatches, one per
// component in the order first named.
func componentEnv(env []string) ([]componentPatch, error) {
	var patches []componentPatch
	index := map[string]int{}
	for _, e := range env {
		component, nameValue, ok1 := strings.Cut(e, "=")
		name, value, ok2 := strings.Cut(nameValue, "=")
		if !ok1 || !ok2 || component == "" || name == "" {
			return nil, fmt.Errorf("environment %q is not component=NAME=VALUE", e)
		}
		i, seen := index[component]
		if !seen {
			i = len(patches)
			index[component] = i
			patches = append(patches, componentPatch{Name: component})
		}
		patches[i].ExtraEnvs = append(patches[i].ExtraEnvs, envVar{Name: name, Value: value})
	}
	return patches, nil
}

// DefaultCommandTimeout bounds one kwokctl command that the caller's context leaves
// unbounded: a start, stop or delete that hangs must not hold a reconcile forever. A
// creation's own wait (CreateOptions.Wait) is added to it.
const DefaultCommandTimeout = 3 * time.Minute

// run runs a kwokctl command on a cluster with the shared configuration.
func (r Runner) run(ctx context.Context, name string, args ...string) error {
	cfg, err := r.configPath()
	if err != nil {
		return err
	}
	return r.runWith(ctx, name, cfg, args...)
}

// runWith runs a kwokctl command on a cluster with the configuration file cfg.
func (r Runner) runWith(ctx context.Context, name, cfg string, args ...string) error {
	if _, bounded := ctx.Deadline(); !bounded {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cmp.Or(r.CommandTimeout, DefaultCommandTimeout)+waitOf(args))
		defer cancel()
	}
	args = append([]string{"--name", name, "--config", cfg}, args...)
	cmd := exec.CommandContext(ctx, r.bin("kwokctl"), args...)
	// kwokctl dies with Navarkos: a creation must never go on unobserved, or the next
	// run would race it while replacing its leftovers.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Env = append(os.Environ(), "KWOK_WORKDIR="+r.WorkDir)
	if r.KubeVersion != "" {
		cmd.Env = append(cmd.Env, "KWOK_KUBE_VERSION="+r.KubeVersion)
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		verb := strings.Join(args[4:min(6, len(args))], " ")
		return fmt.Errorf("kwokctl %s %s failed: %w: %s", verb, name, err, lastLines(out.String(), 3, 300))
	}
	return nil
}

// waitOf is the --wait a kwokctl command asks for, or 0.
func waitOf(args []string) time.Duration {
	for i, a := range args {
		if a == "--wait" && i+1 < len(args) {
			if d, err := time.ParseDuration(args[i+1]); err == nil {
				return d
			}
		}
	}
	return 0
}

// kwokctlLine is the part of one of kwokctl's JSON log lines worth showing.
type kwokctlLine struct {
	Msg string `json:"msg"`
	Err string `json:"err"`
}

// lastLines keeps the tail of a command's output for an error message: n lines of at most width bytes.
func lastLines(s string, n, width int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for i, l := range lines {
		var parsed kwokctlLine
		if json.Unmarshal([]byte(l), &parsed) == nil && parsed.Msg != "" {
			l = strings.TrimSuffix(parsed.Msg+": "+parsed.Err, ": ")
			lines[i] = l
		}
		if len(l) > width {
			lines[i] = l[:width] + "…"
		}
	}
	return strings.Join(lines, " | ")
}
