// Package deploytest holds only tests: they check the deployment files at the
// root of the repository the way Docker Compose and Grafana would read them,
// since the machines that run the tests have neither.
//
//   - compose_test.go loads docker-compose.yml and docker-compose.monitor.yml
//     with compose-go and example.env: profiles, replicas from WORKER_COUNT,
//     required variables, pinned images, capabilities, health checks, log
//     rotation.
//   - env_test.go checks that example.env documents every variable the binary
//     reads (internal/config) with the Python demo's names first, and that
//     its placeholders are exactly the secrets, each starting with changeme.
//   - dockerfile_test.go checks the Dockerfile's stages, user, health check
//     and labels.
//   - dashboards_test.go checks every dashboard JSON and the provisioning
//     files: uids, data source uids, variables, units, thresholds.
//   - queries_test.go runs every InfluxQL query of every dashboard, with its
//     variables substituted, against a real InfluxDB 1.8 (internal/testenv)
//     filled by fillFromPipeline (fill_test.go).
//   - alerting_test.go loads the alert provisioning render.sh writes with
//     Grafana's published Go types, strictly; checks the Prometheus rules
//     (promtool) and Alertmanager's configuration (amtool).
//   - alertrules_test.go evaluates every Grafana alert rule as Grafana does
//     against InfluxDB filled by the real pipeline, healthy and faulted.
//
// The package has no non-test code; nothing imports it.
package deploytest
