package v1alpha1

import (
	"errors"
	"fmt"
	"time"
)

// Duration is a length of time written as a Go duration, such as "90s" or "1h30m".
//
// It is a string, not a metav1.Duration, so that a malformed value still decodes. The API
// refuses one, but an object stored before it did may hold one, and a metav1.Duration that
// fails to decode fails the whole list an informer reads: that one object would stop the
// controller for every object of its kind. Parse reports it for that object alone.
type Duration string

// DurationOf writes d as a Duration.
func DurationOf(d time.Duration) Duration {
	return Duration(d.String())
}

// Parse returns the duration, or def when it is unset. A value that is malformed or outside
// lo..hi, as one stored before the API checked it may be, gives def and an error that says so.
func (d Duration) Parse(def, lo, hi time.Duration) (time.Duration, error) {
	if d == "" {
		return def, nil
	}
	v, err := time.ParseDuration(string(d))
	if err != nil {
		return def, fmt.Errorf("%q is not a duration such as 90s, 5m or 1h30m; %s applies", Truncate(string(d), 64), def)
	}
	if v < lo || v > hi {
		return def, fmt.Errorf("%s is not between %s and %s; %s applies", v, lo, hi, def)
	}
	return v, nil
}

// Bounds of the duration fields, the same as their CEL rules.
const (
	MinHealthInterval, MaxHealthInterval         = time.Second, time.Hour
	MinFailoverToleration, MaxFailoverToleration = time.Second, 24 * time.Hour
	MinIdleTTL, MaxIdleTTL                       = 10 * time.Second, 720 * time.Hour
	MaxTimeToCapacity                            = 24 * time.Hour
	MaxPodReadyDelay                             = 10 * time.Minute
)

// IntervalOr is the health-check interval, or def when it is unset, 0s or malformed; the
// error names a malformed one.
func (h *HealthCheck) IntervalOr(def time.Duration) (time.Duration, error) {
	if h.Interval == "0s" {
		return def, nil
	}
	return field("spec.healthCheck.interval", h.Interval, def, MinHealthInterval, MaxHealthInterval)
}

// FailoverTolerationOr is the failover toleration, or def when it is unset or malformed; the
// error names a malformed one.
func (s *PlacementSpec) FailoverTolerationOr(def time.Duration) (time.Duration, error) {
	return field("spec.failoverToleration", s.FailoverToleration, def, MinFailoverToleration, MaxFailoverToleration)
}

// IdleTTLOr is the pool's idle time-to-live, or def when it is unset or malformed; the error
// names a malformed one.
func (s *ClusterPoolSpec) IdleTTLOr(def time.Duration) (time.Duration, error) {
	return field("spec.idleTTL", s.IdleTTL, def, MinIdleTTL, MaxIdleTTL)
}

// Or is each time to capacity, or its default when it is unset, 0s or malformed; the error
// names the malformed ones.
func (t *TimeToCapacity) Or(defCreate, defWake, defScale time.Duration) (create, wake, scale time.Duration, err error) {
	var errs [3]error
	create, errs[0] = field("spec.timeToCapacity.create", t.Create, defCreate, 0, MaxTimeToCapacity)
	wake, errs[1] = field("spec.timeToCapacity.wake", t.Wake, defWake, 0, MaxTimeToCapacity)
	scale, errs[2] = field("spec.timeToCapacity.scale", t.Scale, defScale, 0, MaxTimeToCapacity)
	return create, wake, scale, errors.Join(errs[:]...)
}

func field(path string, d Duration, def, lo, hi time.Duration) (time.Duration, error) {
	v, err := d.Parse(def, lo, hi)
	if err != nil {
		return v, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// Bounds of a rollout's grace period, the same as its CEL rule, and its default.
const (
	MinGracePeriod, MaxGracePeriod = time.Second, 24 * time.Hour
	DefaultGracePeriod             = 10 * time.Minute
)

// GracePeriodOr is the rollout's grace period, or DefaultGracePeriod when it is unset or
// malformed; the error names a malformed one.
func (s *PlacementSpec) GracePeriodOr() (time.Duration, error) {
	if s.Rollout == nil {
		return DefaultGracePeriod, nil
	}
	return field("spec.rollout.gracePeriod", s.Rollout.GracePeriod, DefaultGracePeriod, MinGracePeriod, MaxGracePeriod)
}
