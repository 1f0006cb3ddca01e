package deploytest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	sdkdashboard "github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/gauge"
	"github.com/grafana/grafana-foundation-sdk/go/histogram"
	"github.com/grafana/grafana-foundation-sdk/go/piechart"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/statetimeline"
	"github.com/grafana/grafana-foundation-sdk/go/statushistory"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// Data source uids provisioned by grafana/provisioning/datasources.
const (
	influxUID = "ec_telem_influx"
	promUID   = "prometheus"
)

// wantDashboards are the dashboards shipped, by uid: the Python demo's four
// uids (kept so that links and bookmarks survive) and the new ones.
var wantDashboards = map[string]string{
	"fleet-overview":      influxUID,
	"ec-appliance":        influxUID,
	"all-appliance-wan":   influxUID,
	"all-appliance-boost": influxUID,
	"shaper":              influxUID,
	"ec-telemetry-stack":  promUID,
}

type dsRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type target struct {
	RefID        string `json:"refId"`
	Datasource   *dsRef `json:"datasource"`
	Query        string `json:"query"`
	RawQuery     bool   `json:"rawQuery"`
	ResultFormat string `json:"resultFormat"`
	Alias        string `json:"alias"`
	Expr         string `json:"expr"`
	Hide         bool   `json:"hide"`
}

type thresholds struct {
	Steps []struct {
		Color string   `json:"color"`
		Value *float64 `json:"value"`
	} `json:"steps"`
}

type property struct {
	ID    string          `json:"id"`
	Value json.RawMessage `json:"value"`
}

type panel struct {
	ID          int      `json:"id"`
	Type        string   `json:"type"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Datasource  *dsRef   `json:"datasource"`
	Targets     []target `json:"targets"`
	Repeat      string   `json:"repeat"`
	Interval    string   `json:"interval"`
	Panels      []panel  `json:"panels"` // a collapsed row's panels
	GridPos     struct {
		H, W, X, Y int
	} `json:"gridPos"`
	FieldConfig struct {
		Defaults struct {
			Unit       string          `json:"unit"`
			Thresholds *thresholds     `json:"thresholds"`
			Links      json.RawMessage `json:"links"`
		} `json:"defaults"`
		Overrides []struct {
			Matcher struct {
				ID      string `json:"id"`
				Options string `json:"options"`
			} `json:"matcher"`
			Properties []property `json:"properties"`
		} `json:"overrides"`
	} `json:"fieldConfig"`
	Transformations json.RawMessage `json:"transformations"`
}

type variable struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	Label       string `json:"label"`
	Description string `json:"description"`
	Datasource  *dsRef `json:"datasource"`
	Query       string `json:"query"`
	Multi       bool   `json:"multi"`
	IncludeAll  bool   `json:"includeAll"`
	AllValue    string `json:"allValue"`
	Hide        int    `json:"hide"`
	Refresh     int    `json:"refresh"`
	Options     []struct {
		Text  string `json:"text"`
		Value string `json:"value"`
	} `json:"options"`
	Current struct {
		Value any `json:"value"`
	} `json:"current"`
}

type annotation struct {
	Name       string  `json:"name"`
	BuiltIn    int     `json:"builtIn"`
	Datasource *dsRef  `json:"datasource"`
	Query      string  `json:"query"`
	Target     *target `json:"target"`
}

type dashboard struct {
	file        string
	UID         string   `json:"uid"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Tags        []string `json:"tags"`
	Refresh     string   `json:"refresh"`
	Templating  struct {
		List []variable `json:"list"`
	} `json:"templating"`
	Annotations struct {
		List []annotation `json:"list"`
	} `json:"annotations"`
	Panels []panel `json:"panels"`
}

// allPanels returns every panel, rows' nested panels included, rows left out.
func (d dashboard) allPanels() []panel {
	var out []panel
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			out = append(out, p)
		}
	}
	walk(d.Panels)
	return out
}

func loadDashboards(t *testing.T) []dashboard {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "grafana", "dashboards", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no dashboards in grafana/dashboards")
	}
	var out []dashboard
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		d.file = filepath.Base(f)
		out = append(out, d)
	}
	return out
}

