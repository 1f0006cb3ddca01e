package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ec-telemetry/ec-telemetry/influx"
	"github.com/ec-telemetry/ec-telemetry/internal/app"
	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/redact"
	"github.com/ec-telemetry/ec-telemetry/internal/spool"
	"github.com/ec-telemetry/ec-telemetry/orchestrator"
)

func runCheck(ctx context.Context, e env) error {
	fs := newFlagSet(e, "check", "check [--role all|discovery|worker] [--timeout 10s]\n\n"+
		"Validates the configuration from the environment (every problem at once, secrets never\n"+
		"printed), the limit file and the values docker compose needs; then, when the settings\n"+
		"are valid, reaches the Orchestrator, Redis and InfluxDB (and its bucket or database).\n"+
		"Prints a pass/fail report. Exit status 1 when anything fails.")
	role := fs.String("role", "all", "which process to check for: all, discovery or worker")
	timeout := fs.Duration("timeout", 10*time.Second, "time limit of each connectivity check")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("check takes no arguments, got %q: %w", fs.Args(), errUsage)
	}
	r := config.Role(*role)
	if r != config.RoleAll && r != config.RoleDiscovery && r != config.RoleWorker {
		return fmt.Errorf("--role %q must be all, discovery or worker: %w", *role, errUsage)
	}
	rep := &report{w: e.stdout}
	fmt.Fprintf(e.stdout, "Configuration (role %s)\n", r)
	cfg, settingsOK := checkSettings(rep, r, e.lookupEnv)
	checkLimitFile(rep, r, cfg)
	checkApplianceCredentials(rep, r, cfg)
	checkComposeProjectName(rep, e.lookupEnv)

	fmt.Fprintln(e.stdout, "\nConnectivity")
	// check reports a Redis failure itself; go-redis would also print its
	// own lines to stderr. check is a one-shot process: silence them.
	redis.SetLogger(discardRedisLog{})
	if !settingsOK {
		rep.skip("Orchestrator, Redis and InfluxDB", "not reached while a setting is invalid")
		return rep.result()
	}
	check := func(name string, fn func(context.Context) (string, error)) {
		cctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		if detail, err := fn(cctx); err != nil {
			rep.fail(name, err)
		} else {
			rep.pass(name, detail)
		}
	}
	orchs, _ := cfg.Orchestrators() // valid: checkSettings passed
	for _, o := range orchs {
		if r == config.RoleWorker {
			break
		}
		name := "Orchestrator " + redact.URL(o.URL)
		if cfg.OrchestratorsFile != "" {
			name = "Orchestrator " + o.Name + " " + redact.URL(o.URL)
		}
		var form, versions string
		check(name, func(ctx context.Context) (string, error) {
			oc, err := app.NewOrchestratorClient(cfg, o, nil)
			if err != nil {
				return "", err
			}
			bi, err := oc.BriefInfo(ctx)
			if err != nil {
				return "", err
			}
			apps, err := oc.Appliances(ctx)
			if err != nil {
				return "", err
			}
			form, versions = describePathForm(bi.Release), describeVersions(apps)
			return fmt.Sprintf("release %s, %d appliances", bi.Release, len(apps)), nil
		})
		if form != "" {
			rep.info(name+" path form", form)
			rep.info(name+" appliance software", versions)
		}
	}
	check("Redis "+app.RedisTarget(cfg), func(ctx context.Context) (string, error) {
		rdb := app.NewRedis(cfg)
		defer rdb.Close()
		if err := rdb.Ping(ctx).Err(); err != nil {
			return "", err
		}
		if r == config.RoleDiscovery {
			return "PING answered", nil
		}
		n, err := rdb.LLen(ctx, spool.DefaultKey).Result()
		if err != nil {
			return "", fmt.Errorf("read the spool %s: %w", spool.DefaultKey, err)
		}
		return fmt.Sprintf("PING answered; %d spool entries waiting for InfluxDB", n), nil
	})
	check("InfluxDB "+redact.URL(cfg.DBURL), func(ctx context.Context) (string, error) {
		w, err := app.NewWriter(cfg)
		if err != nil {
			return "", err
		}
		defer w.Close()
		if err := w.Health(ctx); err != nil {
			return "", err
		}
		return checkBucket(ctx, w, cfg)
	})
	return rep.result()
}

