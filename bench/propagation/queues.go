package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sort"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// Controller-runtime's workqueue histograms, native (sparse) as well as classic: how long an
// item waited in a controller's queue, and how long its reconcile took.
const (
	queueWaitMetric = "workqueue_queue_duration_seconds"
	workTimeMetric  = "workqueue_work_duration_seconds"
)

// sparse is a native histogram's observations: counts by bucket index, on its schema.
type sparse struct {
	schema int32
	zero   uint64
	counts map[int]uint64
}

// queueSnapshot holds each controller's queue wait and work time, by controller name.
type queueSnapshot map[string]map[string]sparse

// scrape reads the controllers' metrics in the protobuf format, the one that carries native histograms.
func scrape(ctx context.Context, url string) ([]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	format := expfmt.NewFormat(expfmt.TypeProtoDelim)
	req.Header.Set("Accept", string(format))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("failed to scrape the controllers' metrics: %w", err)
	}
	defer resp.Body.Close()
	dec := expfmt.NewDecoder(resp.Body, format)
	var families []*dto.MetricFamily
	for {
		mf := &dto.MetricFamily{}
		if err := dec.Decode(mf); errors.Is(err, io.EOF) {
			return families, nil
		} else if err != nil {
			return nil, fmt.Errorf("failed to read the controllers' metrics: %w", err)
		}
		families = append(families, mf)
	}
}

// snapshotQueues reads the workqueue histograms of every controller.
func snapshotQueues(ctx context.Context, url string) (queueSnapshot, error) {
	families, err := scrape(ctx, url)
	if err != nil {
		return nil, err
	}
	out := queueSnapshot{}
	for _, mf := range families {
		if mf.GetName() != queueWaitMetric && mf.GetName() != workTimeMetric {
			continue
		}
		for _, m := range mf.GetMetric() {
			name := labelOf(m, "name")
			if out[name] == nil {
				out[name] = map[string]sparse{}
			}
			out[name][mf.GetName()] = sparseOf(m.GetHistogram())
		}
	}
	return out, nil
}

func labelOf(m *dto.Metric, label string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == label {
			return l.GetValue()
		}
	}
	return ""
}

// sparseOf decodes a native histogram's spans and delta-encoded counts.
func sparseOf(h *dto.Histogram) sparse {
	s := sparse{schema: h.GetSchema(), zero: h.GetZeroCount(), counts: map[int]uint64{}}
	index, d, count := 0, 0, int64(0)
	for _, span := range h.GetPositiveSpan() {
		index += int(span.GetOffset())
		for range span.GetLength() {
			count += h.GetPositiveDelta()[d]
			s.counts[index] = uint64(count)
			index++
			d++
		}
	}
	return s
}

// since is what was observed after before.
func (s sparse) since(before sparse) sparse {
	out := sparse{schema: s.schema, zero: s.zero - before.zero, counts: map[int]uint64{}}
	for i, c := range s.counts {
		if c > before.counts[i] {
			out.counts[i] = c - before.counts[i]
		}
	}
	return out
}

func (s sparse) total() uint64 {
	n := s.zero
	for _, c := range s.counts {
		n += c
	}
	return n
}

// quantile is the upper bound of the bucket that holds share q of the observations, in
// seconds: within one bucket's width (about 9% at the schema controller-runtime uses).
func (s sparse) quantile(q float64) float64 {
	n := s.total()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	seen := s.zero
	if seen >= rank {
		return 0
	}
	indexes := make([]int, 0, len(s.counts))
	for i := range s.counts {
		indexes = append(indexes, i)
	}
	sort.Ints(indexes)
	base := math.Pow(2, math.Pow(2, -float64(s.schema)))
	for _, i := range indexes {
		if seen += s.counts[i]; seen >= rank {
			return math.Pow(base, float64(i))
		}
	}
	return math.Pow(base, float64(indexes[len(indexes)-1]))
}

// printQueueWaits shows, for each controller busy between two snapshots, how long items
// waited in its queue and how long their reconciles took: where an object waits inside Navarkos.
func printQueueWaits(title string, before, after queueSnapshot) {
	fmt.Printf("\n| %s: controller | items | queue wait P50 | P99 | reconcile P50 | P99 |\n|---|---|---|---|---|---|\n", title)
	names := make([]string, 0, len(after))
	for name := range after {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		wait := after[name][queueWaitMetric].since(before[name][queueWaitMetric])
		work := after[name][workTimeMetric].since(before[name][workTimeMetric])
		if work.total() == 0 {
			continue
		}
		ms := func(s float64) string { return fmt.Sprintf("%.1f ms", 1000*s) }
		fmt.Printf("| %s | %d | %s | %s | %s | %s |\n", name, work.total(), ms(wait.quantile(0.5)), ms(wait.quantile(0.99)), ms(work.quantile(0.5)), ms(work.quantile(0.99)))
	}
}

// printReconcileTimes shows where the controllers spent their time over the whole run.
func printReconcileTimes(ctx context.Context, url string) error {
	families, err := scrape(ctx, url)
	if err != nil {
		return err
	}
	fmt.Printf("\n| controller | reconciles | mean reconcile time |\n|---|---|---|\n")
	for _, mf := range families {
		if mf.GetName() != "controller_runtime_reconcile_time_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if h := m.GetHistogram(); h.GetSampleCount() > 0 {
				fmt.Printf("| %s | %d | %.1f ms |\n", labelOf(m, "controller"), h.GetSampleCount(), 1000*h.GetSampleSum()/float64(h.GetSampleCount()))
			}
		}
	}
	return nil
}
