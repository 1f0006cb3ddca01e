package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// TestCheckHidesURLPasswords: passwords in the userinfo of DB_URL and
// ORCH_URL never reach the report, neither in a PASS nor in a FAIL line.
func TestCheckHidesURLPasswords(t *testing.T) {
	const orchPW, dbPW = "OrchUrlPw-4e1d", "DbUrlPw-9c2a"
	db := testenv.StartInfluxDB(t)
	limit := filepath.Join(t.TempDir(), "limit_appliances.json")
	if err := os.WriteFile(limit, []byte(`{"appliance_subset": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	// The Orchestrator and Redis are down: that only adds FAIL lines.
	base := map[string]string{
		"ORCH_URL": "https://" + testenv.ClosedPort(t), "ORCH_API_KEY": "key-never-printed", "EC_USER": "admin",
		"EC_PW": "pw-never-printed", "DB_URL": strings.Replace(db.URL, "http://", "http://u:"+dbPW+"@", 1),
		"DB_BUCKET": db.Database, "DB_ORG": "", "DB_TOKEN": "", "REDIS_ADDR": testenv.ClosedPort(t), "LIMIT_FILE": limit,
	}
	tests := []struct {
		name string
		env  map[string]string
		want string // in the report
	}{
		{"password in DB_URL", nil, "PASS  InfluxDB http://***@"},
		{"password in ORCH_URL", map[string]string{"ORCH_URL": "https://user:" + orchPW + "@" + testenv.ClosedPort(t)}, "FAIL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range base {
				t.Setenv(k, v)
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var out bytes.Buffer
			if err := run(t.Context(), []string{"check"}, nil, &out, &out); err == nil {
				t.Errorf("check passed, want failures:\n%s", out.String())
			}
			if !strings.Contains(out.String(), tt.want) {
				t.Errorf("report lacks %q:\n%s", tt.want, out.String())
			}
			for _, secret := range []string{orchPW, dbPW, "key-never-printed", "pw-never-printed"} {
				if strings.Contains(out.String(), secret) {
					t.Errorf("report prints %q:\n%s", secret, out.String())
				}
			}
		})
	}
}
