package simulate

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"
)

// TraceHeader is the trace format's header; the columns are a contract.
var TraceHeader = []string{"t_seconds", "workload", "replicas", "cpu_millis", "memory_mib", "regions", "constraints"}

// Row sets one workload's demand from At on. Replicas 0 removes the workload.
type Row struct {
	At          time.Duration
	Workload    string
	Replicas    int32
	CPUMillis   int64
	MemoryMiB   int64
	Shares      map[string]float64
	Constraints string
	Selector    labels.Selector
	// Line is the row's line in the file, for messages.
	Line int
}

// Trace is a demand trace, its rows in time order.
type Trace struct {
	Rows []Row
	// End is the last row's time: the simulation runs until then.
	End time.Duration
	// Warnings say what was corrected while reading, such as region shares normalised.
	Warnings []string
}

// shareTolerance is how far region shares may add up from 1 and be normalised, since real
// traces are rounded; further off, the row is refused.
const shareTolerance = 0.02

// MaxTraceReplicas is the most replicas a trace row may ask for.
const MaxTraceReplicas = 100000

// ParseTrace reads a trace in CSV. Every error names its line and column.
func ParseTrace(r io.Reader) (*Trace, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("line 1: cannot read the header: %w", err)
	}
	if !slices.Equal(trimAll(header), TraceHeader) {
		return nil, fmt.Errorf("line 1: the header must be %q, not %q", strings.Join(TraceHeader, ","), strings.Join(header, ","))
	}
	t := &Trace{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// A ParseError names its own line and column; FieldPos is only valid after a record.
			return nil, fmt.Errorf("line %d: %w", csvLine(err), err)
		}
		line, _ := cr.FieldPos(0)
		row, normalised, err := parseRow(trimAll(rec))
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if normalised != "" {
			t.Warnings = append(t.Warnings, fmt.Sprintf("line %d: %s", line, normalised))
		}
		row.Line = line
		t.Rows = append(t.Rows, row)
	}
	if len(t.Rows) == 0 {
		return nil, errors.New("the trace has no rows")
	}
	slices.SortStableFunc(t.Rows, func(a, b Row) int { return int(a.At - b.At) })
	t.End = t.Rows[len(t.Rows)-1].At
	return t, nil
}

// csvLine is the line of a CSV error, or 0 when it has none.
func csvLine(err error) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Line
	}
	return 0
}

// parseRow reads one row; normalised says how its region shares were corrected, if they were.
func parseRow(rec []string) (r Row, normalised string, err error) {
	if len(rec) != len(TraceHeader) {
		return r, "", fmt.Errorf("%d fields, want %d (%s)", len(rec), len(TraceHeader), strings.Join(TraceHeader, ","))
	}
	secs, err := strconv.ParseFloat(rec[0], 64)
	if err != nil || secs < 0 || math.IsInf(secs, 0) || math.IsNaN(secs) || secs > 366*24*3600 {
		return r, "", fmt.Errorf("t_seconds: %q is not a number of seconds from 0 to a year", rec[0])
	}
	r.At = time.Duration(secs * float64(time.Second))
	if r.Workload = rec[1]; r.Workload == "" || len(r.Workload) > 253 {
		return r, "", errors.New("workload: a name of 1 to 253 characters is required")
	}
	replicas, err := strconv.ParseInt(rec[2], 10, 32)
	if err != nil || replicas < 0 || replicas > MaxTraceReplicas {
		return r, "", fmt.Errorf("replicas: %q is not a whole number from 0 to %d", rec[2], MaxTraceReplicas)
	}
	r.Replicas = int32(replicas)
	if r.CPUMillis, err = strconv.ParseInt(rec[3], 10, 64); err != nil || r.CPUMillis < 0 || r.CPUMillis > 1e6 {
		return r, "", fmt.Errorf("cpu_millis: %q is not a whole number from 0 to 1000000", rec[3])
	}
	if r.MemoryMiB, err = strconv.ParseInt(rec[4], 10, 64); err != nil || r.MemoryMiB < 0 || r.MemoryMiB > 1<<24 {
		return r, "", fmt.Errorf("memory_mib: %q is not a whole number from 0 to 16777216", rec[4])
	}
	if r.Replicas > 0 && r.CPUMillis == 0 && r.MemoryMiB == 0 {
		return r, "", errors.New("cpu_millis and memory_mib: a workload with replicas must request some CPU or memory")
	}
	if r.Shares, normalised, err = parseShares(rec[5]); err != nil {
		return r, "", fmt.Errorf("regions: %w", err)
	}
	r.Constraints = rec[6]
	if r.Selector, err = labels.Parse(rec[6]); err != nil {
		return r, "", fmt.Errorf("constraints: %q is not a label selector: %w", rec[6], err)
	}
	return r, normalised, nil
}

// parseShares reads "us-east:0.7;eu-west:0.3". Shares that add up to within shareTolerance
// of 1 are normalised, and normalised says so.
func parseShares(s string) (shares map[string]float64, normalised string, err error) {
	shares = map[string]float64{}
	if s == "" {
		return shares, "", nil
	}
	sum := 0.0
	for _, part := range strings.Split(s, ";") {
		region, value, ok := strings.Cut(part, ":")
		if !ok || region == "" {
			return nil, "", fmt.Errorf("%q is not region:share", part)
		}
		f, err := strconv.ParseFloat(value, 64)
		if err != nil || f < 0 || f > 1 || math.IsNaN(f) {
			return nil, "", fmt.Errorf("%q: the share must be a number from 0 to 1", part)
		}
		if _, dup := shares[region]; dup {
			return nil, "", fmt.Errorf("region %q appears twice", region)
		}
		shares[region] = f
		sum += f
	}
	if math.Abs(sum-1) > shareTolerance {
		return nil, "", fmt.Errorf("the shares add up to %.3g, not 1 (within %g)", sum, shareTolerance)
	}
	for region := range shares {
		shares[region] /= sum
	}
	if math.Abs(sum-1) > 1e-9 { // not just the rounding of decimal fractions in binary
		normalised = fmt.Sprintf("the region shares added up to %.4g; normalised to 1", sum)
	}
	return shares, normalised, nil
}

func trimAll(rec []string) []string {
	out := make([]string, len(rec))
	for i, f := range rec {
		out[i] = strings.TrimSpace(f)
	}
	return out
}