// checkSettings loads and validates the configuration for the role and
// refuses example.env's placeholders. It reports every problem and says
// whether the settings are valid.
func checkSettings(rep *report, r config.Role, lookup func(string) (string, bool)) (config.Config, bool) {
	cfg, err := config.LoadFrom(lookup)
	problems := append(flatten(err), flatten(cfg.Validate(r))...)
	reads := map[string]bool{}
	for _, v := range config.Variables(r) {
		reads[v.Name] = true
	}
	for _, name := range config.Placeholders(lookup) {
		if r == config.RoleAll || reads[name] {
			problems = append(problems, fmt.Errorf("%s still holds the placeholder of example.env: set the real value", name))
		}
	}
	for _, p := range problems {
		rep.fail("setting", p)
	}
	if len(problems) == 0 {
		rep.pass("settings", "every variable valid")
	}
	rep.info("secrets", describeSecrets(cfg))
	if r != config.RoleDiscovery {
		if plan, err := cfg.SourcePlan(); err == nil { // an invalid plan is among the problems
			rep.info("sources", plan.String())
		}
	}
	return cfg, len(problems) == 0
}

// flatten lists the errors joined in err (errors.Join, nested), in order.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, flatten(e)...)
	}
	return out
}

// checkLimitFile reads the limit file as discovery will.
func checkLimitFile(rep *report, r config.Role, cfg config.Config) {
	if r == config.RoleWorker {
		return
	}
	if cfg.OrchestratorsFile != "" {
		orchs, err := cfg.Orchestrators()
		if err != nil {
			return // reported as a setting
		}
		for _, o := range orchs {
			if !o.CollectAll {
				c := cfg
				c.OrchestratorsFile, c.LimitFile, c.CollectAll = "", o.LimitFile, false
				checkLimitFile(rep, r, c)
			}
		}
		return
	}
	if cfg.LimitFile == "" {
		return
	}
	if cfg.CollectAll {
		rep.info("limit file", "not read: COLLECT_ALL is true")
		return
	}
	lf, err := config.ReadLimitFile(cfg.LimitFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		rep.fail("setting", fmt.Errorf("%w: create it (with {\"appliance_subset\": []} discovery picks four appliances), "+
			"or correct LIMIT_FILE, or set COLLECT_ALL=true", err))
	case err != nil:
		rep.fail("setting", err)
	case len(lf.ApplianceSubset) == 0:
		rep.pass("limit file "+cfg.LimitFile, "empty appliance_subset: discovery picks the first four normal appliances and writes them into the file")
	default:
		rep.pass("limit file "+cfg.LimitFile, fmt.Sprintf("%d appliances listed", len(lf.ApplianceSubset)))
	}
}

// describePathForm says which form of per-appliance paths and of the
// appliance pass-through an Orchestrator release takes.
func describePathForm(release string) string {
	if _, _, ok := (orchestrator.BriefInfo{Release: release}).Version(); !ok {
		return fmt.Sprintf("release %q cannot be read: the path form (of releases before 9.3) is assumed, "+
			"/appliance/rest/{nePk}/{path}", release)
	}
	if orchestrator.FormFor(release) == orchestrator.FormQuery {
		return "query (release 9.3 or later): per-appliance reads and the pass-through name the appliance as ?nePk=, " +
			"/appliance/rest?nePk={nePk}&url={path}"
	}
	return "path (release before 9.3): per-appliance reads and the pass-through name the appliance in the path, " +
		"/appliance/rest/{nePk}/{path}"
}

// describeVersions counts the appliances of each software version, the
// most common first.
func describeVersions(apps []orchestrator.Appliance) string {
	if len(apps) == 0 {
		return "no appliance listed"
	}
	count := map[string]int{}
	for _, a := range apps {
		v := a.SoftwareVersion
		if v == "" {
			v = "unknown"
		}
		count[v]++
	}
	versions := slices.Collect(maps.Keys(count))
	slices.SortFunc(versions, func(a, b string) int {
		return cmp.Or(count[b]-count[a], strings.Compare(a, b))
	})
	parts := make([]string, len(versions))
	for i, v := range versions {
		parts[i] = fmt.Sprintf("%s (%d)", v, count[v])
	}
	noun := "versions"
	if len(versions) == 1 {
		noun = "version"
	}
	return fmt.Sprintf("%d %s: %s", len(versions), noun, strings.Join(parts, ", "))
}

