package hatest

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/influx"
	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/e2e"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// vmKey names one sample: metric name, labels and time.
func vmKey(name string, labels map[string]string, ms int64) string {
	var l []string
	for k, v := range labels {
		if k != "__name__" && v != "" {
			l = append(l, k+"="+v)
		}
	}
	sort.Strings(l)
	return fmt.Sprintf("%s{%s}@%d", name, strings.Join(l, ","), ms)
}

// TestVictoriaMetricsStoresThePoints runs the pipeline with DB_URL pointing
// at a VictoriaMetrics, through the normal InfluxDB writer (/api/v2/write),
// and reads everything back with /api/v1/export: every numeric and boolean
// field of every point is a sample of the series <measurement>_<field>
// with the point's tags as labels, and the number of points the workers
// reported writing is the number of distinct (measurement, tags, time)
// found. String fields carry no value there: they are listed.
func TestVictoriaMetricsStoresThePoints(t *testing.T) {
	vm := testenv.StartVictoriaMetrics(t)
	p := e2e.Start(t, e2e.Options{Appliances: 4, Seed: 44, Config: func(c *config.Config) {
		c.DBURL, c.DBToken, c.DBOrg, c.DBBucket = vm.URL, "", "ECTELEM", "ECTELEM"
	}})
	ctx := t.Context()
	first, _ := p.Sim.Window()
	var written int64
	for c := range 2 {
		if c > 0 {
			p.Clock.Add(time.Minute)
		}
		sum := p.Cycle(ctx)
		st := p.WaitCycle(ctx, sum.Cycle, 60*time.Second)
		if st.Failed != 0 {
			t.Fatalf("cycle %d: %+v", c+1, st)
		}
		written += st.Points
	}
	last, _ := p.Sim.Window()

	// metric name → (measurement, field), from the schema.
	type mf struct{ m, f string }
	names := map[string]mf{}
	for _, spec := range telemetry.Schema {
		for _, f := range spec.Fields {
			names[spec.Name+"_"+f.Name] = mf{spec.Name, f.Name}
		}
	}
	// Discovery writes these itself; the cycle statistics count the
	// workers' points only.
	byDiscovery := map[string]bool{telemetry.MeasOrchestratorHealth: true, telemetry.MeasBGPNeighborState: true}
	var (
		samples      map[string]float64
		points       map[string]bool // measurement{tags}@time
		stringSeries map[string]bool
		dbLabel      = "(none)"
	)
	read := func() {
		series, err := vm.Export(ctx, `{__name__=~".+"}`)
		if err != nil {
			t.Fatal(err)
		}
		samples, points, stringSeries = map[string]float64{}, map[string]bool{}, map[string]bool{}
		for _, s := range series {
			name := s.Metric["__name__"]
			id, ok := names[name]
			if !ok {
				t.Fatalf("series %s matches no <measurement>_<field> of the schema", name)
			}
			spec, _ := telemetry.Lookup(id.m)
			if fs, _ := spec.Field(id.f); fs.Type == telemetry.String {
				stringSeries[name] = true
				// VictoriaMetrics 1.79 keeps the series with the number
				// the text spells ("5" → 5), or else 0: the text is lost.
			}
			if db, ok := s.Metric["db"]; ok {
				dbLabel = db
			}
			for i, ms := range s.Timestamps {
				samples[vmKey(name, s.Metric, ms)] = s.Values[i]
				if !byDiscovery[id.m] {
					points[vmKey(id.m, s.Metric, ms)] = true
				}
			}
		}
	}
	// VictoriaMetrics makes new series searchable within seconds.
	deadline := time.Now().Add(30 * time.Second)
	for read(); int64(len(points)) < written && time.Now().Before(deadline); read() {
		time.Sleep(200 * time.Millisecond)
	}
	// A point written twice (the same series and time, as overlapping
	// source windows give) is stored once, here as in InfluxDB.
	if n := int64(len(points)); n > written || n < written*99/100 {
		t.Errorf("VictoriaMetrics holds %d points (distinct measurement, tags, time), the workers wrote %d", n, written)
	}
	// The once-a-cycle measurements: one point per appliance and cycle.
	perHost := map[string]int{}
	for k := range points {
		m := k[:strings.Index(k, "{")]
		if i := strings.Index(k, "hostname="); i > 0 {
			h := k[i+len("hostname="):]
			h = h[:strings.IndexAny(h, ",}")]
			perHost[m+" "+h]++
		}
	}
	for _, a := range p.Sim.Appliances() {
		for _, m := range []string{telemetry.MeasApplianceMetadata, telemetry.MeasMemoryStats, telemetry.MeasAlarmStats, telemetry.MeasRouteTableStats, telemetry.MeasTunnelCountStats, telemetry.MeasRealtime} {
			if a.Reachable && perHost[m+" "+a.Hostname] != 2 {
				t.Errorf("%s: %d %s points, want 2 (one per cycle)", a.Hostname, perHost[m+" "+a.Hostname], m)
			}
		}
	}

	// Every minute-stats point of every reachable appliance, value for
	// value; string fields have no value to compare.
	checked := 0
	var strings_ []string
	for _, a := range p.Sim.Appliances() {
		if !a.Reachable {
			continue
		}
		for m := first - 120; m <= last; m += 60 {
			pts, err := p.Sim.ExpectedMinutePoints(a.ID, m)
			if err != nil {
				t.Fatal(err)
			}
			for _, pt := range pts {
				for f, v := range pt.Fields.All() {
					name := pt.Measurement + "_" + f
					var want float64
					switch x := v.(type) {
					case int64:
						want = float64(x)
					case float64:
						want = x
					case bool:
						if x {
							want = 1
						}
					case string:
						if !slices.Contains(strings_, name) {
							strings_ = append(strings_, name)
						}
						continue
					}
					tags := maps.Clone(pt.Tags.Map())
					tags[telemetry.TagOrchestrator] = config.DefaultOrchName // the workers add it as they write
					k := vmKey(name, tags, pt.Time.UnixMilli())
					got, ok := samples[k]
					switch {
					case !ok:
						t.Errorf("%s: no sample %s", a.Hostname, k)
					case math.Abs(got-want) > 1e-11*math.Abs(want): // VictoriaMetrics keeps 12 significant digits
						t.Errorf("%s: %s = %v, want %v", a.Hostname, k, got, want)
					}
					checked++
				}
			}
		}
	}
	if checked < 1000 {
		t.Errorf("compared only %d samples", checked)
	}
	sort.Strings(strings_)
	t.Logf("%d points written, %d minute-stats samples compared; db label: %s; string fields of minute stats: %v; string-field series VictoriaMetrics kept (as numbers): %v",
		written, checked, dbLabel, strings_, slices.Sorted(maps.Keys(stringSeries)))
}

