// Package stats holds the arithmetic the benchmarks share.
package stats

import (
	"cmp"
	"slices"
)

// Median is the middle of xs (the upper middle of an even count), which it leaves unsorted.
func Median[T cmp.Ordered](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
