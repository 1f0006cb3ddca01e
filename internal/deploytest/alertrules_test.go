package deploytest

// This file runs every Grafana alert rule (grafana/provisioning/alerting, as
// render.sh writes it with the compose defaults) against a real InfluxDB
// filled by the real pipeline, and evaluates each rule's expressions the way
// Grafana does: each query's series reduced to their last number, math
// joined on equal labels, the threshold applied to the result. First on a
// healthy fleet (no alert), then after one fault per appliance (exactly the
// faulted appliances alert).

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/e2e"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// alertEval is the outcome of one rule's evaluation: the condition's value
// per series (by seriesName); a series alerts when its value is not 0.
type alertEval map[string]float64

func (e alertEval) alerting() []string {
	var out []string
	for h, v := range e {
		if v != 0 {
			out = append(out, h)
		}
	}
	slices.Sort(out)
	return out
}

// evalRule evaluates r at time at, as Grafana's scheduler would.
func evalRule(t *testing.T, db *testenv.InfluxDB, r alertRule, at time.Time) alertEval {
	t.Helper()
	// Series are identified by their labels, the query's GROUP BY tags.
	series := map[string]map[string][]float64{} // refId → labels → values
	numbers := map[string]map[string]float64{}  // refId → labels → number
	hostOf := map[string]string{}
	for _, n := range r.nodes {
		switch {
		case n.influx != nil:
			from := at.Add(-time.Duration(n.from) * time.Second)
			tf := fmt.Sprintf("time >= %dms and time <= %dms", from.UnixMilli(), at.UnixMilli())
			q := strings.ReplaceAll(n.influx.Query, "$timeFilter", tf)
			res, err := db.Query(t.Context(), q)
			if err != nil {
				t.Fatalf("%s/%s: %v\n%s", *r.Uid, n.refID, err, q)
			}
			out := map[string][]float64{}
			for _, s := range res {
				key := labelKey(s.Tags)
				hostOf[key] = seriesName(s.Tags)
				for _, row := range s.Values {
					if len(row) < 2 || row[1] == nil {
						continue // Grafana's dropNN
					}
					out[key] = append(out[key], toFloat(t, row[1]))
				}
			}
			series[n.refID] = out
		case n.reduce != nil:
			in, ok := series[n.reduce.Expression]
			if !ok || n.reduce.Reducer != "last" {
				t.Fatalf("%s/%s: reduce %s of %q: the test reduces query results with last only", *r.Uid, n.refID, n.reduce.Reducer, n.reduce.Expression)
			}
			out := map[string]float64{}
			for k, vs := range in {
				if len(vs) > 0 {
					out[k] = vs[len(vs)-1]
				}
			}
			numbers[n.refID] = out
		case n.math != nil:
			out := map[string]float64{}
			refs := mathRefs(n.math.Expression)
			if len(refs) == 0 {
				t.Fatalf("%s/%s: math %q uses no $ref", *r.Uid, n.refID, n.math.Expression)
			}
			// Numbers join on equal labels: a series missing from an
			// operand drops out.
		keys:
			for k := range numbers[refs[0]] {
				vals := map[string]float64{}
				for _, ref := range refs {
					v, ok := numbers[ref][k]
					if !ok {
						continue keys
					}
					vals[ref] = v
				}
				v, err := evalMath(n.math.Expression, vals)
				if err != nil {
					t.Fatalf("%s/%s: %v", *r.Uid, n.refID, err)
				}
				out[k] = v
			}
			numbers[n.refID] = out
		case n.threshold != nil:
			in, ok := numbers[n.threshold.Expression]
			if !ok {
				t.Fatalf("%s/%s: threshold of %q, which is not a number node", *r.Uid, n.refID, n.threshold.Expression)
			}
			ev := n.threshold.Conditions[0].Evaluator
			out := map[string]float64{}
			for k, v := range in {
				var fire bool
				switch p := ev.Params; ev.Type {
				case "gt":
					fire = v > p[0]
				case "lt":
					fire = v < p[0]
				case "within_range":
					fire = v > p[0] && v < p[1]
				case "outside_range":
					fire = v < p[0] || v > p[1]
				default:
					t.Fatalf("%s/%s: evaluator %q", *r.Uid, n.refID, ev.Type)
				}
				out[k] = 0
				if fire {
					out[k] = 1
				}
			}
			numbers[n.refID] = out
		}
	}
	res := alertEval{}
	cond, ok := numbers[r.Condition]
	if !ok {
		t.Fatalf("%s: condition %s yields no numbers", *r.Uid, r.Condition)
	}
	for k, v := range cond {
		res[hostOf[k]] = v
	}
	return res
}

// seriesName names an alert series for the tests: its hostname, prefixed
// with "<orchestrator>/" unless the Orchestrator is the default one.
func seriesName(tags map[string]string) string {
	if o := tags["orchestrator"]; o != "" && o != config.DefaultOrchName {
		return o + "/" + tags["hostname"]
	}
	return tags["hostname"]
}

// labelKey identifies a series by its sorted tags.
func labelKey(tags map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		parts = append(parts, k+"="+tags[k])
	}
	return strings.Join(parts, ",")
}

