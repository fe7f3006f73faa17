// Package stats holds the arithmetic the benchmarks share.
package stats

import (
	"cmp"
	"slices"
)

// Median is the middle of xs (the upper middle of an even count), which it leaves unsorted.
func Median[T cmp.Ordered](xs []T) T {
	return Quantile(xs, 0.5)
}

// Quantile is the value at share q of xs in order (nearest rank, the upper one between two),
// which it leaves unsorted: 0.5 is the median, 0.9 the 90th percentile, 1 the largest.
func Quantile[T cmp.Ordered](xs []T, q float64) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[min(int(q*float64(len(s))), len(s)-1)]
}
