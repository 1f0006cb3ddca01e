package app

import (
	"testing"

	"github.com/ec-telemetry/ec-telemetry/internal/config"
)

// TestLoadConfigReportsEverything: a value that does not parse and a
// missing variable are reported together, one per line, so a process
// started with several typos names them all.
func TestLoadConfigReportsEverything(t *testing.T) {
	for k, v := range map[string]string{
		"EC_USER": "admin", "EC_PW": "", "EC_PW_FILE": "", "EC_TIMEOUT": "abc", "BACKFILL_MAX": "forever",
		"REDIS_ADDR": "127.0.0.1:6379", "DB_URL": "http://127.0.0.1:8086",
	} {
		t.Setenv(k, v)
	}
	_, err := LoadConfig(config.RoleWorker)
	want := "configuration:\n" +
		"EC_TIMEOUT=abc: not a whole number (examples: 0, 2, 64)\n" +
		"BACKFILL_MAX=forever: not a duration (examples: 12s, 1m)\n" +
		"EC_PW is required and empty"
	if err == nil || err.Error() != want {
		t.Errorf("LoadConfig(worker) = %v, want\n%s", err, want)
	}
}
