package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/redact"
	"github.com/ec-telemetry/ec-telemetry/internal/sourceplan"
)

// Role says which process the configuration is for; each needs different
// variables.
type Role string

// Roles.
const (
	RoleDiscovery Role = "discovery"
	RoleWorker    Role = "worker"
	RoleAll       Role = "all" // discovery and worker in one process (demo, check)
)

// Ways the worker reads appliances (COLLECT_VIA).
const (
	ViaDirect       = "direct"       // HTTPS to the appliance, appliance login
	ViaOrchestrator = "orchestrator" // the Orchestrator's pass-through only
	ViaAuto         = "auto"         // direct when reachable and the login works, else the Orchestrator
)

// Reachability modes of the worker's pre-login check.
const (
	ReachICMP = "icmp" // unprivileged ICMP, then privileged, then TCP connect
	ReachTCP  = "tcp"  // TCP connect to the appliance's HTTPS port
	ReachNone = "none" // no check: go straight to login
)

// Config is the whole configuration. The envconfig tag names the variable,
// the default tag gives its default and secret:"true" marks a secret (never
// printed; also read from NAME_FILE). The first group are the Python demo's
// names with the same meaning. Every variable has a row in
// docs/configuration.md and an entry in variableRoles (tests check both).
type Config struct {
	// The demo's variables.
	OrchURL       string `envconfig:"ORCH_URL"`                   // Orchestrator host[:port] or https:// URL
	OrchAPIKey    string `envconfig:"ORCH_API_KEY" secret:"true"` // X-Auth-Token
	ECUser        string `envconfig:"EC_USER"`                    // appliance user (admin role for CPU stats)
	ECPassword    string `envconfig:"EC_PW" secret:"true"`        // appliance password
	ECTimeout     int    `envconfig:"EC_TIMEOUT" default:"2"`     // reachability check timeout, seconds
	DBURL         string `envconfig:"DB_URL" default:"http://influxdb:8086"`
	DBToken       string `envconfig:"DB_TOKEN" secret:"true"`          // InfluxDB 2.x token; "user:password" or "" for 1.8
	DBOrg         string `envconfig:"DB_ORG" default:"ECTELEM"`        // "" for InfluxDB 1.8
	DBBucket      string `envconfig:"DB_BUCKET" default:"ECTELEM"`     // "db" or "db/rp" for InfluxDB 1.8
	DBUser        string `envconfig:"DB_USER" default:"admin"`         // InfluxDB/Grafana admin (containers only)
	DBPassword    string `envconfig:"DB_PW" secret:"true"`             // InfluxDB/Grafana admin (containers only)
	DBRetention   string `envconfig:"DB_RETENTION" default:"3d"`       // bucket retention at InfluxDB init
	WorkerCount   int    `envconfig:"WORKER_COUNT" default:"4"`        // worker replicas (docker compose)
	LogLevel      string `envconfig:"LOG_LEVEL" default:"INFO"`        // CRITICAL ERROR WARNING INFO DEBUG
	LogMaxBytes   int64  `envconfig:"LOG_MAX_BYTES" default:"1000000"` // human log file size before rotation
	LogMaxBackups int    `envconfig:"LOG_MAX_BACKUPS" default:"5"`     // rotated human log files kept

	// ec-telemetry's own variables.
	OrchUser          string        `envconfig:"ORCH_USER"`                           // alternative to ORCH_API_KEY
	OrchPassword      string        `envconfig:"ORCH_PW" secret:"true"`               // with ORCH_USER
	OrchLoginType     string        `envconfig:"ORCH_LOGIN_TYPE" default:"local"`     // user directory of ORCH_USER: local, radius or tacacs
	OrchTLSVerify     bool          `envconfig:"ORCH_TLS_VERIFY" default:"false"`     // verify the Orchestrator certificate
	OrchCAFile        string        `envconfig:"ORCH_CA_FILE"`                        // extra CA bundle (PEM)
	OrchName          string        `envconfig:"ORCH_NAME" default:"default"`         // orchestrator tag of the ORCH_* Orchestrator (DefaultOrchName)
	OrchestratorsFile string        `envconfig:"ORCHESTRATORS_FILE"`                  // YAML/JSON list of Orchestrators, instead of ORCH_*
	ECTLSVerify       bool          `envconfig:"EC_TLS_VERIFY" default:"false"`       // verify appliance certificates
	ECCredentialsFile string        `envconfig:"EC_CREDENTIALS_FILE"`                 // YAML/JSON appliance logins per CIDR, before EC_USER/EC_PW
	ECCAFile          string        `envconfig:"EC_CA_FILE"`                          // extra CA bundle (PEM)
	DBTLSVerify       bool          `envconfig:"DB_TLS_VERIFY" default:"true"`        // verify the InfluxDB certificate (https DB_URL)
	DBCAFile          string        `envconfig:"DB_CA_FILE"`                          // extra CA bundle (PEM) for InfluxDB
	DBWrites          int           `envconfig:"DB_WRITE_CONCURRENCY" default:"64"`   // InfluxDB writes one process sends at once
	DBGzip            bool          `envconfig:"DB_GZIP" default:"false"`             // compress InfluxDB writes (Content-Encoding: gzip)
	ECRequestTimeout  time.Duration `envconfig:"EC_REQUEST_TIMEOUT" default:"12s"`    // one appliance API call
	ECArchiveTimeout  time.Duration `envconfig:"EC_ARCHIVE_TIMEOUT" default:"30s"`    // one minute-stats download
	ECConnections     int           `envconfig:"EC_CONNECTIONS" default:"2"`          // HTTPS connections a job opens to its appliance at most
	ECTLSSessions     int           `envconfig:"EC_TLS_SESSION_CACHE" default:"8192"` // appliances whose TLS session a worker keeps for resumption
	ECTLSCurves       string        `envconfig:"EC_TLS_CURVES"`                       // key exchanges offered to appliances, in order; empty: Go's defaults
	RedisAddr         string        `envconfig:"REDIS_ADDR" default:"redis:6379"`     // host:port
	RedisPassword     string        `envconfig:"REDIS_PASSWORD" secret:"true"`        // Redis AUTH
	RedisDB           int           `envconfig:"REDIS_DB" default:"0"`                // Redis database number
	Queue             string        `envconfig:"QUEUE" default:"ectelem"`             // asynq queue name
	DiscoveryInterval time.Duration `envconfig:"DISCOVERY_INTERVAL" default:"60s"`    // one cycle
	DiscoverySpread   bool          `envconfig:"DISCOVERY_SPREAD" default:"true"`     // spread jobs over the interval
	CollectAll        bool          `envconfig:"COLLECT_ALL" default:"false"`         // ignore the limit file, collect every appliance
	LimitFile         string        `envconfig:"LIMIT_FILE" default:"limit_appliances.json"`
	WorkerConcurrency int           `envconfig:"WORKER_CONCURRENCY" default:"256"`      // jobs in flight per worker process (most of a job is waiting on the appliance)
	MinuteStatsJobs   int           `envconfig:"MINUTE_STATS_CONCURRENCY" default:"16"` // jobs parsing minute stats at once (memory bound; capped at WORKER_CONCURRENCY)
	JobTimeout        time.Duration `envconfig:"JOB_TIMEOUT" default:"55s"`             // one appliance job
	ShutdownTimeout   time.Duration `envconfig:"SHUTDOWN_TIMEOUT" default:"20s"`        // wait for running jobs on SIGTERM
	Reachability      string        `envconfig:"REACHABILITY" default:"icmp"`           // icmp | tcp | none
	BackfillMax       time.Duration `envconfig:"BACKFILL_MAX" default:"24h"`            // oldest minute fetched after an outage
	FirstContactMins  int           `envconfig:"FIRST_CONTACT_MINUTES" default:"3"`     // minutes fetched on first contact
	SpoolMaxEntries   int64         `envconfig:"SPOOL_MAX_ENTRIES" default:"50000"`     // point batches kept in Redis while InfluxDB is down; 0 disables
	SpoolReplay       time.Duration `envconfig:"SPOOL_REPLAY_INTERVAL" default:"10s"`   // how often workers try to write the spool
	SourcesDisabled   string        `envconfig:"SOURCES_DISABLED"`                      // sources never requested, e.g. disk,realtime
	SourceIntervals   string        `envconfig:"SOURCE_INTERVALS"`                      // source=interval, e.g. disk=15m; others every cycle
	MetricsAddr       string        `envconfig:"METRICS_ADDR" default:":9090"`          // Prometheus /metrics; "" disables
	MetricsPprof      bool          `envconfig:"METRICS_PPROF" default:"false"`         // Go's /debug/pprof/ beside /metrics
	LogFile           string        `envconfig:"LOG_FILE"`                              // demo-style human log file; "" disables
	LogFormat         string        `envconfig:"LOG_FORMAT" default:"json"`             // stdout: json | console

	// MinuteMaxPoints bounds the points of one minute-stats archive; the
	// excess is dropped, counted and logged.
	MinuteMaxPoints int `envconfig:"MINUTE_STATS_MAX_POINTS" default:"50000"`

	// Reading appliances through the Orchestrator (docs/orchestrator-mode.md).
	CollectVia             string `envconfig:"COLLECT_VIA" default:"direct"`             // direct | orchestrator | auto
	PassthroughMinuteStats bool   `envconfig:"PASSTHROUGH_MINUTE_STATS" default:"false"` // fetch minute archives through the Orchestrator too
	OrchRateLimit          int    `envconfig:"ORCH_RATE_LIMIT" default:"20"`             // Orchestrator requests started per second, per process; 0: unlimited
	OrchMaxConcurrency     int    `envconfig:"ORCH_MAX_CONCURRENCY" default:"8"`         // Orchestrator requests in flight, per process; 0: unbounded

	// Thresholds of the appliance_status verdict (docs/health.md).
	StatusStaleAfter  time.Duration `envconfig:"STATUS_STALE_AFTER" default:"5m"` // newest stored minute older than this: degraded
	StatusTunnelsDown int           `envconfig:"STATUS_TUNNELS_DOWN" default:"1"` // at least this many tunnels down: degraded; 0: tunnels never make it degraded

	// Outputs besides InfluxDB (see outputs.go).
	Outputs          string        `envconfig:"OUTPUTS" default:"influxdb"`  // comma-separated: influxdb (always), mqtt, otlp
	MQTTURL          string        `envconfig:"MQTT_URL"`                    // tcp://, ssl://, ws:// or wss:// host:port
	MQTTClientID     string        `envconfig:"MQTT_CLIENT_ID"`              // "": ectelemetry-<hostname>-<pid>
	MQTTUser         string        `envconfig:"MQTT_USER"`                   // "" for an anonymous broker
	MQTTPassword     string        `envconfig:"MQTT_PW" secret:"true"`       // with MQTT_USER
	MQTTCAFile       string        `envconfig:"MQTT_CA_FILE"`                // extra CA bundle (PEM) for ssl:// and wss://
	MQTTQoS          int           `envconfig:"MQTT_QOS" default:"1"`        // 0 or 1
	MQTTRetain       bool          `envconfig:"MQTT_RETAIN" default:"false"` // retained messages
	MQTTTopicPrefix  string        `envconfig:"MQTT_TOPIC_PREFIX" default:"ectelemetry"`
	MQTTMeasurements string        `envconfig:"MQTT_MEASUREMENTS"`                 // comma-separated; "": all
	MQTTQueuePoints  int           `envconfig:"MQTT_QUEUE_POINTS" default:"20000"` // points queued while the broker is away
	MQTTMaxAge       time.Duration `envconfig:"MQTT_MAX_AGE" default:"5m"`         // queued points older than this are dropped
	OTLPQueuePoints  int           `envconfig:"OTLP_QUEUE_POINTS" default:"20000"` // points queued while the OTLP receiver is away
	OTLPMaxAge       time.Duration `envconfig:"OTLP_MAX_AGE" default:"5m"`         // queued points older than this are dropped
	OTLPSelfMetrics  bool          `envconfig:"OTLP_SELF_METRICS" default:"false"` // export /metrics and Go runtime metrics by OTLP too

	// Redis high availability (see redis.go): a Sentinel-managed primary
	// or a Redis Cluster instead of the one server of REDIS_ADDR.
	RedisSentinelAddrs    string `envconfig:"REDIS_SENTINEL_ADDRS"`                  // comma-separated sentinel host:port list
	RedisSentinelMaster   string `envconfig:"REDIS_SENTINEL_MASTER"`                 // master name the sentinels monitor
	RedisSentinelPassword string `envconfig:"REDIS_SENTINEL_PASSWORD" secret:"true"` // sentinel AUTH; "" when the sentinels need none
	RedisClusterAddrs     string `envconfig:"REDIS_CLUSTER_ADDRS"`                   // comma-separated seed host:port list of the cluster nodes
}

