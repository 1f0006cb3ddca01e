package e2e

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"github.com/ec-telemetry/ec-telemetry/discovery"
	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/spool"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// normPoint renders a point as "measurement tag=v,... | field=v,... @time"
// with keys sorted and numbers in one canonical form, so InfluxDB rows and
// simulator points compare as strings.
func normPoint(p telemetry.Point) string {
	return norm(p.Measurement, p.Tags.Map(), p.Fields.Map(), p.Time)
}

// norm is normPoint of a point's parts; field values may also be the
// json.Number values of an InfluxDB answer.
func norm(measurement string, tagMap map[string]string, fieldMap map[string]any, at time.Time) string {
	var tags, fields []string
	for k, v := range tagMap {
		if v != "" {
			tags = append(tags, k+"="+v)
		}
	}
	for k, v := range fieldMap {
		fields = append(fields, k+"="+normValue(v))
	}
	sort.Strings(tags)
	sort.Strings(fields)
	return fmt.Sprintf("%s %s | %s @%d", measurement, strings.Join(tags, ","), strings.Join(fields, ","), at.Unix())
}

func normValue(v any) string {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', 12, 64)
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return strconv.FormatInt(i, 10)
		}
		f, _ := x.Float64()
		return strconv.FormatFloat(f, 'g', 12, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

// stored reads every point of a measurement for one hostname back from
// InfluxDB, tags and fields told apart with SHOW TAG KEYS.
func stored(t *testing.T, db *testenv.InfluxDB, measurement, hostname string) []string {
	t.Helper()
	ctx := t.Context()
	tagKeys := map[string]bool{}
	series, err := db.Query(ctx, fmt.Sprintf(`SHOW TAG KEYS FROM "%s"`, measurement))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range series {
		for _, v := range s.Values {
			tagKeys[fmt.Sprint(v[0])] = true
		}
	}
	series, err = db.Query(ctx, fmt.Sprintf(`SELECT * FROM "%s" WHERE "hostname" = '%s'`, measurement, hostname))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range series {
		for _, row := range s.Values {
			tags, fields := map[string]string{}, map[string]any{}
			var at time.Time
			for i, col := range s.Columns {
				v := row[i]
				switch {
				case col == "time":
					n, _ := v.(json.Number).Int64()
					at = time.Unix(n, 0)
				case v == nil:
				case tagKeys[col]:
					tags[col] = fmt.Sprint(v)
				default:
					fields[col] = v
				}
			}
			out = append(out, norm(measurement, tags, fields, at))
		}
	}
	sort.Strings(out)
	return out
}

// expected returns the minute points the simulator served for an
// appliance of the Orchestrator of the ORCH_* variables.
func expected(t *testing.T, sim *simulator.Simulator, id string, first, last int64) map[string][]string {
	return expectedOf(t, sim, config.DefaultOrchName, id, first, last)
}

// expectedOf returns the minute points the simulator served for an
// appliance, tagged with the name of its Orchestrator, by measurement.
func expectedOf(t *testing.T, sim *simulator.Simulator, orchestrator, id string, first, last int64) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for m := first; m <= last; m += 60 {
		pts, err := sim.ExpectedMinutePoints(id, m)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pts {
			p.Tags.Set(telemetry.TagOrchestrator, orchestrator)
			out[p.Measurement] = append(out[p.Measurement], normPoint(p))
		}
	}
	for _, v := range out {
		sort.Strings(v)
	}
	return out
}

// fieldTypes returns field → type of a measurement as InfluxDB stores it.
func fieldTypes(t *testing.T, db *testenv.InfluxDB, measurement string) map[string]string {
	t.Helper()
	series, err := db.Query(t.Context(), fmt.Sprintf(`SHOW FIELD KEYS FROM "%s"`, measurement))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range series {
		for _, v := range s.Values {
			out[fmt.Sprint(v[0])] = fmt.Sprint(v[1])
		}
	}
	return out
}

type roles struct {
	good, unreachable, badCreds, corrupt, slow simulator.ApplianceInfo
}