// mathRefs returns the $refs of a math expression, in order.
func mathRefs(e string) []string {
	var out []string
	for i := 0; i < len(e); i++ {
		if e[i] == '$' {
			j := i + 1
			for j < len(e) && (e[j] >= 'A' && e[j] <= 'Z' || e[j] >= 'a' && e[j] <= 'z' || e[j] >= '0' && e[j] <= '9') {
				j++
			}
			out = append(out, e[i+1:j])
			i = j - 1
		}
	}
	return out
}

// evalMath evaluates a Grafana math expression of numbers and $refs with
// + - * / and parentheses.
func evalMath(e string, vals map[string]float64) (float64, error) {
	p := mathParser{s: strings.ReplaceAll(e, " ", ""), vals: vals}
	v := p.sum()
	if p.err == nil && p.i != len(p.s) {
		p.err = fmt.Errorf("math %q: unexpected %q", e, p.s[p.i:])
	}
	return v, p.err
}

type mathParser struct {
	s    string
	i    int
	vals map[string]float64
	err  error
}

func (p *mathParser) sum() float64 {
	v := p.product()
	for p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
		op := p.s[p.i]
		p.i++
		w := p.product()
		if op == '+' {
			v += w
		} else {
			v -= w
		}
	}
	return v
}

func (p *mathParser) product() float64 {
	v := p.operand()
	for p.i < len(p.s) && (p.s[p.i] == '*' || p.s[p.i] == '/') {
		op := p.s[p.i]
		p.i++
		w := p.operand()
		if op == '*' {
			v *= w
		} else {
			v /= w
		}
	}
	return v
}

func (p *mathParser) operand() float64 {
	if p.err != nil || p.i >= len(p.s) {
		if p.err == nil {
			p.err = fmt.Errorf("math %q: operand missing", p.s)
		}
		return 0
	}
	switch c := p.s[p.i]; {
	case c == '(':
		p.i++
		v := p.sum()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			p.err = fmt.Errorf("math %q: ) missing", p.s)
		}
		p.i++
		return v
	case c == '$':
		ref := mathRefs(p.s[p.i:])[0]
		p.i += 1 + len(ref)
		v, ok := p.vals[ref]
		if !ok {
			p.err = fmt.Errorf("math %q: no value for $%s", p.s, ref)
		}
		return v
	default:
		j := p.i
		for j < len(p.s) && (p.s[j] >= '0' && p.s[j] <= '9' || p.s[j] == '.') {
			j++
		}
		v, err := strconv.ParseFloat(p.s[p.i:j], 64)
		if err != nil {
			p.err = fmt.Errorf("math %q: %v", p.s, err)
		}
		p.i = j
		return v
	}
}