func TestDashboardsSet(t *testing.T) {
	got := map[string]string{}
	titles := map[string]string{}
	for _, d := range loadDashboards(t) {
		if prev, ok := got[d.UID]; ok {
			t.Errorf("uid %q used by %s and another dashboard (%s)", d.UID, d.file, prev)
		}
		got[d.UID] = d.file
		if prev, ok := titles[d.Title]; ok {
			t.Errorf("title %q used by %s and %s", d.Title, d.file, prev)
		}
		titles[d.Title] = d.file
		if d.file != d.UID+".json" {
			t.Errorf("%s holds uid %q; name the file after the uid", d.file, d.UID)
		}
		if d.Description == "" || !slices.Contains(d.Tags, "ec-telemetry") {
			t.Errorf("%s: want a description and the tag ec-telemetry (dashboard links use it)", d.file)
		}
	}
	var uids []string
	for uid := range got {
		uids = append(uids, uid)
	}
	sort.Strings(uids)
	var want []string
	for uid := range wantDashboards {
		want = append(want, uid)
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, uids); diff != "" {
		t.Errorf("dashboard uids (-want +got):\n%s", diff)
	}
}

// builtinVariables are Grafana's own variables.
var builtinVariables = []string{"timeFilter", "__interval", "__interval_ms", "__from", "__to", "__range",
	"__rate_interval", "__value", "__data", "__url_time_range", "__field", "__series", "__all", "__dashboard",
	"col", "tag_hostname", "tag_cpu_number", "tag_disk_dir", "tag_drop_reason", "tag_interface_name",
	"tag_interface_label", "tag_overlay", "tag_tunnel_alias", "tag_traffic_class", "tag_shaper_direction"}

var variableRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\}|\$([A-Za-z_][A-Za-z0-9_]*)|\[\[([A-Za-z_][A-Za-z0-9_]*)\]\]`)

func variableRefs(s string) []string {
	var out []string
	for _, m := range variableRef.FindAllStringSubmatch(s, -1) {
		for _, g := range m[1:] {
			if g != "" {
				out = append(out, g)
			}
		}
	}
	return out
}

func TestDashboardPanels(t *testing.T) {
	for _, d := range loadDashboards(t) {
		t.Run(d.UID, func(t *testing.T) {
			wantUID := wantDashboards[d.UID]
			defined := map[string]bool{}
			for _, v := range d.Templating.List {
				if defined[v.Name] {
					t.Errorf("variable %s defined twice", v.Name)
				}
				defined[v.Name] = true
				if v.Description == "" || v.Label == "" {
					t.Errorf("variable %s: want a label and a description", v.Name)
				}
				if v.Type == "query" && (v.Datasource == nil || v.Datasource.UID != wantUID) {
					t.Errorf("variable %s data source = %+v, want uid %s", v.Name, v.Datasource, wantUID)
				}
				// SHOW TAG VALUES ignores time on InfluxDB 1.8, so values
				// gone within the retention stay listed: list them with a
				// SELECT over the dashboard's time range, refreshed when it
				// changes.
				if v.Type == "query" && wantUID == influxUID &&
					(!strings.HasPrefix(v.Query, "SELECT ") || !strings.Contains(v.Query, "$timeFilter") || v.Refresh != 2) {
					t.Errorf("variable %s: want a SELECT with $timeFilter refreshed on time range change (refresh 2), got refresh %d %q", v.Name, v.Refresh, v.Query)
				}
				for _, ref := range variableRefs(v.Query) {
					if !defined[ref] && !slices.Contains(builtinVariables, ref) {
						t.Errorf("variable %s uses $%s, which is not defined before it", v.Name, ref)
					}
				}
			}
			ids := map[int]bool{}
			for _, p := range d.Panels {
				if p.GridPos.X+p.GridPos.W > 24 || p.GridPos.W <= 0 || p.GridPos.H <= 0 {
					t.Errorf("panel %q gridPos %+v outside the 24-column grid", p.Title, p.GridPos)
				}
				if ids[p.ID] {
					t.Errorf("panel id %d used twice", p.ID)
				}
				ids[p.ID] = true
				if p.Type == "row" {
					checkRefs(t, defined, "row "+p.Title, p.Title, p.Repeat)
				}
			}
			for _, p := range d.allPanels() {
				name := fmt.Sprintf("panel %q", p.Title)
				if p.Datasource == nil || p.Datasource.UID != wantUID {
					t.Errorf("%s data source = %+v, want uid %s", name, p.Datasource, wantUID)
				}
				if len(p.Targets) == 0 {
					t.Errorf("%s has no query", name)
				}
				if len(p.Description) < 40 {
					t.Errorf("%s: description %q is too short to say what is shown and in which unit", name, p.Description)
				}
				if needsUnit(p.Type) && p.FieldConfig.Defaults.Unit == "" {
					t.Errorf("%s (%s) sets no unit", name, p.Type)
				}
				checkRefs(t, defined, name, p.Title, p.Description, p.Repeat, string(p.FieldConfig.Defaults.Links))
				for _, o := range p.FieldConfig.Overrides {
					for _, pr := range o.Properties {
						checkRefs(t, defined, name, string(pr.Value))
					}
				}
				for _, tg := range p.Targets {
					if tg.Datasource == nil || tg.Datasource.UID != wantUID {
						t.Errorf("%s target %s data source = %+v, want uid %s", name, tg.RefID, tg.Datasource, wantUID)
					}
					checkRefs(t, defined, name, tg.Query, tg.Expr, tg.Alias)
					if wantUID == influxUID {
						checkInfluxQL(t, name+" "+tg.RefID, tg)
					}
				}
				checkThresholds(t, name, p)
			}
			for _, a := range d.Annotations.List {
				if a.BuiltIn == 1 {
					continue
				}
				if a.Datasource == nil || a.Datasource.UID != wantUID || a.Target == nil {
					t.Errorf("annotation %s data source %+v, want uid %s and a target", a.Name, a.Datasource, wantUID)
					continue
				}
				checkRefs(t, defined, "annotation "+a.Name, a.Target.Query)
				checkInfluxQL(t, "annotation "+a.Name, *a.Target)
			}
		})
	}
}

func needsUnit(typ string) bool {
	switch typ {
	case "timeseries", "stat", "gauge", "bargauge", "histogram", "piechart", "status-history":
		return true
	}
	return false
}

func checkRefs(t *testing.T, defined map[string]bool, where string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		for _, ref := range variableRefs(s) {
			if !defined[ref] && !slices.Contains(builtinVariables, ref) {
				t.Errorf("%s uses $%s, which is not defined", where, ref)
			}
		}
	}
}

var (
	fluxSyntax  = regexp.MustCompile(`\|>|from\(\s*bucket|v\.timeRange|import\s+"`)
	dbQualified = regexp.MustCompile(`(?i)FROM\s+"[^"]+"\s*\.\s*"`)
	quotedIdent = regexp.MustCompile(`"([^"]+)"`)
	aliasIdent  = regexp.MustCompile(`AS\s+"([^"]+)"`)
	fromMeas    = regexp.MustCompile(`FROM\s+"([^"]+)"`)
	// literals are what intOperands must not look into: quoted identifiers,
	// strings and regular expressions.
	literals = regexp.MustCompile(`"[^"]*"|'[^']*'|[=!]~\s*/(?:[^/\\]|\\.)*/`)
	number   = regexp.MustCompile(`[0-9]+(?:\.[0-9]+)?`)
)

