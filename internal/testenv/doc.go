// Package testenv starts real servers for tests: a redis-server (alone, a
// primary with a replica and Redis Sentinels: StartRedisSentinel, or a
// Redis Cluster: StartRedisCluster), an
// InfluxDB 1.8 (influxd), mosquitto and a single-node VictoriaMetrics. Tests
// in this repository never use mocks for these; they talk to the same
// servers the product talks to in production. StartDelayProxy puts a
// network's round trip between a client and one of them.
//
// Every server binds 127.0.0.1 on a free port, keeps its files in a
// directory from t.TempDir, runs in its own process group and is stopped at
// t.Cleanup (SIGTERM, then SIGKILL after a grace period). Its stdout and
// stderr go to a log file in that directory; the tail of the log is printed
// when a server fails to start and at cleanup when the test has failed.
//
// Binaries are looked up as follows, and a missing binary fails the test
// with instructions (`make deps` installs them):
//
//   - redis-server: $EC_REDIS_SERVER, then PATH, then /usr/bin and /usr/sbin.
//   - influxd: $EC_INFLUXD, then $EC_TOOLS_DIR/influxd, then
//     $HOME/.cache/ec-telemetry/bin/influxd, then PATH. It must be InfluxDB 1.x.
//   - victoria-metrics: $EC_VICTORIA_METRICS, then PATH, then /usr/bin
//     (Debian's victoria-metrics package).
//   - Sentinels are redis-server started with --sentinel.
//
// In -short mode StartRedis and StartInfluxDB skip the test with a message;
// the README's test command never uses -short.
//
// The package owns no global state. Start functions may be called from
// parallel tests. The methods of Redis and InfluxDB are safe for concurrent
// use, but Stop and Restart report failures with t.Fatalf and so must be
// called from the goroutine running the test.
package testenv