// secretFileSuffix names the variables that hold a path to a file with the
// secret, for Docker secrets: ORCH_API_KEY_FILE and so on.
const secretFileSuffix = "_FILE"

// Load reads the configuration from the process environment; see LoadFrom.
func Load() (Config, error) { return LoadFrom(os.LookupEnv) }

// LoadFrom reads the configuration through lookup (os.LookupEnv, or a map in
// tests). It reads the *_FILE variant of each secret when the plain variable
// is empty. It reports every variable that does not parse at once, one line
// each, as "NAME=value: what is wrong" (secret values masked); the Config it
// returns then holds the defaults in place of those values, so Validate can
// still report the other problems. It does not validate; call Validate.
func LoadFrom(lookup func(string) (string, bool)) (Config, error) {
	var c Config
	errs := []error{decode(&c, lookup)}
	for _, f := range secretFields() {
		v := reflect.ValueOf(&c).Elem().FieldByName(f.field)
		fileVar := f.env + secretFileSuffix
		path, _ := lookup(fileVar)
		if path == "" {
			continue
		}
		if v.String() != "" {
			errs = append(errs, fmt.Errorf("%s and %s are both set: set only one", f.env, fileVar))
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: cannot read secret file: %w", fileVar, err))
			continue
		}
		v.SetString(strings.TrimRight(string(b), "\r\n"))
	}
	return c, errors.Join(errs...)
}

