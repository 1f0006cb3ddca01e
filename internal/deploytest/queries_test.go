package deploytest

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// testTimeFilter replaces $timeFilter: the whole filled history and more.
const testTimeFilter = "time > now() - 6h"

// mayBeEmpty lists the queries that may legitimately return nothing for the
// filled data, by "dashboard uid/panel title/refId", with the reason. Every
// other query of every panel must return at least one value.
var mayBeEmpty = map[string]string{
	"fleet-overview/Not normal/A":                    "counts appliances in a state other than Normal; there may be none",
	"fleet-overview/With critical or major alarms/A": "counts appliances with critical or major alarms; there may be none",
	"ec-appliance/WAN throughput (system)/C":         "licence line: none for an Unlimited licence",
	"ec-appliance/Peak WAN utilization/C":            "licence bandwidth: none for an Unlimited licence",
	"ec-appliance/annotation/Appliance restarts":     "marks uptimes under 10 minutes; the appliances have been up for longer",
}

// resolvedVar is a dashboard variable with the values a test run uses.
type resolvedVar struct {
	options    []string
	chosen     string // value in single-value positions ($var, ${var}, repeated panels)
	multi      bool
	includeAll bool
	allValue   string
}

// regexValue is what Grafana puts for ${var:regex}: the custom all value when
// "All" is selected and one is set, else the selected values as an escaped
// alternation.
func (v resolvedVar) regexValue() string {
	switch {
	case (v.multi || v.includeAll) && v.allValue != "":
		return v.allValue
	case v.multi || v.includeAll:
		esc := make([]string, len(v.options))
		for i, o := range v.options {
			esc[i] = regexp.QuoteMeta(o)
		}
		return "(" + strings.Join(esc, "|") + ")"
	}
	return regexp.QuoteMeta(v.chosen)
}