// pickRoles chooses distinct appliances for each fault from the fleet.
func pickRoles(t *testing.T, sim *simulator.Simulator) roles {
	t.Helper()
	var r roles
	var reach []simulator.ApplianceInfo
	for _, a := range sim.Appliances() {
		if a.Reachable {
			reach = append(reach, a)
		} else if r.unreachable.ID == "" {
			r.unreachable = a
		}
	}
	if len(reach) < 4 || r.unreachable.ID == "" {
		t.Fatalf("fleet lacks 4 reachable and 1 unreachable appliance: %+v", sim.Appliances())
	}
	r.good, r.badCreds, r.corrupt, r.slow = reach[0], reach[1], reach[2], reach[3]
	return r
}

func TestPipelineStoresWhatTheAppliancesServed(t *testing.T) {
	p := Start(t, Options{Appliances: 8, Faults: simulator.Faults{UnreachableFraction: 0.15}})
	r := pickRoles(t, p.Sim)
	p.Sim.SetFault(r.badCreds.ID, simulator.Fault{BadCredentials: true})
	p.Sim.SetFault(r.corrupt.ID, simulator.Fault{CorruptArchive: true})
	p.Sim.SetFault(r.slow.ID, simulator.Fault{SlowEndpoints: []simulator.Endpoint{simulator.EndpointLogin}})
	// An outstanding alarm whatever the time of day, so that alarm_events
	// is written.
	p.Sim.SetFault(r.good.ID, simulator.Fault{FixedAlarms: true, Alarms: []simulator.Alarm{
		{Severity: 3, SequenceID: 1, Name: "disk_health", Type: "HW", Source: "System", Time: p.Clock.Now().Add(-time.Hour)}}})
	ctx := t.Context()

	firstNewest, _ := p.Sim.Window()
	p.RunCycles(ctx, 2)
	newest, _ := p.Sim.Window()
	if newest != firstNewest+60 {
		t.Fatalf("window moved from %d to %d, want one minute", firstNewest, newest)
	}

	// Every minute measurement of every healthy appliance, value for value.
	for _, a := range p.Sim.Appliances() {
		if !a.Reachable || a.ID == r.badCreds.ID || a.ID == r.corrupt.ID || a.ID == r.slow.ID {
			continue
		}
		want := expected(t, p.Sim, a.ID, firstNewest-120, newest)
		if len(want) != 11 {
			t.Errorf("%s: simulator produced %d minute measurements, want 11", a.Hostname, len(want))
		}
		for m, w := range want {
			if diff := cmp.Diff(w, stored(t, p.Influx, m, a.Hostname)); diff != "" {
				t.Errorf("%s %s (-served +stored):\n%s", a.Hostname, m, diff)
			}
		}
	}

	// Field types follow the schema.
	for _, spec := range telemetry.Schema {
		got := fieldTypes(t, p.Influx, spec.Name)
		if len(got) == 0 {
			t.Errorf("measurement %s was not written", spec.Name)
			continue
		}
		for f, typ := range got {
			fs, ok := spec.Field(f)
			if !ok || fs.Type.String() != typ {
				t.Errorf("%s.%s stored as %s, schema says %v", spec.Name, f, typ, fs.Type)
			}
		}
	}

	// Point-in-time values of the healthy appliance equal what it served last.
	served, err := p.Sim.LastServed(r.good.ID)
	if err != nil {
		t.Fatal(err)
	}
	q := func(query string) string {
		v, err := p.Influx.QueryValue(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		return normValue(v)
	}
	host := r.good.Hostname
	checks := []struct{ query, want string }{
		{fmt.Sprintf(`SELECT last("used_memory") FROM "memory_stats" WHERE "hostname"='%s'`, host), strconv.FormatInt(served.Memory.Used, 10)},
		{fmt.Sprintf(`SELECT last("major_alarms") FROM "alarm_stats" WHERE "hostname"='%s'`, host), strconv.Itoa(served.Alarms.NumMajor)},
		{fmt.Sprintf(`SELECT last("total_routes") FROM "route_table_stats" WHERE "hostname"='%s'`, host), strconv.Itoa(served.Routes.Total)},
		{fmt.Sprintf(`SELECT last("uptime") FROM "appliance_metadata" WHERE "hostname"='%s'`, host), strconv.FormatInt(*served.UptimeMs, 10)},
		{fmt.Sprintf(`SELECT count("model") FROM "appliance_metadata" WHERE "hostname"='%s'`, host), "2"},
	}
	for _, c := range checks {
		if got := q(c.query); got != c.want {
			t.Errorf("%s = %s, want %s", c.query, got, c.want)
		}
	}

	// The failing appliances: metadata written, clear log lines naming them.
	for _, a := range []simulator.ApplianceInfo{r.unreachable, r.badCreds, r.corrupt, r.slow} {
		if got := q(fmt.Sprintf(`SELECT count("model") FROM "appliance_metadata" WHERE "hostname"='%s'`, a.Hostname)); got != "2" {
			t.Errorf("%s: %s metadata points, want 2 (one per cycle)", a.Hostname, got)
		}
	}
	if got := q(fmt.Sprintf(`SELECT last("reachable") FROM "appliance_metadata" WHERE "hostname"='%s'`, r.unreachable.Hostname)); got != "false" {
		t.Errorf("unreachable appliance: reachable = %s, want false", got)
	}
	logs := p.Logs.String()
	for _, want := range []struct{ host, msg string }{
		{r.unreachable.Hostname, "appliance unreachable"},
		{r.badCreds.Hostname, "appliance login failed"},
		{r.slow.Hostname, "appliance login failed"},
		{r.corrupt.Hostname, "minute stats archive is corrupt"},
	} {
		if !logHas(logs, want.host, want.msg) {
			t.Errorf("no log line %q naming %s", want.msg, want.host)
		}
	}
	if !logHas(logs, r.badCreds.Hostname, "401") || !logHas(logs, r.slow.Hostname, "timeout") && !logHas(logs, r.slow.Hostname, "deadline") {
		t.Errorf("login failures do not say why:\n%s", grep(logs, "login failed"))
	}
	// The corrupt appliance's other sources were still stored.
	if got := q(fmt.Sprintf(`SELECT count("used_memory") FROM "memory_stats" WHERE "hostname"='%s'`, r.corrupt.Hostname)); got != "2" {
		t.Errorf("corrupt appliance: %s memory points, want 2", got)
	}
	// Every successful login was followed by a logout.
	for _, a := range p.Sim.Appliances() {
		st, _ := p.Sim.Stats(a.ID)
		if st.Logins != st.Logouts || st.OpenSessions != 0 {
			t.Errorf("%s: logins %d logouts %d open %d", a.Hostname, st.Logins, st.Logouts, st.OpenSessions)
		}
	}
}

func logHas(logs, host, msg string) bool {
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, `"hostname":"`+host+`"`) && strings.Contains(l, msg) {
			return true
		}
	}
	return false
}