// VictoriaMetrics takes the writer's gzipped writes (DB_GZIP=true).
func TestVictoriaMetricsTakesGzipWrites(t *testing.T) {
	vm := testenv.StartVictoriaMetrics(t)
	w, err := influx.NewWriter(influx.Options{URL: vm.URL, Bucket: "ECTELEM", UseGzip: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	at := time.Unix(1736503200, 0)
	pts := []telemetry.Point{
		{Measurement: "memory_stats", Tags: telemetry.Tags{{Key: "hostname", Value: "EC-1"}},
			Fields: telemetry.Fields{telemetry.IntField("free", 42)}, Time: at},
		{Measurement: "memory_stats", Tags: telemetry.Tags{{Key: "hostname", Value: "EC-1"}},
			Fields: telemetry.Fields{telemetry.IntField("free", 43)}, Time: at.Add(time.Minute)},
	}
	if n, err := w.Write(t.Context(), pts); err != nil || n != len(pts) {
		t.Fatalf("Write = %d, %v; want %d", n, err, len(pts))
	}
	series, err := vm.Export(t.Context(), `{__name__="memory_stats_free"}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(series) != 1 || !slices.Equal(series[0].Values, []float64{42, 43}) || series[0].Metric["hostname"] != "EC-1" {
		t.Errorf("memory_stats_free = %+v, want EC-1's 42 and 43", series)
	}
}
