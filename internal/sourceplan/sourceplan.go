// Package sourceplan names the worker's sources and parses which of them
// are collected and how often (SOURCES_DISABLED, SOURCE_INTERVALS).
package sourceplan

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Sources, as named in logs, in the source label of metrics and in
// SOURCES_DISABLED and SOURCE_INTERVALS.
const (
	MinuteStats  = "minute_stats"
	Deployment   = "deployment"
	Memory       = "memory"
	CPU          = "cpu"
	Routes       = "routes"
	Alarms       = "alarms"
	Tunnels      = "tunnels"
	Disk         = "disk"
	SystemInfo   = "system_info"
	Realtime     = "realtime"
	TrafficClass = "traffic_class"
	// Interfaces is the interface state (/networkInterfaces).
	Interfaces = "interfaces"
	// NextHops is the next-hop reachability (/nexthops).
	NextHops = "next_hops"
)

// Names lists every source in the order the plan is printed.
var Names = []string{MinuteStats, TrafficClass, Deployment, Memory, CPU, Routes, Alarms, Tunnels, Disk, SystemInfo, Realtime, Interfaces, NextHops}

// Interval bounds of SOURCE_INTERVALS.
const (
	MinInterval = time.Minute
	MaxInterval = 24 * time.Hour
)

// Plan says which sources are collected and how often. The zero Plan
// collects every source every cycle.
type Plan struct {
	disabled  map[string]bool
	intervals map[string]time.Duration
}

// Enabled reports whether the source is collected at all. traffic_class
// is off when minute_stats is: its class names only label minute
// statistics.
func (p Plan) Enabled(source string) bool {
	if source == TrafficClass && p.disabled[MinuteStats] {
		return false
	}
	return !p.disabled[source]
}

// Interval returns the source's own interval; 0 means every cycle.
func (p Plan) Interval(source string) time.Duration { return p.intervals[source] }

// HasIntervals reports whether any source has its own interval.
func (p Plan) HasIntervals() bool { return len(p.intervals) > 0 }

// MaxInterval returns the longest interval of the plan (0 when none).
func (p Plan) MaxInterval() time.Duration {
	var m time.Duration
	for _, d := range p.intervals {
		m = max(m, d)
	}
	return m
}

// String lists every source with "every cycle", "every <interval>" or
// "off", in the order of Names.
func (p Plan) String() string {
	parts := make([]string, 0, len(Names))
	for _, n := range Names {
		switch {
		case !p.Enabled(n):
			parts = append(parts, n+" off")
		case p.intervals[n] > 0:
			parts = append(parts, n+" every "+FormatInterval(p.intervals[n]))
		default:
			parts = append(parts, n+" every cycle")
		}
	}
	return strings.Join(parts, ", ")
}

// FormatInterval prints d without the zero units time.Duration.String
// adds: 15m rather than 15m0s.
func FormatInterval(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func unknown(variable, name string) error {
	return fmt.Errorf("%s: unknown source %q; valid sources: %s", variable, name, strings.Join(Names, ", "))
}

// entries splits a comma-separated list, dropping blanks.
func entries(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// Parse reads SOURCES_DISABLED ("disk,realtime") and SOURCE_INTERVALS
// ("disk=15m,system_info=5m") and reports every problem at once, one error
// each. Names are case-insensitive. An interval is a Go duration between
// MinInterval and MaxInterval. traffic_class takes no interval: minute
// statistics need its class names whenever they are collected.
func Parse(disabled, intervals string) (Plan, error) {
	p := Plan{disabled: map[string]bool{}, intervals: map[string]time.Duration{}}
	var errs []error
	for _, e := range entries(disabled) {
		n := strings.ToLower(e)
		if !slices.Contains(Names, n) {
			errs = append(errs, unknown("SOURCES_DISABLED", e))
			continue
		}
		p.disabled[n] = true
	}
	for _, e := range entries(intervals) {
		name, val, ok := strings.Cut(e, "=")
		n := strings.ToLower(strings.TrimSpace(name))
		val = strings.TrimSpace(val)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("SOURCE_INTERVALS: %q is not source=duration, as in disk=15m", e))
			continue
		case !slices.Contains(Names, n):
			errs = append(errs, unknown("SOURCE_INTERVALS", strings.TrimSpace(name)))
			continue
		case n == TrafficClass:
			errs = append(errs, errors.New("SOURCE_INTERVALS: traffic_class takes no interval: minute_stats needs its class names whenever it runs "+
				"(SOURCES_DISABLED=traffic_class leaves the traffic_class_name field out instead)"))
			continue
		case p.intervals[n] > 0:
			errs = append(errs, fmt.Errorf("SOURCE_INTERVALS: %s is given twice", n))
			continue
		case p.disabled[n]:
			errs = append(errs, fmt.Errorf("SOURCE_INTERVALS: %s is also in SOURCES_DISABLED: give it one or the other", n))
			continue
		}
		d, err := time.ParseDuration(val)
		if err != nil {
			errs = append(errs, fmt.Errorf("SOURCE_INTERVALS: %s=%s: %q is not a duration such as 90s, 15m or 1h", n, val, val))
			continue
		}
		if d < MinInterval || d > MaxInterval {
			errs = append(errs, fmt.Errorf("SOURCE_INTERVALS: %s=%s must be between 1m and 24h", n, val))
			continue
		}
		p.intervals[n] = d
	}
	if err := errors.Join(errs...); err != nil {
		return Plan{}, err
	}
	return p, nil
}
