package dashboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/simulate"
	"github.com/navarkos/navarkos/internal/simulate/traces"
)

// maxUpload bounds an uploaded trace and pools together.
const maxUpload = 8 << 20

// maxTraceLength bounds the virtual time a simulation of the page may run: a week takes
// seconds; a crafted trace a year long would hold the simulator for hours.
const maxTraceLength = 7 * 24 * time.Hour

// seriesPoints is about how many points a policy's plot gets.
const seriesPoints = 400

// SimulatorChoices are the shipped traces and pools the simulator page offers.
type SimulatorChoices struct {
	Traces []string `json:"traces"`
	Pools  []string `json:"pools"`
	// PoolsFor names the pools each shipped trace is meant for.
	PoolsFor map[string]string `json:"poolsFor"`
	Policies []string          `json:"policies"`
}

// SimulateRequest asks for a simulation of a shipped trace or an uploaded one, against
// shipped or uploaded pools.
type SimulateRequest struct {
	Trace     string `json:"trace,omitempty"`
	TraceCSV  string `json:"traceCSV,omitempty"`
	Pools     string `json:"pools,omitempty"`
	PoolsYAML string `json:"poolsYAML,omitempty"`
}

// Simulation is every policy's report on one trace, with its series.
type Simulation struct {
	// Hours is the trace's length.
	Hours   float64           `json:"hours"`
	Reports []simulate.Report `json:"reports"`
}

func (s *Server) serveSimulatorChoices(w http.ResponseWriter, _ *http.Request) {
	c := SimulatorChoices{PoolsFor: map[string]string{}, Policies: simulate.Policies}
	entries, _ := fs.ReadDir(traces.Files, ".")
	for _, e := range entries {
		switch name := e.Name(); {
		case strings.HasSuffix(name, ".csv"):
			kind := strings.TrimSuffix(name, ".csv")
			c.Traces = append(c.Traces, kind)
			c.PoolsFor[kind] = simulate.PoolsFor(kind)
		case strings.HasSuffix(name, ".yaml"):
			c.Pools = append(c.Pools, name)
		}
	}
	writeJSON(w, c)
}

// serveSimulate runs every policy on a trace, as `navarkos simulate` does, with a series of
// the fleet over time for the plots. One simulation runs at a time.
func (s *Server) serveSimulate(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		http.Error(w, "send the request as application/json", http.StatusUnsupportedMediaType)
		return
	}
	var req SimulateRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxUpload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		http.Error(w, "the request does not parse: "+err.Error(), http.StatusBadRequest)
		return
	}
	pools, trace, err := simulationInput(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	select {
	case s.simulating <- struct{}{}:
		defer func() { <-s.simulating }()
	case <-r.Context().Done():
		return
	}
	every := max(trace.End/seriesPoints, 30*time.Second)
	every = every.Round(30 * time.Second)
	out := Simulation{Hours: trace.End.Hours()}
	for _, p := range simulate.Policies {
		if r.Context().Err() != nil {
			return
		}
		rep, err := simulate.Run(pools, trace, p, simulate.Options{Planner: s.opts.Planner, SeriesEvery: every})
		if err != nil {
			http.Error(w, fmt.Sprintf("policy %s: %v", p, err), http.StatusBadRequest)
			return
		}
		out.Reports = append(out.Reports, rep)
	}
	writeJSON(w, out)
}

// simulationInput reads the trace and pools a request names or carries.
func simulationInput(req SimulateRequest) ([]n6sv1alpha1.ClusterPool, *simulate.Trace, error) {
	traceData, traceName, err := shippedOr(req.Trace, req.TraceCSV, ".csv", "trace")
	if err != nil {
		return nil, nil, err
	}
	if req.Pools == "" && req.PoolsYAML == "" && req.Trace != "" {
		req.Pools = simulate.PoolsFor(req.Trace)
	}
	poolsData, poolsName, err := shippedOr(req.Pools, req.PoolsYAML, ".yaml", "pools")
	if err != nil {
		return nil, nil, err
	}
	trace, err := simulate.ParseTrace(bytes.NewReader(traceData))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", traceName, err)
	}
	pools, err := simulate.ParsePools(bytes.NewReader(poolsData))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", poolsName, err)
	}
	if trace.End > maxTraceLength {
		return nil, nil, fmt.Errorf("%s runs %s; the dashboard simulates at most %s (navarkos simulate takes any length)", traceName, trace.End, maxTraceLength)
	}
	if len(pools) == 0 {
		return nil, nil, fmt.Errorf("%s: no ClusterPool in it", poolsName)
	}
	return pools, trace, nil
}

// shippedOr is an uploaded file's content, or the shipped file of that name.
func shippedOr(name, content, ext, what string) ([]byte, string, error) {
	if content != "" {
		return []byte(content), "the uploaded " + what, nil
	}
	if name == "" {
		return nil, "", fmt.Errorf("pick a %s or upload one", what)
	}
	file := strings.TrimSuffix(name, ext) + ext
	if path.Base(file) != file || !slices.Contains(shippedFiles(), file) {
		return nil, "", fmt.Errorf("no shipped %s %q", what, name)
	}
	data, err := fs.ReadFile(traces.Files, file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("no shipped %s %q", what, name)
	}
	return data, file, err
}

func shippedFiles() []string {
	entries, _ := fs.ReadDir(traces.Files, ".")
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
