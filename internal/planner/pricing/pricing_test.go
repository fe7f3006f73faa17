package pricing

import (
	"math"
	"testing"
	"time"
)

func TestFarAllowed(t *testing.T) {
	tests := []struct {
		far, near, threshold float64
		want                 bool
	}{
		{0.30, 1, 0.75, false}, // 70% cheaper: not enough
		{0.20, 1, 0.75, true},  // 80% cheaper
		{0.25, 1, 0.75, true},  // exactly at the threshold
		{0.99, 1, 0, true},     // distance ignored
		{1.01, 1, 0, false},    // dearer is never taken for distance's sake
		{0, 1, 1, false},       // never far while near capacity can be had
	}
	for _, tt := range tests {
		if got := FarAllowed(tt.far, tt.near, tt.threshold); got != tt.want {
			t.Errorf("FarAllowed(%g, %g, %g) = %v, want %v", tt.far, tt.near, tt.threshold, got, tt.want)
		}
	}
}

func TestPayback(t *testing.T) {
	tests := []struct {
		name string
		b    Payback
		want bool
	}{
		{"a move that saves over the hour pays", Payback{SavingPerHour: 1, Lasts: time.Hour, Moves: 10, MovePrice: 0.05}, true},
		{"a saving equal to the moves does not", Payback{SavingPerHour: 0.5, Lasts: time.Hour, Moves: 10, MovePrice: 0.05}, false},
		{"the overlap is paid, and saves nothing", Payback{SavingPerHour: 1, Lasts: 2 * time.Hour, Overlap: time.Hour, OverlapPerHour: 1}, false},
		{"a longer horizon pays for the overlap", Payback{SavingPerHour: 1, Lasts: 3 * time.Hour, Overlap: time.Hour, OverlapPerHour: 1}, true},
		{"demand gone before the capacity comes never pays", Payback{SavingPerHour: 5, Lasts: time.Hour, Overlap: 2 * time.Hour}, false},
	}
	for _, tt := range tests {
		if got := tt.b.Pays(); got != tt.want {
			t.Errorf("%s: Pays() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestBreakEven(t *testing.T) {
	tests := []struct {
		name string
		b    Payback
		want time.Duration
	}{
		{"moves alone", Payback{SavingPerHour: 1, Moves: 10, MovePrice: 0.05}, 30 * time.Minute},
		{"after the overlap, its cost too", Payback{SavingPerHour: 1, Overlap: time.Hour, OverlapPerHour: 0.5, Moves: 10, MovePrice: 0.05}, 2 * time.Hour},
		{"no saving never", Payback{Moves: 1, MovePrice: 0.05}, math.MaxInt64},
	}
	for _, tt := range tests {
		if got := tt.b.BreakEven(); got != tt.want {
			t.Errorf("%s: BreakEven() = %s, want %s", tt.name, got, tt.want)
		}
	}
}
