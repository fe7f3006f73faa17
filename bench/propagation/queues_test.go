package main

import (
	"math"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// nativeHistogram observes values into a native histogram as controller-runtime's workqueue
// metrics do, and returns it decoded.
func nativeHistogram(t *testing.T, values ...float64) sparse {
	t.Helper()
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "h", NativeHistogramBucketFactor: 1.1, NativeHistogramMaxBucketNumber: 100})
	for _, v := range values {
		h.Observe(v)
	}
	m := &dto.Metric{}
	if err := h.Write(m); err != nil {
		t.Fatal(err)
	}
	return sparseOf(m.GetHistogram())
}

func TestQuantilesOfANativeHistogram(t *testing.T) {
	var values []float64
	for i := 1; i <= 100; i++ {
		values = append(values, float64(i)/1000) // 1 ms to 100 ms
	}
	s := nativeHistogram(t, values...)
	if s.total() != 100 {
		t.Fatalf("decoded %d observations, want 100", s.total())
	}
	for _, tc := range []struct{ q, want float64 }{{0.5, 0.050}, {0.99, 0.099}, {1, 0.100}} {
		// The answer is the upper bound of a bucket: within one bucket's width above the value.
		if got := s.quantile(tc.q); got < tc.want || got > tc.want*1.1 {
			t.Errorf("quantile %.2f = %.4f s, want within a bucket above %.4f s", tc.q, got, tc.want)
		}
	}
}

func TestQuantilesSinceASnapshot(t *testing.T) {
	before := nativeHistogram(t, 0.001, 0.001, 0.001)
	after := nativeHistogram(t, 0.001, 0.001, 0.001, 0.5, 0.5)
	since := after.since(before)
	if since.total() != 2 {
		t.Fatalf("%d observations since the snapshot, want 2", since.total())
	}
	if got := since.quantile(0.5); math.Abs(got-0.5) > 0.05 {
		t.Errorf("median since the snapshot = %.3f s, want about 0.5 s", got)
	}
}
