package deploytest

// This file checks the alerting configuration: Grafana's alert provisioning
// as grafana/provisioning/alerting/render.sh writes it at Grafana's start,
// loaded with Grafana's published Go types (grafana-foundation-sdk) strictly;
// the Prometheus rules with promtool; Alertmanager's configuration with
// amtool; the compose wiring of both. alertrules_test.go runs the rules'
// queries against the real pipeline.

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/alerting"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/expr"
	"go.yaml.in/yaml/v4"

	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

const (
	alertingDir   = "grafana/provisioning/alerting"
	influxDSUID   = "ec_telem_influx"
	exprDSUID     = "__expr__"
	noDestination = "ec-telemetry-no-destination"
)

// grafanaEnv returns the environment docker-compose.yml gives the grafana
// container with example.env and the overrides extra ("NAME=value"), as
// "NAME=value" lines, plus PATH so that render.sh finds its tools.
func grafanaEnv(t *testing.T, extra ...string) []string {
	t.Helper()
	g := service(t, mustLoad(t, loadOpts{env: extra}), "grafana")
	env := []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range g.Environment {
		if v != nil {
			env = append(env, k+"="+*v)
		}
	}
	sort.Strings(env)
	return env
}

// renderProvisioning runs render.sh as the grafana container does, with env,
// and returns the provisioning directory it wrote, or its error output.
func renderProvisioning(t *testing.T, env []string) (dir string, stderr string, err error) {
	t.Helper()
	root := repoRoot(t)
	dir = filepath.Join(t.TempDir(), "provisioning")
	cmd := exec.CommandContext(t.Context(), "sh", filepath.Join(root, alertingDir, "render.sh"), filepath.Join(root, "grafana", "provisioning"), dir)
	cmd.Env = env
	var eb bytes.Buffer
	cmd.Stderr = &eb
	err = cmd.Run()
	return dir, eb.String(), err
}

func mustRender(t *testing.T, env []string) string {
	t.Helper()
	dir, stderr, err := renderProvisioning(t, env)
	if err != nil {
		t.Fatalf("render.sh: %v\n%s", err, stderr)
	}
	return dir
}

// yamlAsJSON reads a YAML file and returns it as JSON, so that the strict
// JSON decoders of the SDK types apply to it.
func yamlAsJSON(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return j
}

// sdkErr returns the error of an SDK UnmarshalJSONStrict: those return an
// empty cog.BuildErrors, a non-nil error, when all went well.
func sdkErr(err error) error {
	var be cog.BuildErrors
	if errors.As(err, &be) && len(be) == 0 {
		return nil
	}
	return err
}

// decodeStrict decodes JSON into v, rejecting unknown fields.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// The provisioning file formats wrap Grafana's API objects (alerting.Rule,
// ContactPoint, NotificationPolicy) with the organisation and, for rules,
// the group; these types hold the wrapping, the SDK types the rest.
type (
	ruleFile struct {
		APIVersion int             `json:"apiVersion"`
		Groups     []ruleGroupFile `json:"groups"`
	}
	ruleGroupFile struct {
		OrgID    int64             `json:"orgId"`
		Name     string            `json:"name"`
		Folder   string            `json:"folder"`
		Interval string            `json:"interval"`
		Rules    []json.RawMessage `json:"rules"`
	}
	contactPointFile struct {
		APIVersion    int `json:"apiVersion"`
		ContactPoints []struct {
			OrgID     int64             `json:"orgId"`
			Name      string            `json:"name"`
			Receivers []json.RawMessage `json:"receivers"`
		} `json:"contactPoints"`
		DeleteContactPoints []struct {
			OrgID int64  `json:"orgId"`
			UID   string `json:"uid"`
		} `json:"deleteContactPoints"`
	}
	policyFile struct {
		APIVersion int               `json:"apiVersion"`
		Policies   []json.RawMessage `json:"policies"`
		// The SDK's MuteTiming describes time ranges as from/to times; the
		// provisioning file (like Alertmanager) has start_time/end_time.
		MuteTimes []struct {
			OrgID         int64  `json:"orgId"`
			Name          string `json:"name"`
			TimeIntervals []struct {
				Times []struct {
					StartTime string `json:"start_time"`
					EndTime   string `json:"end_time"`
				} `json:"times"`
			} `json:"time_intervals"`
		} `json:"muteTimes"`
	}
	// influxModel is the model of an InfluxQL query of the InfluxDB data
	// source (the SDK has no InfluxDB data query type).
	influxModel struct {
		RefID        string `json:"refId"`
		RawQuery     bool   `json:"rawQuery"`
		ResultFormat string `json:"resultFormat"`
		Query        string `json:"query"`
	}
)