// intOperands returns the integer literals used as an operand of * or /.
// Inside a subquery InfluxDB 1.8 truncates integer divisions (84 / 100 is 0
// there), so every constant in arithmetic must be a float literal.
func intOperands(q string) []string {
	q = literals.ReplaceAllStringFunc(q, func(s string) string { return strings.Repeat(" ", len(s)) })
	var out []string
	for _, loc := range number.FindAllStringIndex(q, -1) {
		tok := q[loc[0]:loc[1]]
		if strings.Contains(tok, ".") {
			continue
		}
		if loc[0] > 0 && (isIdentChar(q[loc[0]-1]) || q[loc[0]-1] == '.') {
			continue // part of a name or a duration such as 1m
		}
		if loc[1] < len(q) && (isIdentChar(q[loc[1]]) || q[loc[1]] == '.') {
			continue
		}
		if strings.HasSuffix(strings.TrimRight(q[:loc[0]], " "), ",") {
			continue // a function argument: percentile("f", 95)
		}
		before := strings.TrimRight(q[:loc[0]], " (")
		after := strings.TrimLeft(q[loc[1]:], " )")
		if strings.HasSuffix(before, "*") || strings.HasSuffix(before, "/") ||
			strings.HasPrefix(after, "*") || strings.HasPrefix(after, "/") {
			out = append(out, tok)
		}
	}
	return out
}

func isIdentChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// checkInfluxQL enforces the dashboard query rules: raw InfluxQL, float
// constants, no Flux, no hard-coded database or bucket, $timeFilter on every
// SELECT, and only measurements, tags and fields of the schema.
func checkInfluxQL(t *testing.T, where string, tg target) {
	t.Helper()
	q := tg.Query
	if !tg.RawQuery || q == "" {
		t.Errorf("%s: want a raw InfluxQL query, got rawQuery=%v %q", where, tg.RawQuery, q)
		return
	}
	if fluxSyntax.MatchString(q) {
		t.Errorf("%s: Flux syntax in %q", where, q)
	}
	if dbQualified.MatchString(q) || strings.Contains(q, "ECTELEM") {
		t.Errorf("%s: hard-coded database or bucket in %q; the data source selects it", where, q)
	}
	if ints := intOperands(q); len(ints) > 0 {
		t.Errorf("%s: integer constants %q in arithmetic in %q; write them as floats (8.0, 60.0, 100.0)", where, ints, q)
	}
	if strings.HasPrefix(q, "SELECT") && !strings.Contains(q, "$timeFilter") && !strings.Contains(q, "now() -") {
		t.Errorf("%s: SELECT without $timeFilter: %q", where, q)
	}
	if tg.ResultFormat != "time_series" && tg.ResultFormat != "table" {
		t.Errorf("%s: resultFormat %q", where, tg.ResultFormat)
	}
	var specs []telemetry.MeasurementSpec
	for _, m := range fromMeas.FindAllStringSubmatch(q, -1) {
		s, ok := telemetry.Lookup(m[1])
		if !ok {
			t.Errorf("%s: unknown measurement %q", where, m[1])
			continue
		}
		specs = append(specs, s)
	}
	aliases := map[string]bool{}
	for _, m := range aliasIdent.FindAllStringSubmatch(q, -1) {
		aliases[m[1]] = true
	}
	for _, m := range quotedIdent.FindAllStringSubmatch(q, -1) {
		id := m[1]
		if aliases[id] {
			continue
		}
		known := false
		for _, s := range specs {
			if _, ok := s.Field(id); ok || s.HasTag(id) || s.Name == id {
				known = true
			}
		}
		if !known {
			t.Errorf("%s: %q is neither a measurement, tag, field of %v nor an alias", where, id, measNames(specs))
		}
	}
}

func measNames(specs []telemetry.MeasurementSpec) []string {
	var out []string
	for _, s := range specs {
		out = append(out, s.Name)
	}
	return out
}

// checkThresholds catches thresholds on the wrong scale (the demo's 0–100
// thresholds on 0–1 values never fired).
func checkThresholds(t *testing.T, where string, p panel) {
	t.Helper()
	check := func(unit string, th *thresholds, ctx string) {
		if th == nil {
			return
		}
		limit := map[string]float64{"percentunit": 1.5, "percent": 100}[unit]
		for _, s := range th.Steps {
			if s.Value != nil && limit > 0 && *s.Value > limit {
				t.Errorf("%s%s: threshold %v beyond the range of unit %s", where, ctx, *s.Value, unit)
			}
		}
	}
	def := p.FieldConfig.Defaults
	check(def.Unit, def.Thresholds, "")
	for _, o := range p.FieldConfig.Overrides {
		unit := def.Unit
		var th *thresholds
		for _, pr := range o.Properties {
			switch pr.ID {
			case "unit":
				json.Unmarshal(pr.Value, &unit)
			case "thresholds":
				th = new(thresholds)
				json.Unmarshal(pr.Value, th)
			}
		}
		check(unit, th, " override "+o.Matcher.Options)
	}
}