// checkApplianceCredentials reads EC_CREDENTIALS_FILE as the workers will
// and says how many entries it holds; its problems are settings.
func checkApplianceCredentials(rep *report, r config.Role, cfg config.Config) {
	if r == config.RoleDiscovery || cfg.ECCredentialsFile == "" {
		return
	}
	creds, err := cfg.ApplianceCredentials()
	if err != nil {
		return // reported as a setting
	}
	rep.pass("appliance credentials "+cfg.ECCredentialsFile, fmt.Sprintf(
		"%d entries; an appliance logs in with the first whose cidr holds its IP, else with EC_USER", len(creds.Entries)))
}

// composeProjectName is what Docker Compose v2 accepts as a project name.
var composeProjectName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// checkComposeProjectName refuses a COMPOSE_PROJECT_NAME that Compose v2
// refuses (the Python demo's "EC-Telemetry"), with the value to use.
func checkComposeProjectName(rep *report, lookup func(string) (string, bool)) {
	name, ok := lookup("COMPOSE_PROJECT_NAME")
	if !ok || composeProjectName.MatchString(name) {
		return
	}
	fix := strings.Map(func(c rune) rune {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_', c == '-':
			return c
		case c >= 'A' && c <= 'Z':
			return c + 'a' - 'A'
		}
		return '-'
	}, name)
	fix = strings.TrimLeft(fix, "_-")
	if fix == "" {
		fix = "ec-telemetry"
	}
	rep.fail("setting", fmt.Errorf("COMPOSE_PROJECT_NAME %q is refused by Docker Compose v2, which takes only lower-case letters, "+
		"digits, \"-\" and \"_\", starting with a letter or digit: set COMPOSE_PROJECT_NAME=%s", name, fix))
}

// checkBucket checks that InfluxDB has the bucket or database of DB_BUCKET
// and that the token may write to it.
func checkBucket(ctx context.Context, w *influx.Writer, cfg config.Config) (string, error) {
	err := w.CheckBucket(ctx)
	if errors.Is(err, influx.ErrBucketNotFound) {
		return "", fmt.Errorf("%w: create it, or correct DB_BUCKET (and DB_ORG for InfluxDB 2.x)", err)
	}
	if err != nil {
		return "", err
	}
	// /health and the bucket list pass with a token that may not write.
	if err := w.CheckWrite(ctx); err != nil {
		return "", fmt.Errorf("%s exists but a write is refused (check DB_TOKEN's write permission): %w", strconv.Quote(cfg.DBBucket), err)
	}
	return fmt.Sprintf("healthy; %s exists and takes writes", strconv.Quote(cfg.DBBucket)), nil
}

// describeSecrets says which secrets are set, never their values.
func describeSecrets(cfg config.Config) string {
	var parts []string
	for _, s := range []struct{ name, v string }{
		{"ORCH_API_KEY", cfg.OrchAPIKey}, {"ORCH_PW", cfg.OrchPassword}, {"EC_PW", cfg.ECPassword},
		{"DB_TOKEN", cfg.DBToken}, {"DB_PW", cfg.DBPassword}, {"REDIS_PASSWORD", cfg.RedisPassword},
	} {
		state := "not set"
		if s.v != "" {
			state = "set (***)"
		}
		parts = append(parts, s.name+" "+state)
	}
	return strings.Join(parts, ", ")
}

type report struct {
	w      io.Writer
	failed int
}

func (r *report) pass(name, detail string) { fmt.Fprintf(r.w, "  PASS  %s: %s\n", name, detail) }
func (r *report) info(name, detail string) { fmt.Fprintf(r.w, "  INFO  %s: %s\n", name, detail) }
func (r *report) skip(name, detail string) { fmt.Fprintf(r.w, "  SKIP  %s: %s\n", name, detail) }
func (r *report) fail(name string, err error) {
	r.failed++
	fmt.Fprintf(r.w, "  FAIL  %s: %v\n", name, err)
}

// result prints the last line of the report and returns the error of a
// failed check.
func (r *report) result() error {
	if r.failed > 0 {
		fmt.Fprintf(r.w, "\nResult: %d check(s) failed\n", r.failed)
		return fmt.Errorf("%d check(s) failed", r.failed)
	}
	fmt.Fprintln(r.w, "\nResult: all checks passed")
	return nil
}

// discardRedisLog drops go-redis's log lines.
type discardRedisLog struct{}

func (discardRedisLog) Printf(context.Context, string, ...any) {}