// alertNode is one entry of a rule's data, its model decoded strictly: one
// of influx, reduce, math, threshold is set.
type alertNode struct {
	refID     string
	from      int64 // relative time range, seconds before the evaluation
	influx    *influxModel
	reduce    *expr.TypeReduce
	math      *expr.TypeMath
	threshold *expr.TypeThreshold
}

// alertRule is one provisioned rule.
type alertRule struct {
	alerting.Rule
	group, interval string
	nodes           []alertNode
}

// loadRules loads dir/alerting/rules.yaml strictly.
func loadRules(t *testing.T, dir string) []alertRule {
	t.Helper()
	path := filepath.Join(dir, "alerting", "rules.yaml")
	var f ruleFile
	if err := decodeStrict(yamlAsJSON(t, path), &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if f.APIVersion != 1 || len(f.Groups) == 0 {
		t.Fatalf("%s: apiVersion %d, %d groups; want 1 and at least one group", path, f.APIVersion, len(f.Groups))
	}
	var out []alertRule
	for _, g := range f.Groups {
		if g.OrgID != 1 || g.Name == "" || g.Folder == "" {
			t.Errorf("%s: group %+v: want orgId 1, a name and a folder", path, g)
		}
		for _, raw := range g.Rules {
			// The API object carries the group's fields the file keeps on
			// the group.
			var fields map[string]any
			if err := json.Unmarshal(raw, &fields); err != nil {
				t.Fatal(err)
			}
			fields["orgID"], fields["folderUID"], fields["ruleGroup"] = g.OrgID, g.Folder, g.Name
			b, _ := json.Marshal(fields)
			r := alertRule{group: g.Name, interval: g.Interval}
			if err := sdkErr(r.Rule.UnmarshalJSONStrict(b)); err != nil {
				t.Errorf("%s: rule %v: %v", path, fields["uid"], err)
				continue
			}
			var data []struct {
				RefID             string                `json:"refId"`
				DatasourceUID     string                `json:"datasourceUid"`
				RelativeTimeRange *struct{ From int64 } `json:"relativeTimeRange"`
				Model             json.RawMessage       `json:"model"`
			}
			var withData struct {
				Data json.RawMessage `json:"data"`
			}
			_ = json.Unmarshal(raw, &withData)
			if err := json.Unmarshal(withData.Data, &data); err != nil {
				t.Fatal(err)
			}
			for _, d := range data {
				n := alertNode{refID: d.RefID}
				if d.RelativeTimeRange != nil {
					n.from = d.RelativeTimeRange.From
				}
				var err error
				switch d.DatasourceUID {
				case influxDSUID:
					n.influx = &influxModel{}
					err = decodeStrict(d.Model, n.influx)
				case exprDSUID:
					var head struct{ Type string }
					_ = json.Unmarshal(d.Model, &head)
					switch head.Type {
					case "reduce":
						n.reduce = &expr.TypeReduce{}
						err = sdkErr(n.reduce.UnmarshalJSONStrict(d.Model))
					case "math":
						n.math = &expr.TypeMath{}
						err = sdkErr(n.math.UnmarshalJSONStrict(d.Model))
					case "threshold":
						n.threshold = &expr.TypeThreshold{}
						err = sdkErr(n.threshold.UnmarshalJSONStrict(d.Model))
					default:
						t.Errorf("%s: %s/%s: expression type %q, which the tests do not evaluate", path, *r.Uid, d.RefID, head.Type)
					}
				default:
					t.Errorf("%s: %s/%s: data source uid %q, want %s or %s", path, *r.Uid, d.RefID, d.DatasourceUID, influxDSUID, exprDSUID)
				}
				if err != nil {
					t.Errorf("%s: %s/%s: model: %v", path, *r.Uid, d.RefID, err)
				}
				n.refIDCheck(t, path, *r.Uid, d.Model)
				r.nodes = append(r.nodes, n)
			}
			out = append(out, r)
		}
	}
	return out
}

// refIDCheck fails when the model's refId differs from the entry's.
func (n alertNode) refIDCheck(t *testing.T, path, uid string, model json.RawMessage) {
	t.Helper()
	var m struct{ RefID string }
	_ = json.Unmarshal(model, &m)
	if m.RefID != n.refID {
		t.Errorf("%s: %s: model refId %q in data entry %q", path, uid, m.RefID, n.refID)
	}
}

func (r alertRule) node(refID string) (alertNode, bool) {
	for _, n := range r.nodes {
		if n.refID == refID {
			return n, true
		}
	}
	return alertNode{}, false
}

// wantRules are the rule uids and the variable each threshold comes from
// ("" for a fixed threshold).
var wantRules = map[string]string{
	"ec-appliance-offline":  "",
	"ec-appliance-no-data":  "ALERT_NO_DATA_SECONDS",
	"ec-tunnels-down":       "ALERT_TUNNELS_DOWN",
	"ec-overlay-loss":       "ALERT_LOSS_PCT",
	"ec-overlay-latency":    "ALERT_LATENCY_MS",
	"ec-overlay-jitter":     "ALERT_JITTER_MS",
	"ec-wan-utilization-tx": "ALERT_WAN_UTIL_PCT",
	"ec-wan-utilization-rx": "ALERT_WAN_UTIL_PCT",
	"ec-critical-alarm":     "",
}

var (
	groupByAppliance = regexp.MustCompile(`GROUP BY "orchestrator", "hostname", "appliance_id"$`)
	groupByClause    = regexp.MustCompile(`GROUP BY (?:time\([^)]*\), )?[^)]*`)
)

func TestAlertRulesProvisioning(t *testing.T) {
	env := grafanaEnv(t)
	envMap := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		envMap[k] = v
	}
	rules := loadRules(t, mustRender(t, env))
	var uids []string
	for _, r := range rules {
		uid := *r.Uid
		uids = append(uids, uid)
		if r.interval != envMap["ALERT_EVAL_INTERVAL"] || r.interval == "" {
			t.Errorf("%s: group interval %q, want ALERT_EVAL_INTERVAL %q", uid, r.interval, envMap["ALERT_EVAL_INTERVAL"])
		}
		if r.Labels["severity"] == "" || r.Annotations["summary"] == "" || !strings.Contains(r.Annotations["summary"], "{{ $labels.hostname }}") && !strings.Contains(r.Annotations["summary"], "$labels.hostname") {
			t.Errorf("%s: labels %v annotations %v: want a severity and a summary naming the appliance", uid, r.Labels, r.Annotations)
		}
		if r.NoDataState != alerting.RuleNoDataStateOK || r.ExecErrState != alerting.RuleExecErrStateError {
			t.Errorf("%s: noDataState %q execErrState %q, want OK and Error", uid, r.NoDataState, r.ExecErrState)
		}
		cond, ok := r.node(r.Condition)
		if !ok || cond.threshold == nil || len(cond.threshold.Conditions) != 1 {
			t.Errorf("%s: condition %q is not a threshold with one condition", uid, r.Condition)
			continue
		}
		// Every node's input exists; every query yields one series per
		// appliance.
		for _, n := range r.nodes {
			switch {
			case n.influx != nil:
				if !n.influx.RawQuery || n.influx.ResultFormat != "time_series" || !strings.Contains(n.influx.Query, "$timeFilter") || !groupByAppliance.MatchString(n.influx.Query) {
					t.Errorf("%s/%s: %+v: want a raw time_series query with $timeFilter ending in GROUP BY \"orchestrator\", \"hostname\", \"appliance_id\"", uid, n.refID, n.influx)
				}
				// Subqueries too: a GROUP BY without the orchestrator
				// merges two Orchestrators' appliances of one id.
				for _, g := range groupByClause.FindAllString(n.influx.Query, -1) {
					if !strings.Contains(g, `"orchestrator"`) {
						t.Errorf("%s/%s: %q does not group by \"orchestrator\"", uid, n.refID, g)
					}
				}
				if n.from < 300 {
					t.Errorf("%s/%s: relative time range %d s, want at least 5 minutes", uid, n.refID, n.from)
				}
			case n.reduce != nil:
				if _, ok := r.node(n.reduce.Expression); !ok || n.reduce.Reducer != "last" || n.reduce.Settings == nil || n.reduce.Settings.Mode != expr.ExprTypeReduceSettingsModeDropNN {
					t.Errorf("%s/%s: reduce %+v: want last, dropNN, of an existing node", uid, n.refID, n.reduce)
				}
			case n.threshold != nil:
				if _, ok := r.node(n.threshold.Expression); !ok {
					t.Errorf("%s/%s: threshold of unknown node %q", uid, n.refID, n.threshold.Expression)
				}
			}
		}
		v, known := wantRules[uid]
		if !known {
			t.Errorf("unexpected rule %s: add it to wantRules and docs/alerting.md", uid)
			continue
		}
		if v != "" {
			if got := cond.threshold.Conditions[0].Evaluator.Params; len(got) != 1 || formatNumber(got[0]) != envMap[v] {
				t.Errorf("%s: threshold %v, want %s = %s", uid, got, v, envMap[v])
			}
		}
	}
	var want []string
	for uid := range wantRules {
		want = append(want, uid)
	}
	slices.Sort(want)
	slices.Sort(uids)
	if !slices.Equal(uids, want) {
		t.Errorf("rules %v, want %v", uids, want)
	}

	// A changed variable reaches the rule; a bad one stops Grafana's start
	// with a message.
	rules = loadRules(t, mustRender(t, grafanaEnv(t, "ALERT_LOSS_PCT=7.5", "ALERT_FOR=15m")))
	for _, r := range rules {
		if *r.Uid == "ec-overlay-loss" {
			c, _ := r.node(r.Condition)
			if p := c.threshold.Conditions[0].Evaluator.Params; len(p) != 1 || p[0] != 7.5 || r.For != "15m" {
				t.Errorf("ALERT_LOSS_PCT=7.5 ALERT_FOR=15m: threshold %v for %q", p, r.For)
			}
		}
	}
	for _, bad := range []string{"ALERT_LOSS_PCT=5;touch /tmp/x", "ALERT_FOR=5 minutes", "ALERT_WAN_UTIL_PCT=90%"} {
		_, stderr, err := renderProvisioning(t, grafanaEnv(t, bad))
		name, _, _ := strings.Cut(bad, "=")
		if err == nil || !strings.Contains(stderr, name) {
			t.Errorf("render.sh with %s: err %v, stderr %q; want a failure naming %s", bad, err, stderr, name)
		}
	}
}