// TestStackDashboardMetricsExist checks the Prometheus dashboard against the
// collectors internal/metrics registers: the metrics it names, and the
// labels its sums are taken by.
func TestStackDashboardMetricsExist(t *testing.T) {
	known := map[string][]string{} // metric name: its labels
	m := metrics.New()
	v := reflect.ValueOf(m).Elem()
	descName := regexp.MustCompile(`fqName: "([^"]+)"`)
	descLabels := regexp.MustCompile(`variableLabels: \{([^}]*)\}`)
	for i := range v.NumField() {
		c, ok := v.Field(i).Interface().(prometheus.Collector)
		if !ok {
			continue
		}
		ch := make(chan *prometheus.Desc, 16)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			name := descName.FindStringSubmatch(d.String())
			if name == nil {
				continue
			}
			var labels []string
			if l := descLabels.FindStringSubmatch(d.String()); l != nil && l[1] != "" {
				labels = strings.Split(l[1], ",")
			}
			for _, suffix := range []string{"", "_sum", "_count"} {
				known[name[1]+suffix] = labels
			}
			known[name[1]+"_bucket"] = append(slices.Clone(labels), "le")
		}
	}
	ref := regexp.MustCompile(`ectelemetry_[a-z_]+`)
	by := regexp.MustCompile(`\bby \(([^)]*)\)`)
	for _, d := range loadDashboards(t) {
		if wantDashboards[d.UID] != promUID {
			continue
		}
		for _, p := range d.allPanels() {
			for _, tg := range p.Targets {
				if tg.Expr == "" {
					t.Errorf("panel %q target %s has no PromQL", p.Title, tg.RefID)
				}
				// Every label a sum is taken by is one of the expression's
				// metrics' own, or one Prometheus adds to each target.
				labels := []string{"instance", "job"}
				for _, name := range ref.FindAllString(tg.Expr, -1) {
					l, ok := known[name]
					if !ok {
						t.Errorf("panel %q uses %s, which internal/metrics does not register", p.Title, name)
					}
					labels = append(labels, l...)
				}
				for _, b := range by.FindAllStringSubmatch(tg.Expr, -1) {
					if containerRef.MatchString(tg.Expr) {
						break // cAdvisor's labels are its own
					}
					for _, l := range strings.Split(b[1], ",") {
						if l = strings.TrimSpace(l); !slices.Contains(labels, l) {
							t.Errorf("panel %q target %s sums by %q, a label none of its metrics has", p.Title, tg.RefID, l)
						}
					}
				}
				for _, m := range containerRef.FindAllStringSubmatch(tg.Expr, -1) {
					if name := m[1]; !slices.Contains(cadvisorMetrics, name) {
						t.Errorf("panel %q uses %s, which is not one of the cAdvisor metrics %v", p.Title, name, cadvisorMetrics)
					}
				}
				for _, name := range redisRef.FindAllString(tg.Expr, -1) {
					if !slices.Contains(redisExporterMetrics, name) {
						t.Errorf("panel %q uses %s, which is not one of the Redis exporter's metrics %v", p.Title, name, redisExporterMetrics)
					}
				}
				if err := balanced(tg.Expr); err != nil {
					t.Errorf("panel %q target %s: %v in %s", p.Title, tg.RefID, err, tg.Expr)
				}
			}
		}
	}
}

// cadvisorMetrics are the cAdvisor metrics the stack dashboard may use
// (container metrics scraped by the monitoring overlay's Prometheus).
var cadvisorMetrics = []string{"container_cpu_usage_seconds_total", "container_memory_working_set_bytes",
	"container_network_receive_bytes_total", "container_network_transmit_bytes_total"}

