package main

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"testing"

	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

func TestDemoRunsOneCycleAndShowsData(t *testing.T) {
	rs := testenv.StartRedis(t)
	db := testenv.StartInfluxDB(t)
	for k, v := range map[string]string{
		"REDIS_ADDR": rs.Addr, "DB_URL": db.URL, "DB_BUCKET": db.Database, "DB_ORG": "", "DB_TOKEN": "",
		"METRICS_ADDR": "127.0.0.1:0", "LOG_FILE": "", "LOG_FORMAT": "json", "LOG_LEVEL": "INFO",
	} {
		t.Setenv(k, v)
	}
	var out, errb bytes.Buffer
	if err := run(t.Context(), []string{"demo", "--appliances", "3", "--seed", "4", "--cycles", "1"}, nil, &out, &errb); err != nil {
		t.Fatalf("demo: %v\nstderr: %s\nstdout: %s", err, errb.String(), out.String())
	}
	// The table of the first cycle: one row per reachable appliance with a count.
	rows := regexp.MustCompile(`(?m)^  (\S+-\d{4})\s+(\d+)$`).FindAllStringSubmatch(out.String(), -1)
	if len(rows) == 0 {
		t.Fatalf("demo printed no data rows:\n%s", out.String())
	}
	for _, r := range rows {
		n, _ := strconv.Atoi(r[2])
		v, err := db.QueryValue(t.Context(), fmt.Sprintf(`SELECT count("bytes_tx") FROM "interface_stats" WHERE "hostname"='%s'`, r[1]))
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 || fmt.Sprint(v) != r[2] {
			t.Errorf("%s: demo shows %d points, InfluxDB has %v", r[1], n, v)
		}
	}
	for _, want := range []string{"discovery cycle: appliances queued", "cycle summary", "Try it yourself"} {
		if !bytes.Contains(out.Bytes(), []byte(want)) {
			t.Errorf("demo output lacks %q", want)
		}
	}
}