// formatNumber prints a threshold as the env file writes it.
func formatNumber(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

// loadContactPoints loads dir/alerting/contactpoints.yaml strictly, with
// Grafana's expansion of $VARIABLES from env, and returns the integrations
// of each contact point by name and the uids of the integrations deleted.
func loadContactPoints(t *testing.T, dir string, env map[string]string) (map[string][]alerting.ContactPoint, []string) {
	t.Helper()
	path := filepath.Join(dir, "alerting", "contactpoints.yaml")
	var f contactPointFile
	if err := decodeStrict(yamlAsJSON(t, path), &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var deleted []string
	for _, d := range f.DeleteContactPoints {
		if d.OrgID != 1 {
			t.Errorf("%s: delete %+v: want orgId 1", path, d)
		}
		deleted = append(deleted, d.UID)
	}
	out := map[string][]alerting.ContactPoint{}
	for _, cp := range f.ContactPoints {
		for _, raw := range cp.Receivers {
			var fields map[string]any
			_ = json.Unmarshal(raw, &fields)
			fields["name"] = cp.Name
			b, _ := json.Marshal(fields)
			var c alerting.ContactPoint
			if err := sdkErr(c.UnmarshalJSONStrict(b)); err != nil {
				t.Errorf("%s: %s: %v", path, cp.Name, err)
				continue
			}
			// Grafana expands $VAR and ${VAR} in the settings' values.
			settings, _ := c.Settings.(map[string]any)
			for k, v := range settings {
				if s, ok := v.(string); ok {
					settings[k] = os.Expand(s, func(n string) string { return env[n] })
				}
			}
			out[cp.Name] = append(out[cp.Name], c)
		}
	}
	return out, deleted
}

// loadPolicy loads dir/alerting/policies.yaml strictly.
func loadPolicy(t *testing.T, dir string) (alerting.NotificationPolicy, policyFile) {
	t.Helper()
	path := filepath.Join(dir, "alerting", "policies.yaml")
	var f policyFile
	if err := decodeStrict(yamlAsJSON(t, path), &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(f.Policies) != 1 {
		t.Fatalf("%s: %d policies, want 1", path, len(f.Policies))
	}
	var fields map[string]any
	_ = json.Unmarshal(f.Policies[0], &fields)
	if fields["orgId"] != float64(1) {
		t.Errorf("%s: orgId %v, want 1", path, fields["orgId"])
	}
	delete(fields, "orgId")
	b, _ := json.Marshal(fields)
	var p alerting.NotificationPolicy
	if err := sdkErr(p.UnmarshalJSONStrict(b)); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return p, f
}

func TestAlertContactPointsProvisioning(t *testing.T) {
	const (
		hook  = "http://127.0.0.1:9/hook?token=abc&x=1"
		slack = "http://127.0.0.1:9/services/T000/B000/XXXX"
		mail  = "noc@example.test;ops@example.test"
	)
	tests := []struct {
		name    string
		env     []string
		types   []alerting.ContactPointType
		deleted []string // integrations of the destinations not set
	}{
		{"none", nil, nil, []string{"ec-telemetry-webhook", "ec-telemetry-slack", "ec-telemetry-email"}},
		{"webhook", []string{"ALERT_WEBHOOK_URL=" + hook}, []alerting.ContactPointType{"webhook"}, []string{"ec-telemetry-slack", "ec-telemetry-email"}},
		{"slack", []string{"ALERT_SLACK_WEBHOOK_URL=" + slack}, []alerting.ContactPointType{"slack"}, []string{"ec-telemetry-webhook", "ec-telemetry-email"}},
		{"all", []string{"ALERT_WEBHOOK_URL=" + hook, "ALERT_SLACK_WEBHOOK_URL=" + slack, "ALERT_EMAIL_TO=" + mail, "SMTP_ENABLED=true", "SMTP_HOST=127.0.0.1:25"},
			[]alerting.ContactPointType{"webhook", "slack", "email"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := grafanaEnv(t, tc.env...)
			envMap := map[string]string{}
			for _, kv := range env {
				k, v, _ := strings.Cut(kv, "=")
				envMap[k] = v
			}
			dir := mustRender(t, env)
			// The rendered files never hold a destination: Grafana expands
			// them from its environment.
			err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
				if err != nil || fi.IsDir() {
					return err
				}
				b, _ := os.ReadFile(p)
				for _, secret := range []string{hook, slack, "noc@example.test"} {
					if bytes.Contains(b, []byte(secret)) {
						t.Errorf("%s holds %q; it must stay a $VARIABLE", p, secret)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// The rest of the provisioning is copied as it is.
			for _, f := range []string{"datasources/datasources.yaml", "dashboards/ec-telemetry.yaml"} {
				a, _ := os.ReadFile(filepath.Join(repoRoot(t), "grafana", "provisioning", f))
				b, err := os.ReadFile(filepath.Join(dir, f))
				if err != nil || !bytes.Equal(a, b) {
					t.Errorf("rendered %s differs from the repository's (%v)", f, err)
				}
			}
			policy, pf := loadPolicy(t, dir)
			cps, deleted := loadContactPoints(t, dir, envMap)
			if !slices.Equal(deleted, tc.deleted) {
				t.Errorf("deleted integrations %v, want %v", deleted, tc.deleted)
			}
			if !slices.Contains(policy.GroupBy, "hostname") || !slices.Contains(policy.GroupBy, "alertname") || !slices.Contains(policy.GroupBy, "orchestrator") {
				t.Errorf("policy groups by %v, want alertname, orchestrator and hostname (one notification group per rule and appliance)", policy.GroupBy)
			}
			if tc.types == nil {
				// Nothing configured: no contact point of ours, and every
				// alert lands on a route muted all day, every day.
				if len(cps) != 0 {
					t.Errorf("contact points %v with no destination set", cps)
				}
				if policy.Receiver == nil || *policy.Receiver != "grafana-default-email" || len(policy.Routes) != 1 {
					t.Fatalf("policy %+v: want Grafana's default receiver and one catch-all route", policy)
				}
				r := policy.Routes[0]
				if r.ObjectMatchers != nil && len(*r.ObjectMatchers) != 0 || r.Matchers != nil && len(*r.Matchers) != 0 || len(r.Match) != 0 || r.MatchRe != nil {
					t.Errorf("muted route %+v has matchers; it must catch every alert", r)
				}
				if !slices.Equal(r.MuteTimeIntervals, []string{noDestination}) || (r.Continue != nil && *r.Continue) {
					t.Errorf("muted route %+v: want mute_time_intervals [%s], no continue", r, noDestination)
				}
				if len(pf.MuteTimes) != 1 || pf.MuteTimes[0].Name != noDestination || len(pf.MuteTimes[0].TimeIntervals) != 1 ||
					len(pf.MuteTimes[0].TimeIntervals[0].Times) != 1 || pf.MuteTimes[0].TimeIntervals[0].Times[0].StartTime != "00:00" ||
					pf.MuteTimes[0].TimeIntervals[0].Times[0].EndTime != "24:00" {
					t.Errorf("mute timings %+v: want %s from 00:00 to 24:00 every day", pf.MuteTimes, noDestination)
				}
				return
			}
			if policy.Receiver == nil || *policy.Receiver != "ec-telemetry" || len(policy.Routes) != 0 || len(pf.MuteTimes) != 0 {
				t.Errorf("policy %+v mute timings %+v: want receiver ec-telemetry, no route, nothing muted", policy, pf.MuteTimes)
			}
			if policy.RepeatInterval == nil || *policy.RepeatInterval != envMap["ALERT_REPEAT_INTERVAL"] {
				t.Errorf("repeat interval %v, want ALERT_REPEAT_INTERVAL %s", policy.RepeatInterval, envMap["ALERT_REPEAT_INTERVAL"])
			}
			if len(cps) != 1 {
				t.Fatalf("contact points %v, want ec-telemetry only", cps)
			}
			var types []alerting.ContactPointType
			for _, c := range cps["ec-telemetry"] {
				types = append(types, c.Type)
				s := c.Settings.(map[string]any)
				var want, got string
				switch c.Type {
				case "webhook":
					want, got = hook, s["url"].(string)
				case "slack":
					want, got = slack, s["url"].(string)
				case "email":
					want, got = mail, s["addresses"].(string)
				}
				if got != want {
					t.Errorf("%s integration: %q after Grafana's expansion, want %q", c.Type, got, want)
				}
			}
			if !slices.Equal(types, tc.types) {
				t.Errorf("integrations %v, want %v", types, tc.types)
			}
		})
	}
	// SMTP reaches Grafana from the env file's SMTP_* variables.
	env := grafanaEnv(t, "SMTP_ENABLED=true", "SMTP_HOST=127.0.0.1:587", "SMTP_USER=u", "SMTP_PASSWORD=p", "SMTP_FROM=a@example.test")
	for _, want := range []string{"GF_SMTP_ENABLED=true", "GF_SMTP_HOST=127.0.0.1:587", "GF_SMTP_USER=u", "GF_SMTP_PASSWORD=p", "GF_SMTP_FROM_ADDRESS=a@example.test"} {
		if !slices.Contains(env, want) {
			t.Errorf("grafana environment lacks %s", want)
		}
	}
}

// TestComposeGrafanaRendersAlerting checks that Grafana starts through
// render.sh on the repository's provisioning and then runs its own
// entrypoint.
func TestComposeGrafanaRendersAlerting(t *testing.T) {
	g := service(t, mustLoad(t, loadOpts{}), "grafana")
	want := []string{"/bin/sh", "/etc/grafana/provisioning/alerting/render.sh", "/etc/grafana/provisioning", "/tmp/ec-telemetry-provisioning", "/run.sh"}
	if !slices.Equal([]string(g.Entrypoint), want) {
		t.Errorf("grafana entrypoint %q, want %q", g.Entrypoint, want)
	}
}

// runTool runs a command and fails the test with its output when it fails.
func runTool(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestPrometheusRules(t *testing.T) {
	promtool := testenv.PromtoolPath(t)
	monitor := filepath.Join(repoRoot(t), "monitor")
	files, err := filepath.Glob(filepath.Join(monitor, "rules", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule files in monitor/rules (%v)", err)
	}
	runTool(t, monitor, promtool, append([]string{"check", "rules"}, files...)...)
	tests, _ := filepath.Glob(filepath.Join(monitor, "tests", "*.yml"))
	if len(tests) == 0 {
		t.Fatal("no rule unit tests in monitor/tests")
	}
	runTool(t, filepath.Join(monitor, "tests"), promtool, append([]string{"test", "rules"}, tests...)...)

	// Every alert has a test that expects it to fire.
	var alerts []string
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, m := range regexp.MustCompile(`(?m)^\s+- alert: (\S+)$`).FindAllStringSubmatch(string(b), -1) {
			alerts = append(alerts, m[1])
		}
	}
	var testText string
	for _, f := range tests {
		b, _ := os.ReadFile(f)
		testText += string(b)
	}
	for _, a := range alerts {
		if !regexp.MustCompile(`alertname: ` + a + `\s*\n\s+exp_alerts:\s*\n\s+- exp_labels`).MatchString(testText) {
			t.Errorf("alert %s has no unit test that expects it to fire", a)
		}
	}

	// Prometheus in the monitor overlay loads these files and sends to the
	// Alertmanager service.
	p := mustLoad(t, loadOpts{files: []string{composeFile, monitorFile}})
	prom := service(t, p, "prometheus")
	mounted := false
	for _, v := range prom.Volumes {
		mounted = mounted || (v.Target == "/etc/prometheus/rules" && v.Source == filepath.Join(monitor, "rules") && v.ReadOnly)
	}
	if !mounted {
		t.Error("prometheus does not mount monitor/rules read-only at /etc/prometheus/rules")
	}
	cfgPath := filepath.Join(monitor, "prometheus.yml")
	runTool(t, monitor, promtool, "check", "config", "--syntax-only", cfgPath)
	var cfg struct {
		RuleFiles []string `yaml:"rule_files"`
		Alerting  struct {
			Alertmanagers []struct {
				StaticConfigs []struct {
					Targets []string `yaml:"targets"`
				} `yaml:"static_configs"`
			} `yaml:"alertmanagers"`
		} `yaml:"alerting"`
	}
	b, _ := os.ReadFile(cfgPath)
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.RuleFiles, []string{"/etc/prometheus/rules/*.yml"}) {
		t.Errorf("prometheus.yml rule_files %v, want the mounted monitor/rules", cfg.RuleFiles)
	}
	if len(cfg.Alerting.Alertmanagers) != 1 || len(cfg.Alerting.Alertmanagers[0].StaticConfigs) != 1 ||
		!slices.Equal(cfg.Alerting.Alertmanagers[0].StaticConfigs[0].Targets, []string{"alertmanager:9093"}) {
		t.Errorf("prometheus.yml alerting %+v, want alertmanager:9093", cfg.Alerting)
	}
	if _, ok := prom.DependsOn["alertmanager"]; !ok {
		t.Error("prometheus does not depend on alertmanager")
	}
}

func TestAlertmanagerConfig(t *testing.T) {
	amtool := testenv.AmtoolPath(t)
	dir := filepath.Join(repoRoot(t), "monitor", "alertmanager")
	p := mustLoad(t, loadOpts{files: []string{composeFile, monitorFile}})
	am := service(t, p, "alertmanager")
	if !regexp.MustCompile(`^prom/alertmanager:v\d+\.\d+\.\d+$`).MatchString(am.Image) {
		t.Errorf("alertmanager image %q, want a pinned prom/alertmanager:vX.Y.Z", am.Image)
	}
	if len(am.Ports) != 1 || am.Ports[0].HostIP != "127.0.0.1" || am.Ports[0].Target != 9093 {
		t.Errorf("alertmanager ports %+v, want 9093 on 127.0.0.1", am.Ports)
	}
	if am.HealthCheck == nil || am.Logging == nil || am.Restart != "unless-stopped" {
		t.Errorf("alertmanager health check %v logging %v restart %q: want all three like the other services", am.HealthCheck, am.Logging, am.Restart)
	}
	// The entrypoint renders the configuration the command then loads.
	if len(am.Entrypoint) != 4 || am.Entrypoint[1] != "/etc/alertmanager/ec-telemetry/render.sh" ||
		!slices.Contains(am.Command, "--config.file="+am.Entrypoint[3]) {
		t.Errorf("alertmanager entrypoint %q command %q: want render.sh writing the file --config.file loads", am.Entrypoint, am.Command)
	}

	render := func(url string) string {
		t.Helper()
		out := filepath.Join(t.TempDir(), "alertmanager.yml")
		cmd := exec.CommandContext(t.Context(), "sh", filepath.Join(dir, "render.sh"), filepath.Join(dir, "alertmanager.yml"), out)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "ALERTMANAGER_WEBHOOK_URL=" + url}
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("render.sh with %q: %v\n%s", url, err, b)
		}
		runTool(t, dir, amtool, "check-config", out)
		return out
	}
	type receiver struct {
		Name           string `yaml:"name"`
		WebhookConfigs []struct {
			URL          string `yaml:"url"`
			SendResolved bool   `yaml:"send_resolved"`
		} `yaml:"webhook_configs"`
	}
	receivers := func(path string) (route string, rs []receiver) {
		var c struct {
			Route struct {
				Receiver string `yaml:"receiver"`
			} `yaml:"route"`
			Receivers []receiver `yaml:"receivers"`
		}
		b, _ := os.ReadFile(path)
		if err := yaml.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		return c.Route.Receiver, c.Receivers
	}
	// No URL: one receiver without any integration, so nothing is sent.
	route, rs := receivers(render(""))
	if route != "ec-telemetry" || len(rs) != 1 || rs[0].Name != "ec-telemetry" || len(rs[0].WebhookConfigs) != 0 {
		t.Errorf("without ALERTMANAGER_WEBHOOK_URL: route %q receivers %+v, want ec-telemetry with no integration", route, rs)
	}
	const hook = "http://127.0.0.1:9/hook?a=b&c=d"
	route, rs = receivers(render(hook))
	if route != "ec-telemetry" || len(rs) != 1 || len(rs[0].WebhookConfigs) != 1 || rs[0].WebhookConfigs[0].URL != hook || !rs[0].WebhookConfigs[0].SendResolved {
		t.Errorf("with ALERTMANAGER_WEBHOOK_URL: route %q receivers %+v, want the webhook %s", route, rs, hook)
	}
	// The env file's variable reaches the container.
	p = mustLoad(t, loadOpts{files: []string{composeFile, monitorFile}, env: []string{"ALERTMANAGER_WEBHOOK_URL=" + hook}})
	if got, _ := envValue(service(t, p, "alertmanager"), "ALERTMANAGER_WEBHOOK_URL"); got != hook {
		t.Errorf("alertmanager ALERTMANAGER_WEBHOOK_URL = %q, want %q", got, hook)
	}
	// A URL that would break out of the YAML string is refused.
	cmd := exec.CommandContext(t.Context(), "sh", filepath.Join(dir, "render.sh"), filepath.Join(dir, "alertmanager.yml"), filepath.Join(t.TempDir(), "x.yml"))
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "ALERTMANAGER_WEBHOOK_URL=http://127.0.0.1:9/'\n  evil: 1"}
	if err := cmd.Run(); err == nil {
		t.Error("render.sh accepted a URL with a quote and a newline")
	}
}