// redisExporterMetrics are the redis_exporter metrics the stack dashboard
// and the alert rules may use (Redis 6.2 or newer for the main thread's).
var redisExporterMetrics = []string{"redis_cpu_user_main_thread_seconds_total", "redis_cpu_sys_main_thread_seconds_total"}

// redisRef matches a redis_* metric name.
var redisRef = regexp.MustCompile(`\bredis_[a-z_]+`)

// containerRef matches a container_* metric name (a label name is followed
// by a matcher instead).
var containerRef = regexp.MustCompile(`\b(container_[a-z_]+)\s*[{\[)]`)

// balanced is the PromQL syntax check the tests can afford without the
// Prometheus parser module: brackets pair up and quotes close. The metric
// names are checked against their sources above.
func balanced(expr string) error {
	var stack []rune
	pair := map[rune]rune{')': '(', ']': '[', '}': '{'}
	inQuote := false
	for i, r := range expr {
		switch {
		case r == '"' && (i == 0 || expr[i-1] != '\\'):
			inQuote = !inQuote
		case inQuote:
		case r == '(' || r == '[' || r == '{':
			stack = append(stack, r)
		case pair[r] != 0:
			if len(stack) == 0 || stack[len(stack)-1] != pair[r] {
				return fmt.Errorf("unbalanced %q at %d", r, i)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if inQuote || len(stack) > 0 {
		return fmt.Errorf("unclosed quote or bracket")
	}
	return nil
}

func TestGrafanaProvisioning(t *testing.T) {
	root := repoRoot(t)
	ds, err := os.ReadFile(filepath.Join(root, "grafana", "provisioning", "datasources", "datasources.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"apiVersion: 1", "uid: " + influxUID, "type: influxdb", "url: ${DB_URL}", "version: InfluxQL",
		"dbName: ${DB_BUCKET}", "httpMode: POST", "httpHeaderName1: Authorization",
		"httpHeaderValue1: Token ${DB_TOKEN}", "uid: " + promUID, "type: prometheus", "url: http://prometheus:9090",
	} {
		if !strings.Contains(string(ds), want) {
			t.Errorf("datasources.yaml lacks %q", want)
		}
	}
	for _, bad := range []string{"is_default", "org_id", "tlsSkipVerify: true", "Flux", "defaultBucket"} {
		if strings.Contains(string(ds), bad) {
			t.Errorf("datasources.yaml contains %q", bad)
		}
	}
	prov, err := os.ReadFile(filepath.Join(root, "grafana", "provisioning", "dashboards", "ec-telemetry.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"apiVersion: 1", "type: file", "allowUiUpdates: false", "path: /etc/grafana/dashboards"} {
		if !strings.Contains(string(prov), want) {
			t.Errorf("dashboard provider lacks %q", want)
		}
	}
}

// TestDashboardsDocumented checks that docs/dashboards.md names every
// dashboard uid and every panel title.
func TestDashboardsDocumented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "dashboards.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, d := range loadDashboards(t) {
		if !strings.Contains(doc, "`"+d.UID+"`") {
			t.Errorf("docs/dashboards.md does not name dashboard `%s`", d.UID)
		}
		for _, p := range d.allPanels() {
			title := strings.TrimSpace(strings.ReplaceAll(p.Title, "$ec_hostname", ""))
			if !strings.Contains(doc, title) {
				t.Errorf("docs/dashboards.md does not describe panel %q of %s", title, d.UID)
			}
		}
	}
}

func TestIntOperands(t *testing.T) {
	tests := []struct {
		q    string
		want []string
	}{
		{`SELECT mean("l") / 100 FROM "m"`, []string{"100"}},
		{`SELECT sum("b") * 8 / 60 FROM "m"`, []string{"8", "60"}},
		{`SELECT (sum("a") + sum("b")) / 60 FROM "m"`, []string{"60"}},
		{`SELECT 100 * mean("x") FROM "m"`, []string{"100"}},
		{`SELECT mean("l") / 100.0 FROM "m"`, nil},
		{`SELECT mean("Pre_FEC_MOS_Score_(*100)") / 100.0 FROM "m"`, nil},
		{`SELECT percentile("b", 95) * 8.0 / 60.0 FROM "m"`, nil},
		{`SELECT last("x") FROM "m" WHERE "x" < 1000000000 AND time > now() - 5m GROUP BY time(1m)`, nil},
		{`SELECT top("x", "h", 20) FROM "m" WHERE "t" =~ /^tunnel_1*/ AND "h" = 'a/2'`, nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, intOperands(tt.q)); diff != "" {
			t.Errorf("intOperands(%s) (-want +got):\n%s", tt.q, diff)
		}
	}
}

var (
	// dashboardURL matches a dashboard or render URL with a query string:
	// /d/<uid>, /d/<uid>/<slug>, /render/d/<uid>, /d-solo/<uid>.
	dashboardURL = regexp.MustCompile(`/d(?:-solo)?/([A-Za-z0-9_-]+)(?:/[A-Za-z0-9_-]*)?\?([^\s"'` + "`" + `)]+)`)
	renderDash   = regexp.MustCompile(`--dashboard[ =](\S+)`)
	renderVar    = regexp.MustCompile(`--var[ =]([A-Za-z0-9_]+)=`)
)

// TestDocumentedURLsUseDashboardVariables checks every dashboard URL and
// every `ectelemetry render` command of README.md and docs/*.md, and the
// dashboards' links to each other: the uid
// exists and each var-<name> (or --var name=) is a variable of that
// dashboard. Grafana ignores an unknown variable and renders its default, so
// a renamed variable would silently break bookmarks and curl commands.
func TestDocumentedURLsUseDashboardVariables(t *testing.T) {
	root := repoRoot(t)
	vars := map[string]map[string]bool{}
	for _, d := range loadDashboards(t) {
		vars[d.UID] = map[string]bool{}
		for _, v := range d.Templating.List {
			vars[d.UID][v.Name] = true
		}
	}
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	// The dashboards' own links to each other too.
	boards, err := filepath.Glob(filepath.Join(root, "grafana", "dashboards", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	docs = append(docs, boards...)
	urls, commands := 0, 0
	check := func(file, uid string, names []string) {
		t.Helper()
		have, ok := vars[uid]
		if !ok {
			t.Errorf("%s: dashboard uid %q does not exist", file, uid)
			return
		}
		for _, n := range names {
			if !have[n] {
				t.Errorf("%s: dashboard %s has no variable %q", file, uid, n)
			}
		}
	}
	for _, f := range append([]string{filepath.Join(root, "README.md")}, docs...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		text := strings.ReplaceAll(string(b), "\\\n", " ") // shell line continuations
		for _, m := range dashboardURL.FindAllStringSubmatch(text, -1) {
			q, err := url.ParseQuery(m[2])
			if err != nil {
				t.Errorf("%s: query of %s: %v", name, m[0], err)
				continue
			}
			var names []string
			for k := range q {
				if n, ok := strings.CutPrefix(k, "var-"); ok {
					names = append(names, n)
				}
			}
			check(name, m[1], names)
			urls++
		}
		for _, line := range strings.Split(text, "\n") {
			if !strings.Contains(line, " render ") || !strings.Contains(line, "--dashboard") {
				continue
			}
			uid := renderDash.FindStringSubmatch(line)[1]
			var names []string
			if strings.Contains(line, "--appliance") {
				names = append(names, "ec_hostname")
			}
			for _, m := range renderVar.FindAllStringSubmatch(line, -1) {
				names = append(names, m[1])
			}
			check(name, uid, names)
			commands++
		}
	}
	if urls < 5 || commands < 2 {
		t.Errorf("found %d dashboard URLs and %d render commands in the docs; the extraction is broken", urls, commands)
	}
}

// strictUnmarshaler is what the Grafana Foundation SDK's generated types
// offer for strict decoding: unknown fields and wrong types are errors. Its
// types decode through their own UnmarshalJSON, which a json.Decoder's
// DisallowUnknownFields does not reach, hence this method.
type strictUnmarshaler interface {
	UnmarshalJSONStrict(raw []byte) error
}

// panelSchemas gives, per panel type, Grafana's published types of the
// panel's options and of fieldConfig.defaults.custom (nil when the type has
// no custom field config).
var panelSchemas = map[string]struct {
	options func() strictUnmarshaler
	custom  func() strictUnmarshaler
}{
	"timeseries":     {func() strictUnmarshaler { return &timeseries.Options{} }, func() strictUnmarshaler { return &common.GraphFieldConfig{} }},
	"stat":           {func() strictUnmarshaler { return &stat.Options{} }, nil},
	"gauge":          {func() strictUnmarshaler { return &gauge.Options{} }, nil},
	"bargauge":       {func() strictUnmarshaler { return &bargauge.Options{} }, nil},
	"piechart":       {func() strictUnmarshaler { return &piechart.Options{} }, func() strictUnmarshaler { return &common.HideableFieldConfig{} }},
	"table":          {func() strictUnmarshaler { return &table.Options{} }, func() strictUnmarshaler { return &common.TableFieldOptions{} }},
	"histogram":      {func() strictUnmarshaler { return &histogram.Options{} }, func() strictUnmarshaler { return &histogram.FieldConfig{} }},
	"state-timeline": {func() strictUnmarshaler { return &statetimeline.Options{} }, func() strictUnmarshaler { return &statetimeline.FieldConfig{} }},
	"status-history": {func() strictUnmarshaler { return &statushistory.Options{} }, func() strictUnmarshaler { return &statushistory.FieldConfig{} }},
}

// TestDashboardsMatchGrafanaSchema decodes every dashboard strictly with
// Grafana's own Go types (grafana-foundation-sdk): the dashboard as a whole,
// then each panel's options and fieldConfig.defaults.custom with the types
// of its panel type. An unknown or mistyped field fails: Grafana would drop
// or misread it.
func TestDashboardsMatchGrafanaSchema(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "grafana", "dashboards", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var d sdkdashboard.Dashboard
			reportSchemaErrors(t, "dashboard", d.UnmarshalJSONStrict(raw))
			var doc struct {
				Panels []json.RawMessage `json:"panels"`
			}
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			var walk func([]json.RawMessage)
			walk = func(panels []json.RawMessage) {
				for _, rp := range panels {
					var p struct {
						Type        string            `json:"type"`
						Title       string            `json:"title"`
						Options     json.RawMessage   `json:"options"`
						Panels      []json.RawMessage `json:"panels"`
						FieldConfig struct {
							Defaults struct {
								Custom json.RawMessage `json:"custom"`
							} `json:"defaults"`
						} `json:"fieldConfig"`
					}
					if err := json.Unmarshal(rp, &p); err != nil {
						t.Fatal(err)
					}
					if p.Type == "row" {
						walk(p.Panels)
						continue
					}
					schema, ok := panelSchemas[p.Type]
					if !ok {
						t.Errorf("panel %q: type %q has no schema in panelSchemas; add it", p.Title, p.Type)
						continue
					}
					where := fmt.Sprintf("panel %q (%s)", p.Title, p.Type)
					if len(p.Options) > 0 {
						reportSchemaErrors(t, where+" options", schema.options().UnmarshalJSONStrict(p.Options))
					}
					custom := p.FieldConfig.Defaults.Custom
					switch {
					case len(custom) == 0 || string(custom) == "{}":
					case schema.custom == nil:
						t.Errorf("panel %q (%s): fieldConfig.defaults.custom %s, but the panel type has no custom field config", p.Title, p.Type, custom)
					default:
						reportSchemaErrors(t, where+" fieldConfig.defaults.custom", schema.custom().UnmarshalJSONStrict(custom))
					}
				}
			}
			walk(doc.Panels)
		})
	}
}

// reportSchemaErrors reports the unknown and mistyped fields of a strict
// decode. A missing field the schema marks required is not reported:
// Grafana fills in its default when it loads the dashboard.
func reportSchemaErrors(t *testing.T, where string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var errs cog.BuildErrors
	if !errors.As(err, &errs) {
		t.Errorf("%s: %v", where, err)
		return
	}
	for _, e := range errs {
		if e.Message == "required field is missing from input" {
			continue
		}
		t.Errorf("%s: %s: %s", where, e.Path, e.Message)
	}
}
