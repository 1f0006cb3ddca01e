package config

import (
	"reflect"
	"slices"
	"strings"
)

// variableRoles says which process reads each variable of Config, as the
// role column of docs/configuration.md does: "D" discovery, "W" worker,
// "D W" both, "compose" only the docker compose file (the binary reads the
// variable but only check uses it). The ORCH_* connection variables are
// "D" although workers read them too with COLLECT_VIA other than direct:
// workers get them only when the operator adds them on purpose
// (docs/orchestrator-mode.md). Every variable of Config needs an entry;
// a test checks this table against Config and against the docs.
var variableRoles = map[string]string{
	"ORCH_URL": "D", "ORCH_API_KEY": "D", "EC_USER": "W", "EC_PW": "W", "EC_TIMEOUT": "W",
	"DB_URL": "D W", "DB_TOKEN": "D W", "DB_ORG": "D W", "DB_BUCKET": "D W", "DB_TLS_VERIFY": "D W", "DB_CA_FILE": "D W", "DB_WRITE_CONCURRENCY": "D W", "DB_GZIP": "D W",
	"DB_USER": "compose", "DB_PW": "compose", "DB_RETENTION": "compose", "WORKER_COUNT": "compose",
	"LOG_LEVEL": "D W", "LOG_MAX_BYTES": "D W", "LOG_MAX_BACKUPS": "D W",

	"ORCH_USER": "D", "ORCH_PW": "D", "ORCH_LOGIN_TYPE": "D", "ORCH_TLS_VERIFY": "D", "ORCH_CA_FILE": "D", "ORCH_NAME": "D W", "ORCHESTRATORS_FILE": "D W",
	"EC_TLS_VERIFY": "W", "EC_CREDENTIALS_FILE": "W", "EC_CA_FILE": "W", "EC_REQUEST_TIMEOUT": "W", "EC_ARCHIVE_TIMEOUT": "W", "EC_CONNECTIONS": "W", "EC_TLS_SESSION_CACHE": "W", "EC_TLS_CURVES": "W",
	"REDIS_ADDR": "D W", "REDIS_PASSWORD": "D W", "REDIS_DB": "D W", "QUEUE": "D W",
	"DISCOVERY_INTERVAL": "D", "DISCOVERY_SPREAD": "D", "COLLECT_ALL": "D", "LIMIT_FILE": "D",
	"WORKER_CONCURRENCY": "W", "MINUTE_STATS_CONCURRENCY": "W", "JOB_TIMEOUT": "D W", "SHUTDOWN_TIMEOUT": "W",
	"REACHABILITY": "W", "BACKFILL_MAX": "D W", "MINUTE_STATS_MAX_POINTS": "W", "FIRST_CONTACT_MINUTES": "W", "SPOOL_MAX_ENTRIES": "W",
	"STATUS_STALE_AFTER": "W", "STATUS_TUNNELS_DOWN": "W",
	"SPOOL_REPLAY_INTERVAL": "W", "SOURCES_DISABLED": "W", "SOURCE_INTERVALS": "W", "METRICS_ADDR": "D W", "METRICS_PPROF": "D W", "LOG_FILE": "D W", "LOG_FORMAT": "D W",

	"OUTPUTS": "W", "MQTT_URL": "W", "MQTT_CLIENT_ID": "W", "MQTT_USER": "W", "MQTT_PW": "W", "MQTT_CA_FILE": "W",
	"MQTT_QOS": "W", "MQTT_RETAIN": "W", "MQTT_TOPIC_PREFIX": "W", "MQTT_MEASUREMENTS": "W", "MQTT_QUEUE_POINTS": "W", "MQTT_MAX_AGE": "W",
	"OTLP_QUEUE_POINTS": "W", "OTLP_MAX_AGE": "W", "OTLP_SELF_METRICS": "D W",

	"COLLECT_VIA": "W", "PASSTHROUGH_MINUTE_STATS": "W", "ORCH_RATE_LIMIT": "D W", "ORCH_MAX_CONCURRENCY": "D W",
	"REDIS_SENTINEL_ADDRS": "D W", "REDIS_SENTINEL_MASTER": "D W", "REDIS_SENTINEL_PASSWORD": "D W", "REDIS_CLUSTER_ADDRS": "D W",
}

// Variable describes one environment variable of Config.
type Variable struct {
	Name    string // e.g. "DISCOVERY_INTERVAL"
	Default string // "" when it has none
	Secret  bool   // never printed; may also be given as Name+"_FILE"
}

// Variables returns the variables the process of the given role reads, in
// the order of Config (RoleAll: those of discovery or worker).
func Variables(role Role) []Variable {
	var out []Variable
	t := reflect.TypeOf(Config{})
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := f.Tag.Get(varTag)
		roles := strings.Fields(variableRoles[name])
		if (role == RoleDiscovery || role == RoleAll) && slices.Contains(roles, "D") ||
			(role == RoleWorker || role == RoleAll) && slices.Contains(roles, "W") {
			out = append(out, Variable{Name: name, Default: f.Tag.Get(defaultTag), Secret: f.Tag.Get(secretTag) == "true"})
		}
	}
	return out
}
