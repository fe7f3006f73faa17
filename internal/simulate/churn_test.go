package simulate

import (
	"testing"
	"time"
)

// TestChurnIsJudgedInHindsight works the README's example through the ledger: 6 replicas
// move off cluster a, which then gives back 2 nodes at 1 per node-hour; its pool buys one
// node back 45 minutes later and the other at 2 h. The give-back saved 2 × 0.75 + 1 × 1.25 =
// 2.75, which pays for 5 moves at 0.5 each: 1 is churn. 3 replicas that move off b, which
// grows afterwards, paid for nothing; nor did 2 moved off c, which never gave anything back.
func TestChurnIsJudgedInHindsight(t *testing.T) {
	for _, tc := range []struct {
		movePrice float64
		churn     int64
	}{{0.5, 1 + 3 + 2}, {0.25, 0 + 3 + 2}, {3, 6 + 3 + 2}, {0, 0}} {
		l := newChurnLedger(tc.movePrice)
		l.moved("a", 6, 0)
		l.moved("b", 3, 0)
		l.moved("c", 2, 0)
		l.repriced("a", "p", 5, 3, time.Minute)                    // 2 nodes given back
		l.repriced("b", "q", 2, 3, 2*time.Minute)                  // b grows: its moves paid nothing
		l.repriced("a", "p", 3, 4, time.Minute+45*time.Minute)     // one node bought back
		l.repriced("x", "p", 0, 1, time.Minute+120*time.Minute)    // a new cluster in p: the other
		l.repriced("y", "other", 4, 0, time.Minute+60*time.Minute) // another pool's give-back, no moves
		if got := l.churn(5 * time.Hour); got != tc.churn || l.moves != 11 {
			t.Errorf("at a move price of %v: churn %d of %d moves, want %d of 11", tc.movePrice, got, l.moves, tc.churn)
		}
	}
}

// TestMovesOfAGiveBackRideOnIt: replicas that a hibernation itself moves off the cluster, in
// the same step, ride on that give-back rather than waiting for another; a saving that runs
// to the trace's end counts to the end.
func TestMovesOfAGiveBackRideOnIt(t *testing.T) {
	l := newChurnLedger(1)
	l.repriced("a", "p", 10, 0.5, time.Hour) // hibernated: saves 9.5 per hour
	l.moved("a", 4, time.Hour)
	l.moved("a", 30, 2*time.Hour) // later moves off a hibernated cluster wait for another give-back
	if got := l.churn(time.Hour + 30*time.Minute); got != 30 {
		t.Errorf("churn %d, want the 30 later moves: the first 4 ride on the hibernation, whose half hour saves 4.75", got)
	}
}
