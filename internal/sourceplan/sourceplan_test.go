package sourceplan

import (
	"testing"
	"time"
)

func TestParsePlan(t *testing.T) {
	p, err := Parse(" Disk, realtime ,", "system_info=5m, memory = 90s,alarms=2h")
	if err != nil {
		t.Fatal(err)
	}
	want := "minute_stats every cycle, traffic_class every cycle, deployment every cycle, memory every 1m30s, cpu every cycle, " +
		"routes every cycle, alarms every 2h, tunnels every cycle, disk off, system_info every 5m, realtime off, interfaces every cycle, next_hops every cycle"
	if got := p.String(); got != want {
		t.Errorf("String:\n got %s\nwant %s", got, want)
	}
	if p.Enabled(Disk) || !p.Enabled(CPU) || p.Interval(SystemInfo) != 5*time.Minute || p.Interval(CPU) != 0 || p.MaxInterval() != 2*time.Hour {
		t.Errorf("plan %+v", p)
	}
	var zero Plan
	if !zero.Enabled(MinuteStats) || zero.HasIntervals() {
		t.Error("the zero plan must collect everything every cycle")
	}
}

func TestTrafficClassOffWithMinuteStats(t *testing.T) {
	p, err := Parse("minute_stats", "")
	if err != nil {
		t.Fatal(err)
	}
	if p.Enabled(TrafficClass) {
		t.Error("traffic_class only labels minute stats: off with them")
	}
}

func TestParsePlanErrors(t *testing.T) {
	_, err := Parse("disk,foo", "cpu,bogus=5m,disk=15m,memory=30s,routes=soon,alarms=5m,alarms=6m,traffic_class=5m,tunnels=25h")
	want := `SOURCES_DISABLED: unknown source "foo"; valid sources: minute_stats, traffic_class, deployment, memory, cpu, routes, alarms, tunnels, disk, system_info, realtime, interfaces, next_hops
SOURCE_INTERVALS: "cpu" is not source=duration, as in disk=15m
SOURCE_INTERVALS: unknown source "bogus"; valid sources: minute_stats, traffic_class, deployment, memory, cpu, routes, alarms, tunnels, disk, system_info, realtime, interfaces, next_hops
SOURCE_INTERVALS: disk is also in SOURCES_DISABLED: give it one or the other
SOURCE_INTERVALS: memory=30s must be between 1m and 24h
SOURCE_INTERVALS: routes=soon: "soon" is not a duration such as 90s, 15m or 1h
SOURCE_INTERVALS: alarms is given twice
SOURCE_INTERVALS: traffic_class takes no interval: minute_stats needs its class names whenever it runs (SOURCES_DISABLED=traffic_class leaves the traffic_class_name field out instead)
SOURCE_INTERVALS: tunnels=25h must be between 1m and 24h`
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}