func grep(logs, s string) string {
	var out []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestBackfillAfterWorkerOutage(t *testing.T) {
	p := Start(t, Options{Appliances: 3, Seed: 5})
	ctx := t.Context()
	first, _ := p.Sim.Window()
	p.RunCycles(ctx, 1)

	// The workers stop for seven simulated minutes; discovery keeps going.
	p.StopWorkers()
	for i := 0; i < 7; i++ {
		p.Clock.Add(time.Minute)
		sum := p.Cycle(ctx)
		if i > 0 && sum.StillQueued == 0 {
			t.Errorf("outage cycle %d: still_queued 0, want the pending tasks kept (no pile-up)", i)
		}
	}
	p.StartWorkers()
	p.Clock.Add(time.Minute)
	// The restarted workers may or may not have run the outage's tasks
	// before this cycle: either way each appliance has one task, never two.
	sum := p.Cycle(ctx)
	if sum.Queued+sum.StillQueued != sum.Selected || sum.Errors != 0 {
		t.Errorf("first cycle after the restart: %+v, want each selected appliance queued or still queued once", sum)
	}
	// The tasks queued during the outage run on the restarted workers.
	p.WaitIdle(ctx, 60*time.Second)
	newest, _ := p.Sim.Window()
	for _, a := range p.Sim.Appliances() {
		if !a.Reachable {
			continue
		}
		want := expected(t, p.Sim, a.ID, first-120, newest)
		for m, w := range want {
			got := stored(t, p.Influx, m, a.Hostname)
			if diff := cmp.Diff(w, got); diff != "" {
				t.Errorf("%s %s after the outage (-served +stored):\n%s", a.Hostname, m, diff)
			}
		}
		v, err := p.Influx.QueryValue(ctx, fmt.Sprintf(`SELECT count("boost_bytes") FROM "boost_stats" WHERE "hostname"='%s'`, a.Hostname))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := normValue(v), strconv.FormatInt((newest-(first-120))/60+1, 10); got != want {
			t.Errorf("%s: %s boost minutes stored, want %s (every minute exactly once)", a.Hostname, got, want)
		}
	}
}

// TestInfluxDBOutageLosesNothing stops InfluxDB after discovery queued a
// cycle and before the workers ran it. The point-in-time values the workers
// collected meanwhile wait in the Redis spool and are written when InfluxDB
// is back; so do the events of an alarm raised and one cleared during the
// outage, spooled apart from the other points; the minute stats of the
// outage are fetched again by the next cycle (watermark). Nothing is lost
// and nothing is stored twice.
//
// The appliances serve fixed alarms: the modelled ones follow the clock,
// which starts at the current minute, so whether one was raised or cleared
// in the outage minute, and with it how many entries the spool holds,
// would depend on when the test runs.
func TestInfluxDBOutageLosesNothing(t *testing.T) {
	p := Start(t, Options{Appliances: 3, Seed: 5, Config: func(c *config.Config) { c.SpoolReplay = 100 * time.Millisecond }})
	ctx := t.Context()
	first, _ := p.Sim.Window()
	fixAlarms := func(id string, alarms ...simulator.Alarm) {
		t.Helper()
		if err := p.Sim.SetFault(id, simulator.Fault{FixedAlarms: true, Alarms: alarms}); err != nil {
			t.Fatal(err)
		}
	}
	disk := simulator.Alarm{Severity: 3, SequenceID: 71, Name: "disk_health", Type: "HW", Source: "System",
		Description: "Disk health degraded", Time: p.Clock.Now().Add(-time.Hour)}
	for _, a := range p.Sim.Appliances() {
		fixAlarms(a.ID, disk)
	}
	p.RunCycles(ctx, 1)

	// The outage cycle: queued while InfluxDB answers, run while it is down.
	p.StopWorkers()
	p.Clock.Add(time.Minute)
	outageAt := p.Clock.Now()
	var changed simulator.ApplianceInfo // its disk alarm clears, a tunnel alarm is raised
	for _, a := range p.Sim.Appliances() {
		if a.Reachable {
			changed = a
			break
		}
	}
	if changed.ID == "" {
		t.Fatal("no reachable appliance")
	}
	tunnel := simulator.Alarm{Severity: 4, SequenceID: 72, Name: "tunnel_down", Type: "SW", Source: "to_HUB",
		Description: "Tunnel to_HUB is down", Time: outageAt.Add(-30 * time.Second)}
	fixAlarms(changed.ID, tunnel)
	sum := p.Cycle(ctx)
	p.Influx.Stop()
	p.StartWorkers()
	p.WaitCycle(ctx, sum.Cycle, 90*time.Second)
	// What each reachable appliance served while InfluxDB was down.
	served := map[string]simulator.Served{}
	for _, a := range p.Sim.Appliances() {
		if a.Reachable {
			s, err := p.Sim.LastServed(a.ID)
			if err != nil {
				t.Fatal(err)
			}
			served[a.Hostname] = s
		}
	}
	if len(served) == 0 {
		t.Fatal("no reachable appliance")
	}
	// One entry per appliance with its metadata and point-in-time values,
	// and one more with the events of the appliance whose alarms changed.
	var hosts, pointsOf, events []string
	for _, a := range p.Sim.Appliances() {
		hosts = append(hosts, a.Hostname)
	}
	sort.Strings(hosts)
	entries := spooledEntries(t, p)
	for _, e := range entries {
		host, meas, _ := strings.Cut(e, " ")
		switch {
		case meas == telemetry.MeasAlarmEvents:
			events = append(events, host)
		case strings.Contains(meas, telemetry.MeasAlarmEvents) || !strings.Contains(meas, telemetry.MeasApplianceMetadata):
			t.Errorf("spool entry %q: want either an appliance's metadata and point-in-time values or its alarm events", e)
		default:
			pointsOf = append(pointsOf, host)
		}
	}
	if !slices.Equal(pointsOf, hosts) || !slices.Equal(events, []string{changed.Hostname}) {
		t.Fatalf("spool during the outage holds the points of %q and the events of %q, want %q and %q; entries:\n%s",
			pointsOf, events, hosts, changed.Hostname, strings.Join(entries, "\n"))
	}
	if !strings.Contains(p.Logs.String(), "spooled in Redis") {
		t.Error("no log line says points were spooled")
	}

	p.Influx.Restart()
	deadline := time.Now().Add(60 * time.Second)
	for {
		n, err := p.rdb.LLen(ctx, spool.DefaultKey).Result()
		if err == nil && n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("spool still holds %d entries (%v) a minute after InfluxDB came back", n, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.Clock.Add(time.Minute)
	p.RunCycles(ctx, 1)
	newest, _ := p.Sim.Window()

	q := func(query string) string {
		v, err := p.Influx.QueryValue(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		return normValue(v)
	}
	at := outageAt.UnixNano()
	for _, a := range p.Sim.Appliances() {
		// Metadata of every appliance, unreachable ones too: one per cycle.
		if got := q(fmt.Sprintf(`SELECT count("model") FROM "appliance_metadata" WHERE "hostname"='%s'`, a.Hostname)); got != "3" {
			t.Errorf("%s: %s metadata points, want 3 (one per cycle, the outage's from the spool)", a.Hostname, got)
		}
		s, ok := served[a.Hostname]
		if !ok {
			continue
		}
		// The outage cycle's values are the ones served then.
		if got, want := q(fmt.Sprintf(`SELECT "used_memory" FROM "memory_stats" WHERE "hostname"='%s' AND time = %d`, a.Hostname, at)),
			strconv.FormatInt(s.Memory.Used, 10); got != want {
			t.Errorf("%s: memory_stats at the outage = %s, want %s as served", a.Hostname, got, want)
		}
		if got, want := q(fmt.Sprintf(`SELECT "major_alarms" FROM "alarm_stats" WHERE "hostname"='%s' AND time = %d`, a.Hostname, at)),
			strconv.Itoa(s.Alarms.NumMajor); got != want {
			t.Errorf("%s: alarm_stats at the outage = %s, want %s as served", a.Hostname, got, want)
		}
		// Every minute exactly once, the outage's minute included.
		for m, w := range expected(t, p.Sim, a.ID, first-120, newest) {
			if diff := cmp.Diff(w, stored(t, p.Influx, m, a.Hostname)); diff != "" {
				t.Errorf("%s %s (-served +stored):\n%s", a.Hostname, m, diff)
			}
		}
		// The events: the disk alarm raised once (first seen in the
		// first cycle); on the changed appliance, its clear and the
		// tunnel alarm's raise, both from the spool.
		want := []string{fmt.Sprintf("%d raised disk_health", disk.Time.Unix())}
		if a.ID == changed.ID {
			want = append(want, fmt.Sprintf("%d cleared disk_health", outageAt.Unix()), fmt.Sprintf("%d raised tunnel_down", tunnel.Time.Unix()))
			sort.Strings(want)
		}
		if diff := cmp.Diff(want, alarmEvents(t, p, a.Hostname)); diff != "" {
			t.Errorf("%s alarm_events (-want +stored):\n%s", a.Hostname, diff)
		}
	}
}

// spooledEntries describes each entry of the spool as the hostnames and
// the measurements of its points ("host measurement,measurement ...",
// hosts and measurements sorted), in sorted order.
func spooledEntries(t *testing.T, p *Pipeline) []string {
	t.Helper()
	raw, err := p.rdb.LRange(t.Context(), spool.DefaultKey, 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, z := range raw {
		zr, err := gzip.NewReader(strings.NewReader(z))
		if err != nil {
			t.Fatalf("spool entry: %v", err)
		}
		body, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("spool entry: %v", err)
		}
		meas := map[string]map[string]bool{} // hostname → measurements
		dec := lineprotocol.NewDecoderWithBytes(body)
		for dec.Next() {
			m, err := dec.Measurement()
			if err != nil {
				t.Fatalf("spool entry: %v", err)
			}
			host := ""
			for {
				k, v, err := dec.NextTag()
				if err != nil {
					t.Fatalf("spool entry: %v", err)
				}
				if k == nil {
					break
				}
				if string(k) == "hostname" {
					host = string(v)
				}
			}
			if meas[host] == nil {
				meas[host] = map[string]bool{}
			}
			meas[host][string(m)] = true
		}
		var hosts []string
		for h, ms := range meas {
			hosts = append(hosts, h+" "+strings.Join(slices.Sorted(maps.Keys(ms)), ","))
		}
		sort.Strings(hosts)
		out = append(out, strings.Join(hosts, "; "))
	}
	sort.Strings(out)
	return out
}

// alarmEvents returns the stored alarm_events of hostname as "time event
// name", sorted.
func alarmEvents(t *testing.T, p *Pipeline, hostname string) []string {
	t.Helper()
	series, err := p.Influx.Query(t.Context(), fmt.Sprintf(`SELECT "event" FROM "alarm_events" WHERE "hostname"='%s' GROUP BY "name"`, hostname))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range series {
		for _, v := range s.Values {
			got = append(got, fmt.Sprintf("%v %v %s", v[0], v[1], s.Tags["name"]))
		}
	}
	sort.Strings(got)
	return got
}

// TestRedisOutageLosesNothing stops Redis between two cycles. Discovery
// waits, saying which dependency is down, and resumes by itself when Redis
// is back (with its data, as the compose file's append-only Redis keeps
// it); the workers reconnect; the next jobs fill the minutes of the outage
// exactly once.
func TestRedisOutageLosesNothing(t *testing.T) {
	p := Start(t, Options{Appliances: 3, Seed: 5})
	ctx := t.Context()
	first, _ := p.Sim.Window()
	p.RunCycles(ctx, 1)

	p.Redis.Stop()
	p.Clock.Add(3 * time.Minute) // three minutes pass while Redis is down
	type result struct {
		sum discovery.Summary
		err error
	}
	done := make(chan result, 1)
	go func() {
		sum, err := p.disc.Cycle(ctx, p.Clock.Now())
		done <- result{sum, err}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(grep(p.Logs.String(), "waiting for dependencies"), "redis") {
		if time.Now().After(deadline) {
			t.Fatalf("discovery did not say Redis is down:\n%s", grep(p.Logs.String(), "discovery"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case r := <-done:
		t.Fatalf("the cycle ran while Redis was down: %+v, %v", r.sum, r.err)
	default:
	}
	p.Redis.Restart()
	var r result
	select {
	case r = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("discovery did not resume within a minute of Redis coming back")
	}
	if r.err != nil || r.sum.Queued != len(p.Sim.Appliances()) {
		t.Fatalf("cycle after the outage = %+v, %v; want every appliance queued", r.sum, r.err)
	}
	p.WaitCycle(ctx, r.sum.Cycle, 60*time.Second)
	if !strings.Contains(p.Logs.String(), "dependencies are back") {
		t.Error("no log line says discovery resumed")
	}

	newest, _ := p.Sim.Window()
	for _, a := range p.Sim.Appliances() {
		if !a.Reachable {
			continue
		}
		for m, w := range expected(t, p.Sim, a.ID, first-120, newest) {
			if diff := cmp.Diff(w, stored(t, p.Influx, m, a.Hostname)); diff != "" {
				t.Errorf("%s %s after the Redis outage (-served +stored):\n%s", a.Hostname, m, diff)
			}
		}
	}
}