// substitute replaces Grafana's macros and the dashboard variables in q.
func substitute(q, timeFilter string, vars map[string]resolvedVar) (string, error) {
	q = strings.ReplaceAll(q, "$timeFilter", timeFilter)
	q = strings.ReplaceAll(q, "$__interval_ms", "60000")
	q = strings.ReplaceAll(q, "$__interval", "1m")
	var missing []string
	out := variableRef.ReplaceAllStringFunc(q, func(m string) string {
		sub := variableRef.FindStringSubmatch(m)
		name := sub[1] + sub[2] + sub[3]
		v, ok := vars[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		if strings.HasSuffix(m, ":regex}") {
			return v.regexValue()
		}
		return v.chosen
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("no value for %v in %q", missing, q)
	}
	return out, nil
}

// preferred picks the value used in single-value positions when the data
// offers a choice: an appliance that was collected, a tunnel that carried
// traffic.
type preferred func(t *testing.T, db *testenv.InfluxDB, options []string) string

// richestAppliance returns the first collected appliance with boost
// configured (so that the boost panels have data), else the first one.
func richestAppliance(t *testing.T, db *testenv.InfluxDB, hostnames []string) string {
	t.Helper()
	for _, h := range hostnames {
		q := fmt.Sprintf(`SELECT count("boost_bytes") FROM "boost_stats" WHERE "hostname" = '%s' AND "boost_configured_kbps" > 0 AND %s`, h, testTimeFilter)
		if rows(t, db, q) > 0 {
			return h
		}
	}
	return hostnames[0]
}

func preferredValues(host string) map[string]preferred {
	return map[string]preferred{
		"ec_hostname": func(t *testing.T, _ *testenv.InfluxDB, options []string) string {
			if !slices.Contains(options, host) {
				t.Fatalf("the collected appliance %s is not an option of ec_hostname %v", host, options)
			}
			return host
		},
		"tunnel_analysis_peer": func(t *testing.T, db *testenv.InfluxDB, options []string) string {
			for _, o := range options {
				q := fmt.Sprintf(`SELECT count("average_latency") FROM "tunnel_stats" WHERE "tunnel_alias" = '%s' AND "average_latency" > 0 AND %s`, o, testTimeFilter)
				if rows(t, db, q) > 0 {
					return o
				}
			}
			return options[0]
		},
	}
}

// resolveVariables runs the dashboard's variable queries in order, as
// Grafana does at load, and chooses the values of the test run.
func resolveVariables(t *testing.T, db *testenv.InfluxDB, d dashboard, prefer map[string]preferred) map[string]resolvedVar {
	t.Helper()
	vars := map[string]resolvedVar{}
	for _, v := range d.Templating.List {
		r := resolvedVar{multi: v.Multi, includeAll: v.IncludeAll, allValue: v.AllValue}
		switch v.Type {
		case "query":
			q, err := substitute(v.Query, testTimeFilter, vars)
			if err != nil {
				t.Fatalf("variable %s: %v", v.Name, err)
			}
			series, err := db.Query(t.Context(), q)
			if err != nil {
				t.Fatalf("variable %s: %v", v.Name, err)
			}
			// Grafana lists the values of the first column after time,
			// once each, of the first series only.
			if len(series) > 1 {
				t.Errorf("variable %s: %d series; Grafana would list the first one's values only: flatten the GROUP BY with a subquery", v.Name, len(series))
			}
			for _, s := range series {
				col := slices.IndexFunc(s.Columns, func(c string) bool { return c != "time" })
				for _, row := range s.Values {
					if col >= 0 && row[col] != nil && !slices.Contains(r.options, fmt.Sprint(row[col])) {
						r.options = append(r.options, fmt.Sprint(row[col]))
					}
				}
			}
			sort.Strings(r.options)
			if len(r.options) == 0 {
				t.Fatalf("variable %s: query %q lists no values", v.Name, q)
			}
			r.chosen = r.options[0]
			if p, ok := prefer[v.Name]; ok {
				r.chosen = p(t, db, r.options)
			}
		case "custom":
			// The smallest option, so that a moving average over that many
			// minutes has data.
			for _, o := range v.Options {
				r.options = append(r.options, o.Value)
			}
			slices.SortFunc(r.options, func(a, b string) int {
				x, _ := strconv.Atoi(a)
				y, _ := strconv.Atoi(b)
				return x - y
			})
			if len(r.options) == 0 {
				t.Fatalf("custom variable %s has no options", v.Name)
			}
			r.chosen = r.options[0]
		default:
			t.Fatalf("variable %s has type %q, which the test does not resolve", v.Name, v.Type)
		}
		vars[v.Name] = r
	}
	return vars
}

// goneMark marks the tag values writeGone stores.
const goneMark = "gone"

// writeGone stores points two days old (outside testTimeFilter) for an
// appliance that has gone, and for a tunnel, a WAN label and an interface
// that host no longer has, as left behind within the retention. Variable
// queries must not list them. It also checks that an unbounded SHOW TAG
// VALUES would list them, so that the check can fail.
func writeGone(t *testing.T, db *testenv.InfluxDB, host string) {
	t.Helper()
	ts := time.Now().Add(-48 * time.Hour).Unix()
	h := strings.ReplaceAll(host, " ", `\ `)
	lines := fmt.Sprintf(`appliance_metadata,appliance_id=99.NE,hostname=GONE-EC-99 model="EC-XS" %[1]d
tunnel_stats,appliance_id=1.NE,hostname=%[2]s,tunnel_id=tunnel_999,tunnel_alias=gone_tunnel,overlay=none bytes_wan_tx=1i %[1]d
deployment_info,appliance_id=1.NE,hostname=%[2]s,interface_name=wan9,interface_label=GONE-WAN,lan/wan=WAN wan_inbound_bw=1000i %[1]d
interface_stats,appliance_id=1.NE,hostname=%[2]s,interface_name=gone0,interface_label=none,traffic_type=all_traffic bytes_tx=1i %[1]d
`, ts, h)
	if err := db.WriteLines(t.Context(), lines); err != nil {
		t.Fatal(err)
	}
	series := query(t, db, `SHOW TAG VALUES FROM "appliance_metadata" WITH KEY = "hostname" WHERE time > now() - 6h`)
	listed := false
	for _, s := range series {
		for _, row := range s.Values {
			listed = listed || slices.Contains(row, any("GONE-EC-99"))
		}
	}
	if !listed {
		t.Fatal("SHOW TAG VALUES does not list the gone appliance: the time-bound check would prove nothing")
	}
}

// rows counts the rows with a non-null value of a query's result.
func rows(t *testing.T, db *testenv.InfluxDB, q string) int {
	t.Helper()
	series, err := db.Query(t.Context(), q)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return countValues(series)
}

func countValues(series []testenv.Series) int {
	n := 0
	for _, s := range series {
		for _, row := range s.Values {
			for i, c := range s.Columns {
				if c != "time" && i < len(row) && row[i] != nil {
					n++
					break
				}
			}
		}
	}
	return n
}

func TestDashboardQueriesAgainstInfluxDB(t *testing.T) {
	db := testenv.StartInfluxDB(t)
	hostnames := fillFromPipeline(t, db)
	if len(hostnames) == 0 {
		t.Fatal("fillFromPipeline collected no appliance")
	}
	host := richestAppliance(t, db, hostnames)
	prefer := preferredValues(host)
	writeGone(t, db, host)
	covered, dataPanels := 0, 0
	for _, d := range loadDashboards(t) {
		if wantDashboards[d.UID] != influxUID {
			continue
		}
		t.Run(d.UID, func(t *testing.T) {
			vars := resolveVariables(t, db, d, prefer)
			for name, v := range vars {
				for _, o := range v.options {
					if strings.Contains(strings.ToLower(o), goneMark) {
						t.Errorf("variable %s lists %q, whose points are older than the time range", name, o)
					}
				}
			}
			run := func(key, query string) {
				t.Helper()
				q, err := substitute(query, testTimeFilter, vars)
				if err != nil {
					t.Errorf("%s: %v", key, err)
					return
				}
				series, err := db.Query(t.Context(), q)
				if err != nil {
					t.Errorf("%s: %v", key, err)
					return
				}
				if countValues(series) == 0 {
					if _, ok := mayBeEmpty[key]; !ok {
						t.Errorf("%s returned no data:\n%s", key, q)
					}
				}
			}
			for _, p := range d.allPanels() {
				for _, tg := range p.Targets {
					if tg.Hide {
						continue
					}
					run(d.UID+"/"+p.Title+"/"+tg.RefID, tg.Query)
				}
				covered++
				if !slices.ContainsFunc(p.Targets, func(tg target) bool {
					_, ok := mayBeEmpty[d.UID+"/"+p.Title+"/"+tg.RefID]
					return ok
				}) {
					dataPanels++
				}
			}
			for _, a := range d.Annotations.List {
				if a.Target != nil {
					run(d.UID+"/annotation/"+a.Name, a.Target.Query)
				}
			}
		})
	}
	t.Logf("ran the queries of %d panels; %d of them must and did return data", covered, dataPanels)

	t.Run("values", func(t *testing.T) { checkValues(t, db, host) })
}

// findTarget returns a panel's target by dashboard uid, panel title and refId.
func findTarget(t *testing.T, uid, title, refID string) (dashboard, target) {
	t.Helper()
	for _, d := range loadDashboards(t) {
		if d.UID != uid {
			continue
		}
		for _, p := range d.allPanels() {
			if p.Title != title {
				continue
			}
			for _, tg := range p.Targets {
				if tg.RefID == refID {
					return d, tg
				}
			}
		}
	}
	t.Fatalf("no target %s/%s/%s", uid, title, refID)
	return dashboard{}, target{}
}

// number converts a query result cell to float64.
func toFloat(t *testing.T, v any) float64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("value %v (%T) is not a number", v, v)
	}
	f, err := n.Float64()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// column returns the values of one column of every row, by series tag value
// (tagKey "" means all series).
func column(t *testing.T, series []testenv.Series, name string) []float64 {
	t.Helper()
	var out []float64
	for _, s := range series {
		i := slices.Index(s.Columns, name)
		if i < 0 {
			t.Fatalf("series %v has no column %q", s.Columns, name)
		}
		for _, row := range s.Values {
			if row[i] != nil {
				out = append(out, toFloat(t, row[i]))
			}
		}
	}
	return out
}

// first is the first value of column name; the test fails when there is
// none.
func first(t *testing.T, series []testenv.Series, name string) float64 {
	t.Helper()
	v := column(t, series, name)
	if len(v) == 0 {
		t.Fatalf("no value in column %q of %v", name, series)
	}
	return v[0]
}

func query(t *testing.T, db *testenv.InfluxDB, q string) []testenv.Series {
	t.Helper()
	series, err := db.Query(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	return series
}

// checkValues checks the unit conversions of a few panel queries against the
// stored raw values, one minute at a time: bit rates are bytes x 8 / 60 in
// float, percent x 100 and MOS x 100 are divided in float.
func checkValues(t *testing.T, db *testenv.InfluxDB, host string) {
	minute := time.Now().UTC().Truncate(time.Minute).Add(-(fillMinutes / 2) * time.Minute)
	oneMinute := fmt.Sprintf("time >= %d AND time < %d", minute.UnixNano(), minute.Add(time.Minute).UnixNano())
	vars := func(d dashboard, extra map[string]string) map[string]resolvedVar {
		m := map[string]resolvedVar{}
		for _, v := range d.Templating.List {
			// Multi-value variables select just host, not All.
			m[v.Name] = resolvedVar{chosen: host, multi: v.Multi, includeAll: v.IncludeAll, options: []string{host}}
			if v.Name == "orchestrator" {
				// The pipeline's one Orchestrator, named by ORCH_NAME's default.
				m[v.Name] = resolvedVar{chosen: config.DefaultOrchName, multi: v.Multi, includeAll: v.IncludeAll, options: []string{config.DefaultOrchName}}
			}
		}
		for k, v := range extra {
			m[k] = resolvedVar{chosen: v, options: []string{v}}
		}
		return m
	}
	panelSeries := func(uid, title, refID string, extra map[string]string) []testenv.Series {
		d, tg := findTarget(t, uid, title, refID)
		q, err := substitute(tg.Query, oneMinute, vars(d, extra))
		if err != nil {
			t.Fatal(err)
		}
		return query(t, db, q)
	}
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}

	t.Run("system WAN bit rate", func(t *testing.T) {
		raw := column(t, query(t, db, fmt.Sprintf(`SELECT sum("wan_tx_bytes") FROM "flow_stats" WHERE "hostname" = '%s' AND "traffic_type" = 'all_traffic' AND %s`, host, oneMinute)), "sum")
		got := column(t, panelSeries("ec-appliance", "WAN throughput (system)", "A", nil), "Data TX")
		if len(raw) != 1 || len(got) != 1 {
			t.Fatalf("raw %v, panel %v: want one value each", raw, got)
		}
		near("WAN TX bit/s", got[0], raw[0]*8/60)
		fleet := column(t, panelSeries("fleet-overview", "System WAN throughput by appliance", "A", nil), "TX")
		if len(fleet) != 1 {
			t.Fatalf("fleet panel values %v, want one", fleet)
		}
		near("fleet WAN TX bit/s", fleet[0], raw[0]*8/60)
	})

	t.Run("percent x 100 and MOS x 100", func(t *testing.T) {
		series := query(t, db, fmt.Sprintf(`SELECT "Loss_Pct_pre-FEC", "Pre_FEC_MOS_Score_(*100)", "tunnel_alias" FROM "tunnel_stats" WHERE "hostname" = '%s' AND "tunnel_id" =~ /^bondedTunnel_/ AND %s`, host, oneMinute))
		if len(series) == 0 || len(series[0].Values) == 0 {
			t.Fatal("no overlay tunnel in the minute")
		}
		lossSeries := panelSeries("ec-appliance", "Overlay loss pre-FEC", "A", nil)
		mosSeries := panelSeries("ec-appliance", "Overlay MOS pre-FEC", "A", nil)
		checked := 0
		for _, row := range series[0].Values {
			alias := row[3].(string)
			loss, mos := toFloat(t, row[1]), toFloat(t, row[2])
			for _, s := range lossSeries {
				if s.Tags["tunnel_alias"] == alias {
					near("loss % of "+alias, column(t, []testenv.Series{s}, "mean")[0], loss/100)
					checked++
				}
			}
			if mos > 0 {
				for _, s := range mosSeries {
					if s.Tags["tunnel_alias"] == alias {
						near("MOS of "+alias, column(t, []testenv.Series{s}, "mean")[0], mos/100)
						checked++
					}
				}
			}
			if checked >= 4 {
				break
			}
		}
		if checked == 0 {
			t.Error("no overlay value compared")
		}
	})

	t.Run("inventory site group serial", func(t *testing.T) {
		d, tg := findTarget(t, "fleet-overview", "Inventory", "A")
		q, err := substitute(tg.Query, testTimeFilter, vars(d, nil))
		if err != nil {
			t.Fatal(err)
		}
		series := query(t, db, q)
		if len(series) != 1 || len(series[0].Values) != 1 {
			t.Fatalf("Inventory rows for %s: %v, want one", host, series)
		}
		for _, c := range []string{"site", "group", "serial"} {
			i := slices.Index(series[0].Columns, c)
			if i < 0 || series[0].Values[0][i] == nil || series[0].Values[0][i] == "" {
				t.Errorf("Inventory of %s: column %s empty or missing in %v %v", host, c, series[0].Columns, series[0].Values[0])
			}
		}
	})

	t.Run("tunnel count distribution", func(t *testing.T) {
		raw := query(t, db, fmt.Sprintf(`SELECT last("down_overlay_sdwan_tunnels") AS "o", last("down_underlay_sdwan_tunnels") AS "u", last("down_third_party_tunnels") AS "p", last("up_overlay_sdwan_tunnels") AS "up" FROM "tunnel_count_stats" WHERE "hostname" = '%s' AND %s`, host, testTimeFilter))
		d, tg := findTarget(t, "ec-appliance", "Tunnel count distribution", "A")
		q, err := substitute(tg.Query, testTimeFilter, vars(d, nil))
		if err != nil {
			t.Fatal(err)
		}
		got := query(t, db, q)
		down := first(t, raw, "o") + first(t, raw, "u") + first(t, raw, "p")
		near("down tunnels", first(t, got, "Down"), down)
		near("up overlay tunnels", first(t, got, "Up overlay"), first(t, raw, "up"))
	})

	t.Run("current WAN utilization", func(t *testing.T) {
		d, tg := findTarget(t, "ec-appliance", "Current WAN utilization", "A")
		q, err := substitute(tg.Query, testTimeFilter, vars(d, nil))
		if err != nil {
			t.Fatal(err)
		}
		got := column(t, query(t, db, q), "cur_tx")
		last := query(t, db, fmt.Sprintf(`SELECT sum("wan_tx_bytes") FROM "flow_stats" WHERE "hostname" = '%s' AND "traffic_type" = 'all_traffic' AND %s GROUP BY time(1m) fill(none) ORDER BY time DESC LIMIT 1`, host, testTimeFilter))
		want := column(t, last, "sum")
		if len(got) != 1 || len(want) != 1 {
			t.Fatalf("panel %v, raw %v: want one value each", got, want)
		}
		near("current WAN TX bit/s", got[0], want[0]*8/60)
	})

	t.Run("boost share of configured", func(t *testing.T) {
		series := query(t, db, fmt.Sprintf(`SELECT "boost_bytes", "boost_configured_kbps" FROM "boost_stats" WHERE "hostname" = '%s' AND %s`, host, oneMinute))
		if len(series) != 1 || len(series[0].Values) != 1 {
			t.Fatalf("boost_stats rows %v, want one", series)
		}
		bytes, kbps := toFloat(t, series[0].Values[0][1]), toFloat(t, series[0].Values[0][2])
		if kbps == 0 {
			t.Skip("no boost configured on this appliance")
		}
		got := column(t, panelSeries("ec-appliance", "Peak boost of configured", "A", nil), "max")
		if len(got) != 1 {
			t.Fatalf("panel values %v, want one", got)
		}
		near("peak boost share", got[0], bytes*8/60/(kbps*1000))
	})
}
