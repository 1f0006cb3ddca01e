package spool

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/influx"
	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

type env struct {
	rdb  *redis.Client
	db   *testenv.InfluxDB
	w    *influx.Writer
	m    *metrics.Metrics
	logs *testenv.LogBuffer
	sp   *Spool
}

func setup(t *testing.T, o Options) *env {
	t.Helper()
	rs := testenv.StartRedis(t)
	e := &env{db: testenv.StartInfluxDB(t), m: metrics.New(), logs: &testenv.LogBuffer{}}
	e.rdb = rs.Client(t)
	e.w = newWriter(t, e.db.URL, e.db.Bucket)
	o.Client, o.Metrics, o.Logger = e.rdb, e.m, zerolog.New(e.logs)
	sp, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.sp = sp
	return e
}

func newWriter(t *testing.T, url, bucket string) *influx.Writer {
	t.Helper()
	w, err := influx.NewWriter(influx.Options{URL: url, Bucket: bucket, MaxRetries: -1, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

// cpuPoints returns n points of appliance_cpu for host, one minute apart
// from base, with field "total" = i + 0.5.
func cpuPoints(host string, base int64, n int) []telemetry.Point {
	out := make([]telemetry.Point, n)
	for i := range out {
		out[i] = telemetry.Point{
			Measurement: "spool_test",
			Tags:        telemetry.TagsOf(map[string]string{"hostname": host}),
			Fields:      telemetry.FieldsOf(map[string]any{"total": float64(i) + 0.5, "seq": int64(i)}),
			Time:        time.Unix(base+int64(i)*60, 0),
		}
	}
	return out
}

// stored returns "time seq total" of the host's points, in time order.
func stored(t *testing.T, db *testenv.InfluxDB, host string) []string {
	t.Helper()
	series, err := db.Query(t.Context(), fmt.Sprintf(`SELECT "seq", "total" FROM "spool_test" WHERE "hostname" = '%s'`, host))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range series {
		for _, row := range s.Values {
			cells := make([]string, len(row))
			for i, c := range row {
				cells[i] = fmt.Sprint(c)
			}
			out = append(out, strings.Join(cells, " "))
		}
	}
	return out
}

func want(base int64, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%d %d %g", base+int64(i)*60, i, float64(i)+0.5))
	}
	return out
}

func TestPushThenDrainStoresEveryPointOnce(t *testing.T) {
	e := setup(t, Options{MaxPoints: 5})
	const base = 1795000000
	kept, err := e.sp.Push(t.Context(), cpuPoints("EC-1", base, 12))
	if err != nil || kept != 12 {
		t.Fatalf("Push = %d, %v; want 12, nil", kept, err)
	}
	if n, _ := e.sp.Len(t.Context()); n != 3 {
		t.Errorf("Len = %d, want 3 entries of at most 5 points", n)
	}
	res, err := e.sp.Drain(t.Context(), e.w)
	if err != nil {
		t.Fatal(err)
	}
	if res != (DrainResult{Entries: 3, Points: 12}) {
		t.Errorf("Drain = %+v, want 3 entries, 12 points, nothing left", res)
	}
	if got, w := stored(t, e.db, "EC-1"), want(base, 0, 12); fmt.Sprint(got) != fmt.Sprint(w) {
		t.Errorf("stored\n%v\nwant\n%v", got, w)
	}
	if got := testutil.ToFloat64(e.m.SpoolPoints.WithLabelValues("spooled")); got != 12 {
		t.Errorf("spooled points metric = %v, want 12", got)
	}
	if got := testutil.ToFloat64(e.m.SpoolPoints.WithLabelValues("replayed")); got != 12 {
		t.Errorf("replayed points metric = %v, want 12", got)
	}
	if got := testutil.ToFloat64(e.m.SpoolEntries); got != 0 {
		t.Errorf("entries gauge = %v, want 0", got)
	}
	// Draining an empty spool does nothing.
	if res, err := e.sp.Drain(t.Context(), e.w); err != nil || res != (DrainResult{}) {
		t.Errorf("second Drain = %+v, %v; want nothing done", res, err)
	}
}

func TestDrainKeepsEntriesWhileInfluxDBIsDown(t *testing.T) {
	e := setup(t, Options{})
	const base = 1795000000
	if _, err := e.sp.Push(t.Context(), cpuPoints("EC-2", base, 4)); err != nil {
		t.Fatal(err)
	}
	down := newWriter(t, "http://"+testenv.ClosedPort(t), e.db.Bucket)
	res, err := e.sp.Drain(t.Context(), down)
	if err == nil || !influx.Retryable(err) || !strings.Contains(err.Error(), "4 points") {
		t.Errorf("Drain against a closed port: err = %v, want a retryable error naming the 4 points", err)
	}
	if res.Entries != 0 || res.Left != 1 {
		t.Errorf("Drain = %+v, want nothing written and 1 entry left", res)
	}
	// The lock was released: the next drain (InfluxDB back) proceeds.
	if res, err := e.sp.Drain(t.Context(), e.w); err != nil || res.Points != 4 || res.Busy {
		t.Fatalf("Drain after recovery = %+v, %v; want 4 points", res, err)
	}
	if got, w := stored(t, e.db, "EC-2"), want(base, 0, 4); fmt.Sprint(got) != fmt.Sprint(w) {
		t.Errorf("stored %v, want %v", got, w)
	}
}

func TestPushDropsTheOldestEntriesPastMaxEntries(t *testing.T) {
	e := setup(t, Options{MaxEntries: 2})
	const base = 1795000000
	pts := cpuPoints("EC-3", base, 3)
	for i := range pts {
		if _, err := e.sp.Push(t.Context(), pts[i:i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := e.sp.Len(t.Context()); n != 2 {
		t.Errorf("Len = %d, want 2", n)
	}
	if got := testutil.ToFloat64(e.m.SpoolDroppedEntries.WithLabelValues("full")); got != 1 {
		t.Errorf("dropped entries (full) = %v, want 1", got)
	}
	if !strings.Contains(e.logs.String(), "spool full") {
		t.Errorf("no log line about the dropped entry:\n%s", e.logs)
	}
	// With a full spool every push drops one entry; the log says so once a
	// minute, the metric counts each.
	extra := cpuPoints("EC-3b", base, 2)
	for i := range extra {
		if _, err := e.sp.Push(t.Context(), extra[i:i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Count(e.logs.String(), "spool full"); got != 1 {
		t.Errorf("%d 'spool full' log lines after three drops within a minute, want 1", got)
	}
	if got := testutil.ToFloat64(e.m.SpoolDroppedEntries.WithLabelValues("full")); got != 3 {
		t.Errorf("dropped entries (full) = %v, want 3", got)
	}
	if _, err := e.rdb.Del(t.Context(), DefaultKey).Result(); err != nil {
		t.Fatal(err)
	}
	for i := range pts {
		if _, err := e.sp.Push(t.Context(), pts[i:i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.sp.Drain(t.Context(), e.w); err != nil {
		t.Fatal(err)
	}
	if got, w := stored(t, e.db, "EC-3"), want(base, 1, 3); fmt.Sprint(got) != fmt.Sprint(w) {
		t.Errorf("stored %v, want the newest two %v", got, w)
	}
}

func TestDrainDropsEntriesThatCanNeverBeWritten(t *testing.T) {
	e := setup(t, Options{})
	const base = 1795000000
	ctx := t.Context()
	bad, err := compress([]byte("spool_test,hostname=EC-4 total=\"unterminated 1795000000\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range [][]byte{[]byte("not gzip at all"), bad} {
		if err := e.rdb.RPush(ctx, DefaultKey, v).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.sp.Push(ctx, cpuPoints("EC-4", base, 2)); err != nil {
		t.Fatal(err)
	}
	res, err := e.sp.Drain(ctx, e.w)
	if err != nil {
		t.Fatal(err)
	}
	if res.Entries != 1 || res.Points != 2 || res.Dropped != 2 || res.Left != 0 {
		t.Errorf("Drain = %+v, want 1 entry written, 2 dropped, none left", res)
	}
	if got := testutil.ToFloat64(e.m.SpoolDroppedEntries.WithLabelValues("corrupt")); got != 1 {
		t.Errorf("dropped corrupt = %v, want 1", got)
	}
	if got := testutil.ToFloat64(e.m.SpoolDroppedEntries.WithLabelValues("refused")); got != 1 {
		t.Errorf("dropped refused = %v, want 1", got)
	}
	if got, w := stored(t, e.db, "EC-4"), want(base, 0, 2); fmt.Sprint(got) != fmt.Sprint(w) {
		t.Errorf("stored %v, want %v", got, w)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "cannot be decoded") || !strings.Contains(logs, "refused spooled points for good") {
		t.Errorf("logs lack the reasons:\n%s", logs)
	}
}

func TestOnlyOneDrainAtATime(t *testing.T) {
	e := setup(t, Options{})
	ctx := t.Context()
	if _, err := e.sp.Push(ctx, cpuPoints("EC-5", 1795000000, 1)); err != nil {
		t.Fatal(err)
	}
	if err := e.rdb.Set(ctx, DefaultKey+":lock", "another-replica", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	res, err := e.sp.Drain(ctx, e.w)
	if err != nil || !res.Busy || res.Entries != 0 {
		t.Errorf("Drain under another's lock = %+v, %v; want busy and nothing done", res, err)
	}
	if v := e.rdb.Get(ctx, DefaultKey+":lock").Val(); v != "another-replica" {
		t.Errorf("lock = %q, want the other replica's untouched", v)
	}
	if got := stored(t, e.db, "EC-5"); len(got) != 0 {
		t.Errorf("stored %v while another replica held the lock", got)
	}
}

func TestPushLeavesOutPointsThatCannotBeEncoded(t *testing.T) {
	e := setup(t, Options{})
	pts := cpuPoints("EC-6", 1795000000, 2)
	pts = append(pts, telemetry.Point{Measurement: "spool_test", Tags: telemetry.TagsOf(map[string]string{"hostname": "EC-6"}),
		Fields: telemetry.Fields{telemetry.FloatField("bad", math.NaN())}, Time: time.Unix(1795000000, 0)})
	kept, err := e.sp.Push(t.Context(), pts)
	if kept != 2 || err == nil || !strings.Contains(err.Error(), "1 points cannot be encoded") {
		t.Errorf("Push = %d, %v; want 2 kept and an error naming the 1 bad point", kept, err)
	}
}

func TestRunWritesTheSpoolWhenInfluxDBComesBack(t *testing.T) {
	e := setup(t, Options{})
	const base = 1795000000
	e.db.Stop()
	if _, err := e.sp.Push(t.Context(), cpuPoints("EC-7", base, 3)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); e.sp.Run(ctx, e.w, 50*time.Millisecond) }()
	defer func() { cancel(); <-done }()
	waitLen := func(want int64) int64 {
		deadline := time.Now().Add(30 * time.Second)
		for {
			n, err := e.sp.Len(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if n == want || time.Now().After(deadline) {
				return n
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	time.Sleep(200 * time.Millisecond) // a few failed attempts while InfluxDB is down
	if n := waitLen(1); n != 1 {
		t.Fatalf("spool length while InfluxDB is down = %d, want 1", n)
	}
	e.db.Restart()
	if n := waitLen(0); n != 0 {
		t.Fatalf("spool length after InfluxDB came back = %d, want 0", n)
	}
	if got, w := stored(t, e.db, "EC-7"), want(base, 0, 3); fmt.Sprint(got) != fmt.Sprint(w) {
		t.Errorf("stored %v, want %v", got, w)
	}
	// The entry leaves the list before Run logs that it was written.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(e.logs.String(), "spooled points written") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	logs := e.logs.String()
	if strings.Count(logs, "replay paused") != 1 || !strings.Contains(logs, "spooled points written to InfluxDB") {
		t.Errorf("want one 'replay paused' line and one 'written' line:\n%s", logs)
	}
}

func TestDecompressBoundsEntrySize(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	chunk := bytes.Repeat([]byte("a"), 1<<20)
	for i := 0; i < maxEntryBytes>>20+1; i++ {
		zw.Write(chunk)
	}
	zw.Close()
	if _, err := decompress(buf.Bytes()); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("decompress of a %d-byte bomb: %v, want a size error", maxEntryBytes+1<<20, err)
	}
	if _, err := decompress([]byte{0x1f, 0x8b, 8, 0}); err == nil {
		t.Error("decompress of a truncated header succeeded")
	}
	if _, err := New(Options{}); err == nil {
		t.Error("New without a client succeeded")
	}
}

// failingWriter refuses every write as InfluxDB down would.
type failingWriter struct{}

func (failingWriter) WriteLineProtocol(context.Context, []byte, int) (int, error) {
	return 0, &influx.WriteError{StatusCode: 503, Message: "unavailable", Points: 1}
}

// When the spool empties without this process writing anything (another
// worker replayed it), Run says replay works again, not that it wrote 0.
func TestRunDoesNotReportZeroEntriesWritten(t *testing.T) {
	e := setup(t, Options{})
	if _, err := e.sp.Push(t.Context(), cpuPoints("EC-8", 1795000000, 2)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); e.sp.Run(ctx, failingWriter{}, 20*time.Millisecond) }()
	defer func() { cancel(); <-done }()
	waitLog := func(subs ...string) string {
		deadline := time.Now().Add(10 * time.Second)
		for {
			logs := e.logs.String()
			for _, s := range subs {
				if strings.Contains(logs, s) {
					return logs
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("no log line with any of %q:\n%s", subs, logs)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitLog("replay paused")
	// Another worker wrote the backlog meanwhile.
	if err := e.rdb.Del(t.Context(), e.sp.o.Key).Err(); err != nil {
		t.Fatal(err)
	}
	logs := waitLog("replay works again", "spooled points written")
	if strings.Contains(logs, "spooled points written") {
		t.Errorf("Run logged a write of 0 entries:\n%s", logs)
	}
}