type secretField struct{ field, env string }

// secretFields lists the fields tagged secret:"true" with their variable.
func secretFields() []secretField {
	var out []secretField
	t := reflect.TypeOf(Config{})
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Tag.Get(secretTag) == "true" {
			out = append(out, secretField{f.Name, f.Tag.Get(varTag)})
		}
	}
	return out
}

// SecretValues returns the non-empty secret values, so that callers can make
// sure none of them reaches a log line or an error text.
func (c Config) SecretValues() []string {
	var out []string
	v := reflect.ValueOf(c)
	for _, f := range secretFields() {
		if s := v.FieldByName(f.field).String(); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Validate reports every problem of the configuration for the given role at
// once. It never touches the network.
func (c Config) Validate(role Role) error {
	var errs []error
	need := func(name, value string) {
		if strings.TrimSpace(value) == "" {
			errs = append(errs, fmt.Errorf("%s is required and empty", name))
		}
	}
	discovery := role == RoleDiscovery || role == RoleAll
	worker := role == RoleWorker || role == RoleAll

	need("DB_URL", c.DBURL)
	need("DB_BUCKET", c.DBBucket)
	if c.DBWrites < 1 || c.DBWrites > 1024 {
		errs = append(errs, fmt.Errorf("DB_WRITE_CONCURRENCY %d must be between 1 and 1024", c.DBWrites))
	}
	if c.DBURL != "" {
		if u, err := url.Parse(c.DBURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("DB_URL %s must be an http:// or https:// URL", showURL(c.DBURL)))
		}
	}
	if db, rp, ok := strings.Cut(c.DBBucket, "/"); ok {
		errs = append(errs, fmt.Errorf("DB_BUCKET %q holds a retention policy, which Grafana's datasource would take as part of the database name: "+
			"set DB_BUCKET=%s and make %q the default retention policy of %q", c.DBBucket, db, rp, db))
	}
	errs = append(errs, checkFile("DB_CA_FILE", c.DBCAFile))
	errs = append(errs, c.validateRedis()...)
	need("QUEUE", c.Queue)
	if _, err := ParseLogLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	if c.LogFormat != "json" && c.LogFormat != "console" {
		errs = append(errs, fmt.Errorf("LOG_FORMAT %q must be json or console", c.LogFormat))
	}
	if c.LogMaxBytes <= 0 {
		errs = append(errs, fmt.Errorf("LOG_MAX_BYTES must be positive, got %d", c.LogMaxBytes))
	}
	if c.LogMaxBackups < 0 {
		errs = append(errs, fmt.Errorf("LOG_MAX_BACKUPS must not be negative, got %d", c.LogMaxBackups))
	}
	if c.OrchRateLimit < 0 || c.OrchRateLimit > 10000 {
		errs = append(errs, fmt.Errorf("ORCH_RATE_LIMIT %d must be between 0 (unlimited) and 10000", c.OrchRateLimit))
	}
	if c.OrchMaxConcurrency < 0 || c.OrchMaxConcurrency > 1024 {
		errs = append(errs, fmt.Errorf("ORCH_MAX_CONCURRENCY %d must be between 0 (unbounded) and 1024", c.OrchMaxConcurrency))
	}
	if c.OrchestratorsFile != "" {
		// Read by discovery, and by workers that collect some appliance
		// through an Orchestrator.
		_, err := c.Orchestrators()
		errs = append(errs, err)
	} else if discovery || worker && c.CollectVia != ViaDirect {
		if _, err := c.Orchestrators(); err != nil {
			errs = append(errs, err) // ORCH_NAME, ORCH_LOGIN_TYPE
		}
		need("ORCH_URL", c.OrchURL)
		errs = append(errs, checkOrchURL(c.OrchURL))
		errs = append(errs, checkCredentials(c.OrchAPIKey, c.OrchUser, c.OrchPassword, "ORCH_API_KEY", "ORCH_USER", "ORCH_PW"))
		errs = append(errs, checkFile("ORCH_CA_FILE", c.OrchCAFile))
	}
	if discovery {
		if c.DiscoveryInterval < 10*time.Second {
			errs = append(errs, fmt.Errorf("DISCOVERY_INTERVAL %s is shorter than 10s", c.DiscoveryInterval))
		}
		if !c.CollectAll && c.OrchestratorsFile == "" {
			need("LIMIT_FILE", c.LimitFile)
		}
	}
	if worker {
		need("EC_USER", c.ECUser)
		need("EC_PW", c.ECPassword)
		if _, err := c.ApplianceCredentials(); err != nil {
			errs = append(errs, err)
		}
		if c.ECTimeout < 1 || c.ECTimeout > 60 {
			errs = append(errs, fmt.Errorf("EC_TIMEOUT %d must be between 1 and 60 seconds", c.ECTimeout))
		}
		if c.ECRequestTimeout <= 0 || c.ECArchiveTimeout <= 0 {
			errs = append(errs, errors.New("EC_REQUEST_TIMEOUT and EC_ARCHIVE_TIMEOUT must be positive"))
		}
		if c.ECConnections < 1 || c.ECConnections > 16 {
			errs = append(errs, fmt.Errorf("EC_CONNECTIONS %d must be between 1 and 16", c.ECConnections))
		}
		if c.ECTLSSessions < 1 {
			errs = append(errs, fmt.Errorf("EC_TLS_SESSION_CACHE %d must be at least 1", c.ECTLSSessions))
		}
		if _, err := c.ECCurves(); err != nil {
			errs = append(errs, err)
		}
		if c.WorkerConcurrency < 1 || c.WorkerConcurrency > 4096 {
			errs = append(errs, fmt.Errorf("WORKER_CONCURRENCY %d must be between 1 and 4096", c.WorkerConcurrency))
		}
		if c.MinuteStatsJobs < 1 {
			errs = append(errs, fmt.Errorf("MINUTE_STATS_CONCURRENCY %d must be at least 1", c.MinuteStatsJobs))
		}
		if c.JobTimeout < 5*time.Second {
			errs = append(errs, fmt.Errorf("JOB_TIMEOUT %s is shorter than 5s", c.JobTimeout))
		}
		if c.ShutdownTimeout <= 0 {
			errs = append(errs, fmt.Errorf("SHUTDOWN_TIMEOUT %s must be positive", c.ShutdownTimeout))
		}
		switch c.CollectVia {
		case ViaDirect, ViaOrchestrator, ViaAuto:
		default:
			errs = append(errs, fmt.Errorf("COLLECT_VIA %q must be direct, orchestrator or auto", c.CollectVia))
		}
		switch c.Reachability {
		case ReachICMP, ReachTCP, ReachNone:
		default:
			errs = append(errs, fmt.Errorf("REACHABILITY %q must be icmp, tcp or none", c.Reachability))
		}
		if c.BackfillMax < time.Minute || c.BackfillMax > 7*24*time.Hour {
			errs = append(errs, fmt.Errorf("BACKFILL_MAX %s must be between 1m and 168h", c.BackfillMax))
		}
		if c.FirstContactMins < 1 || c.FirstContactMins > 1440 {
			errs = append(errs, fmt.Errorf("FIRST_CONTACT_MINUTES %d must be between 1 and 1440", c.FirstContactMins))
		}
		if c.MinuteMaxPoints < 1000 {
			errs = append(errs, fmt.Errorf("MINUTE_STATS_MAX_POINTS %d must be at least 1000", c.MinuteMaxPoints))
		}
		if c.StatusStaleAfter < 2*time.Minute || c.StatusStaleAfter > 24*time.Hour {
			errs = append(errs, fmt.Errorf("STATUS_STALE_AFTER %s must be between 2m and 24h", c.StatusStaleAfter))
		}
		if c.StatusTunnelsDown < 0 || c.StatusTunnelsDown > 100000 {
			errs = append(errs, fmt.Errorf("STATUS_TUNNELS_DOWN %d must be between 0 (never) and 100000", c.StatusTunnelsDown))
		}
		if c.SpoolMaxEntries < 0 {
			errs = append(errs, fmt.Errorf("SPOOL_MAX_ENTRIES %d must be 0 (no spool) or more", c.SpoolMaxEntries))
		}
		if c.SpoolReplay < 100*time.Millisecond {
			errs = append(errs, fmt.Errorf("SPOOL_REPLAY_INTERVAL %s must be at least 100ms", c.SpoolReplay))
		}
		_, err := c.SourcePlan()
		errs = append(errs, checkFile("EC_CA_FILE", c.ECCAFile), err)
		errs = append(errs, c.validateOutputs())
	}
	return errors.Join(errs...)
}

// SourcePlan parses SOURCES_DISABLED and SOURCE_INTERVALS: which sources
// the worker collects, and how often.
func (c Config) SourcePlan() (sourceplan.Plan, error) {
	return sourceplan.Parse(c.SourcesDisabled, c.SourceIntervals)
}

// checkOrchURL accepts the forms the Orchestrator client takes: host,
// host:port or an https:// URL without credentials, query or fragment.
func checkOrchURL(s string) error {
	raw := strings.TrimSpace(s)
	if raw == "" {
		return nil // reported as required
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Hostname() == "":
		return fmt.Errorf("ORCH_URL %s must be host, host:port or an https:// URL", showURL(s))
	case u.Scheme != "https":
		return fmt.Errorf("ORCH_URL %s: scheme %q is not supported: use https:// or give only host[:port]", showURL(s), u.Scheme)
	case u.User != nil:
		return fmt.Errorf("ORCH_URL %s must not hold a user or password: use ORCH_API_KEY, or ORCH_USER and ORCH_PW", showURL(s))
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return fmt.Errorf("ORCH_URL %s must not hold a query or fragment", showURL(s))
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("ORCH_URL %s: port %q is not a number between 1 and 65535", showURL(s), p)
		}
	}
	return nil
}

// showURL returns the quoted display text of a URL from the configuration
// for an error message, its user and password hidden.
func showURL(s string) string { return strconv.Quote(redact.URL(s)) }

func checkFile(name, path string) error {
	if path == "" {
		return nil
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// ParseLogLevel maps the demo's level names (and a few common spellings) to
// a canonical lower-case level: error, warn, info or debug. CRITICAL, the
// demo's highest level (which crashed the demo), maps to error, the highest
// level ec-telemetry logs at.
func ParseLogLevel(s string) (string, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "CRITICAL", "FATAL", "ERROR":
		return "error", nil
	case "WARNING", "WARN":
		return "warn", nil
	case "", "INFO":
		return "info", nil
	case "DEBUG":
		return "debug", nil
	}
	return "", fmt.Errorf("LOG_LEVEL %q must be one of CRITICAL, ERROR, WARNING, INFO, DEBUG", s)
}
