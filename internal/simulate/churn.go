package simulate

import (
	"math"
	"time"
)

// churnLedger judges moves in hindsight. A move is charged to the cluster it left. When that
// cluster next gives capacity back (fewer nodes, hibernated or deleted), the moves charged to
// it ride on that give-back, which saves the drop in the cluster's price per hour for as long
// as its pool does not buy the capacity back (a cluster created, woken or grown there), or
// until the trace ends. A give-back pays for as many of its moves as its saving covers at the
// move price; every other move is churn. Moves off a cluster that grows again before giving
// anything back paid for nothing.
type churnLedger struct {
	movePrice float64
	// pending are the moves charged to each cluster and not yet settled.
	pending map[string]int64
	// latest is each cluster's latest give-back, which moves off it in the same step join.
	latest    map[string]*giveBack
	giveBacks []*giveBack
	moves     int64
	unpaid    int64 // pending moves settled as churn
}

// giveBack is capacity a cluster gave back and the saving it has realised so far.
type giveBack struct {
	pool  string
	at    time.Duration
	moves int64
	// rate is the price per hour still given back, from since on; saved what it saved before.
	rate  float64
	since time.Duration
	saved float64
}

func newChurnLedger(movePrice float64) *churnLedger {
	return &churnLedger{movePrice: movePrice, pending: map[string]int64{}, latest: map[string]*giveBack{}}
}

// moved charges n moves at now to the cluster they left.
func (l *churnLedger) moved(cluster string, n int64, now time.Duration) {
	l.moves += n
	if g := l.latest[cluster]; g != nil && g.at == now {
		g.moves += n // moved off by the give-back itself, such as a hibernation
		return
	}
	l.pending[cluster] += n
}

// repriced records that a cluster of pool went from before to after per hour at now.
func (l *churnLedger) repriced(cluster, pool string, before, after float64, now time.Duration) {
	switch {
	case after < before:
		g := &giveBack{pool: pool, at: now, moves: l.pending[cluster], rate: before - after, since: now}
		delete(l.pending, cluster)
		l.latest[cluster] = g
		l.giveBacks = append(l.giveBacks, g)
	case after > before:
		l.unpaid += l.pending[cluster]
		delete(l.pending, cluster)
		l.buyBack(pool, after-before, now)
	}
}

// buyBack ends as much of the pool's given-back capacity as was bought again, the latest
// give-back first.
func (l *churnLedger) buyBack(pool string, rate float64, now time.Duration) {
	for i := len(l.giveBacks) - 1; i >= 0 && rate > 0; i-- {
		g := l.giveBacks[i]
		if g.pool != pool || g.rate <= 0 {
			continue
		}
		g.accrue(now)
		taken := min(g.rate, rate)
		g.rate -= taken
		rate -= taken
	}
}

func (g *giveBack) accrue(now time.Duration) {
	g.saved += g.rate * (now - g.since).Hours()
	g.since = now
}

// churn is, at the trace's end, how many of the moves did not pay for themselves.
func (l *churnLedger) churn(end time.Duration) int64 {
	if l.movePrice <= 0 {
		return 0 // a move that costs nothing always pays for itself
	}
	churn := l.unpaid
	for _, n := range l.pending {
		churn += n
	}
	for _, g := range l.giveBacks {
		g.accrue(end)
		churn += g.moves - g.paid(l.movePrice)
	}
	return churn
}

// paid is how many of the give-back's moves its saving paid for.
func (g *giveBack) paid(movePrice float64) int64 {
	return min(g.moves, int64(math.Floor(g.saved/movePrice+1e-9)))
}