func TestEvalMath(t *testing.T) {
	vals := map[string]float64{"C": 50, "D": 200}
	tests := []struct {
		in   string
		want float64
	}{
		{"$C * 100 / $D", 25},
		{"($C + $D) / 2", 125},
		{"$D - $C - 10", 140},
		{"2 * (3 + 4)", 14},
	}
	for _, tc := range tests {
		if got, err := evalMath(tc.in, vals); err != nil || got != tc.want {
			t.Errorf("evalMath(%q) = %v, %v, want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"$X + 1", "(1 + 2", "1 +", "1 $C"} {
		if _, err := evalMath(bad, vals); err == nil {
			t.Errorf("evalMath(%q) succeeded", bad)
		}
	}
}

func TestAlertRulesAgainstInfluxDB(t *testing.T) {
	rules := loadRules(t, mustRender(t, grafanaEnv(t)))
	db := testenv.StartInfluxDB(t)
	// A healthy fleet: every appliance reachable, the tunnel lists and the
	// alarms fixed (no modelled outage, no alarm).
	healthy := simulator.Fault{FixedTunnels: true, FixedAlarms: true}
	p := e2e.Start(t, e2e.Options{
		Appliances: 6, Seed: 11, Influx: db,
		Faults: simulator.Faults{Appliances: healthy},
		Config: func(c *config.Config) { c.FirstContactMins = fillMinutes },
	})
	ctx := t.Context()
	p.RunCycles(ctx, 1)
	p.WaitIdle(ctx, 60*time.Second)
	apps := p.Sim.Appliances()
	var hosts []string
	for _, a := range apps {
		hosts = append(hosts, a.Hostname)
	}
	slices.Sort(hosts)
	if got := p.Collected(); !slices.Equal(got, hosts) {
		t.Fatalf("collected %v, want the whole healthy fleet %v", got, hosts)
	}
	at := p.Clock.Now()
	for _, r := range rules {
		e := evalRule(t, db, r, at)
		// Every rule sees every appliance: the query works on real data.
		if got := slices.Sorted(maps.Keys(e)); !slices.Equal(got, hosts) {
			t.Errorf("healthy fleet: %s evaluates series %v, want one per appliance %v", *r.Uid, got, hosts)
		}
		if a := e.alerting(); len(a) > 0 {
			t.Errorf("healthy fleet: %s alerts for %v (values %v)", *r.Uid, a, e)
		}
	}
	if t.Failed() {
		return
	}

	// One fault per appliance, then eleven minutes later a cycle (the
	// workers fetch the minutes in between).
	offline, tunnels, loss, latency, wan, frozen := apps[0], apps[1], apps[2], apps[3], apps[4], apps[5]
	faults := map[string]simulator.Fault{
		tunnels.ID: {FixedTunnels: true, TunnelsDown: 2, FixedAlarms: true, Alarms: []simulator.Alarm{{
			Severity: 4, SequenceID: 7001, Name: "tunnel_down", Type: "SW", Source: "System",
			Description: "Tunnel down", Time: at,
		}}},
		loss.ID:    {FixedTunnels: true, FixedAlarms: true, TunnelQuality: &simulator.TunnelQuality{LossPct: 40}},
		latency.ID: {FixedTunnels: true, FixedAlarms: true, TunnelQuality: &simulator.TunnelQuality{LatencyMs: 900, JitterMs: 250}},
		wan.ID:     {FixedTunnels: true, FixedAlarms: true, SystemBandwidthKbps: 1},
		frozen.ID:  {FixedTunnels: true, FixedAlarms: true, MinutesFrozenAt: at},
	}
	for id, f := range faults {
		if err := p.Sim.SetFault(id, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Sim.TakeOffline(offline.ID); err != nil {
		t.Fatal(err)
	}
	p.Clock.Add(11 * time.Minute)
	p.RunCycles(ctx, 1)
	p.WaitIdle(ctx, 60*time.Second)
	at = p.Clock.Now()
	want := map[string][]string{
		"ec-appliance-offline":  {offline.Hostname},
		"ec-appliance-no-data":  {frozen.Hostname},
		"ec-tunnels-down":       {tunnels.Hostname},
		"ec-critical-alarm":     {tunnels.Hostname},
		"ec-overlay-loss":       {loss.Hostname},
		"ec-overlay-latency":    {latency.Hostname},
		"ec-overlay-jitter":     {latency.Hostname},
		"ec-wan-utilization-tx": {wan.Hostname},
		"ec-wan-utilization-rx": {wan.Hostname},
	}
	for _, r := range rules {
		e := evalRule(t, db, r, at)
		if got := e.alerting(); !slices.Equal(got, want[*r.Uid]) {
			t.Errorf("after the faults: %s alerts for %v, want %v (values %v)", *r.Uid, got, want[*r.Uid], e)
		}
	}
}

// Two Orchestrators number their appliances independently: both have a
// 3.NE, here with the same hostname too. Each rule keeps them apart, so the
// appliance that is down alerts although the other one, written later, is
// fine (a rule grouping by hostname and appliance id alone would take the
// later point of the two and stay silent).
func TestAlertRulesTellOrchestratorsApart(t *testing.T) {
	rules := loadRules(t, mustRender(t, grafanaEnv(t)))
	db := testenv.StartInfluxDB(t)
	at := time.Now().Truncate(time.Second)
	ts := func(ago time.Duration) int64 { return at.Add(-ago).Unix() }
	const tags = "appliance_id=3.NE,hostname=EC-SHARED"
	lines := []string{
		fmt.Sprintf("appliance_status,%s,orchestrator=east status_code=2i,data_age_seconds=60i %d", tags, ts(2*time.Minute)),
		fmt.Sprintf("appliance_status,%s,orchestrator=west status_code=0i,data_age_seconds=60i %d", tags, ts(time.Minute)),
		fmt.Sprintf("alarm_stats,%s,orchestrator=east critical_alarms=0i %d", tags, ts(2*time.Minute)),
		fmt.Sprintf("alarm_stats,%s,orchestrator=west critical_alarms=3i %d", tags, ts(time.Minute)),
		fmt.Sprintf("alarm_stats,%s,orchestrator=east critical_alarms=0i %d", tags, ts(30*time.Second)),
	}
	if err := db.WriteLines(t.Context(), strings.Join(lines, "\n")); err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		series, alerting []string
	}{
		"ec-appliance-offline": {[]string{"east/EC-SHARED", "west/EC-SHARED"}, []string{"east/EC-SHARED"}},
		"ec-critical-alarm":    {[]string{"east/EC-SHARED", "west/EC-SHARED"}, []string{"west/EC-SHARED"}},
	}
	seen := 0
	for _, r := range rules {
		w, ok := want[*r.Uid]
		if !ok {
			continue
		}
		seen++
		e := evalRule(t, db, r, at)
		if got := slices.Sorted(maps.Keys(e)); !slices.Equal(got, w.series) {
			t.Errorf("%s evaluates series %v, want %v", *r.Uid, got, w.series)
		}
		if got := e.alerting(); !slices.Equal(got, w.alerting) {
			t.Errorf("%s alerts for %v, want %v (values %v)", *r.Uid, got, w.alerting, e)
		}
	}
	if seen != len(want) {
		t.Fatalf("found %d of the rules %v", seen, slices.Sorted(maps.Keys(want)))
	}
}
