package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// TestCheckHidesURLPasswords: passwords in the userinfo of ORCH_URL and
// DB_URL never reach the report, neither in a FAIL nor in a PASS line.
func TestCheckHidesURLPasswords(t *testing.T) {
	const orchPW, dbPW = "OrchUrlPw-4e1d", "DbUrlPw-9c2a"
	// orchestrator.New refuses credentials in the URL, so the closed port
	// is never dialled; Redis is down, which only adds a FAIL line.
	db := testenv.StartInfluxDB(t)
	orchURL := "https://user:" + orchPW + "@" + testenv.ClosedPort(t)
	dbURL := strings.Replace(db.URL, "http://", "http://u:"+dbPW+"@", 1)
	for k, v := range map[string]string{
		"ORCH_URL": orchURL, "ORCH_API_KEY": "key-never-printed", "EC_USER": "admin", "EC_PW": "pw-never-printed",
		"DB_URL": dbURL, "DB_BUCKET": db.Database, "DB_ORG": "", "DB_TOKEN": "", "REDIS_ADDR": testenv.ClosedPort(t),
		"LIMIT_FILE": "limit_appliances.json",
	} {
		t.Setenv(k, v)
	}
	var out bytes.Buffer
	if err := run(t.Context(), []string{"check"}, nil, &out, &out); err == nil {
		t.Fatalf("check passed with credentials in ORCH_URL, want a failure:\n%s", out.String())
	}
	for _, want := range []string{"FAIL  Orchestrator https://***@", "PASS  InfluxDB http://***@"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	for _, secret := range []string{orchPW, dbPW, "user:", "key-never-printed"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("report prints %q:\n%s", secret, out.String())
		}
	}

	// An invalid DB_URL with a password is reported without it.
	t.Setenv("DB_URL", "ftp://u:"+dbPW+"@127.0.0.1")
	out.Reset()
	_ = run(t.Context(), []string{"check"}, nil, &out, &out)
	if strings.Contains(out.String(), dbPW) || !strings.Contains(out.String(), "FAIL  setting: DB_URL") {
		t.Errorf("report of an invalid DB_URL prints its password or misses it:\n%s", out.String())
	}
}
