package memory

import "time"

// maxWindow bounds how far a cluster's stabilisation window grows when it keeps shrinking
// and growing again.
const maxWindow = time.Hour

// flapWindow is the stabilisation window of a cluster that flapped, and when it last did.
type flapWindow struct {
	size    time.Duration
	flapped time.Time
}

// Window is a cluster's stabilisation window at now: longer than base if it has flapped
// within maxWindow, base again after that.
func (mem *Memory) Window(cluster string, now time.Time, base time.Duration) time.Duration {
	w, ok := mem.windows[cluster]
	if !ok {
		return base
	}
	if now.Sub(w.flapped) >= maxWindow {
		delete(mem.windows, cluster)
		return base
	}
	return w.size
}

// StillFlapping keeps a longer window in force while it still holds nodes that the base
// window would have shed: the demand still dips for longer than base between its peaks.
func (mem *Memory) StillFlapping(cluster string, now time.Time, base time.Duration, nodes int32) {
	if w, ok := mem.windows[cluster]; ok && mem.peakSince(cluster, now.Add(-base)) < nodes && mem.Peak(cluster) >= nodes {
		w.flapped = now
		mem.windows[cluster] = w
	}
}

// Regrown notes that a cluster grows at now and returns its window. Growing again within
// twice the window of a stabilisation shrink means the shrink came too early: the window
// doubles, up to maxWindow.
func (mem *Memory) Regrown(cluster string, now time.Time, base time.Duration) time.Duration {
	size := mem.Window(cluster, now, base)
	if shrunk, ok := mem.shrunk[cluster]; ok && now.Sub(shrunk) < 2*size {
		size = min(2*size, maxWindow)
		mem.windows[cluster] = flapWindow{size: size, flapped: now}
		delete(mem.shrunk, cluster) // this shrink is counted
	}
	return size
}

// Record adds a cluster's node need at now and forgets the needs older than the window.
func (mem *Memory) Record(cluster string, now time.Time, nodes int32, window time.Duration) {
	kept := mem.needs[cluster][:0]
	for _, n := range mem.needs[cluster] {
		if now.Sub(n.at) < window {
			kept = append(kept, n)
		}
	}
	mem.needs[cluster] = append(kept, need{at: now, nodes: nodes})
	if _, ok := mem.watched[cluster]; !ok {
		mem.watched[cluster] = now
	}
}

// WatchedFor is how long the memory has recorded a cluster's needs: a window it has not
// watched whole, as after a restart, knows no peak to shrink to.
func (mem *Memory) WatchedFor(cluster string, now time.Time) time.Duration {
	since, ok := mem.watched[cluster]
	if !ok {
		return 0
	}
	return now.Sub(since)
}

// Peak is the most nodes a cluster needed within the window.
func (mem *Memory) Peak(cluster string) int32 {
	return mem.peakSince(cluster, time.Time{})
}

// peakSince is the most nodes a cluster needed from since on.
func (mem *Memory) peakSince(cluster string, since time.Time) int32 {
	var n int32
	for _, r := range mem.needs[cluster] {
		if !r.at.Before(since) {
			n = max(n, r.nodes)
		}
	}
	return n
}

// Shrunk notes that stabilisation shrank the cluster at now.
func (mem *Memory) Shrunk(cluster string, now time.Time) { mem.shrunk[cluster] = now }
