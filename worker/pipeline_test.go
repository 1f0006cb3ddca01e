package worker

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/sourceplan"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// jobRoundTrips runs one job and returns the Redis round trips it took:
// the reads Redis processed, less the INFO that reads the count after it.
func jobRoundTrips(t *testing.T, f *fixture, p tasks.AppliancePoll) (Report, int64) {
	t.Helper()
	rdb := f.h.o.Redis
	if rdb == nil {
		rdb = f.h.o.Watermarks.(*RedisWatermarks).Client
	}
	before := testenv.RedisInfoInt(t, rdb, "stats", "total_reads_processed")
	rep := f.h.Collect(t.Context(), p)
	return rep, testenv.RedisInfoInt(t, rdb, "stats", "total_reads_processed") - before - 1
}

// A job reads from Redis in one round trip at its start and writes in one
// at its end, where it made one for each store before; what it writes is
// the same.
func TestJobTakesTwoRedisRoundTrips(t *testing.T) {
	for _, tc := range []struct {
		name      string
		pipelined bool
		intervals string // SOURCE_INTERVALS
	}{{"pipelined", true, ""}, {"pipelined, with a source interval", true, "disk=1m"}, {"a round trip per store", false, "disk=1m"}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixtureWith(t, simulator.Config{Appliances: 3, Seed: 7}, func(_ *simulator.Simulator, o *Options) {
				o.Cycles = &tasks.RedisCycles{Client: o.Redis}
				if tc.intervals != "" {
					var err error
					if o.Sources, err = sourceplan.Parse("", tc.intervals); err != nil {
						t.Fatal(err)
					}
					o.SourceTimes = &RedisSourceTimes{Client: o.Redis}
				}
				if !tc.pipelined {
					o.Redis = nil
				}
			})
			rdb := f.wm.Client
			a := reachable(t, f.sim)[0]
			raised := simulator.Alarm{Severity: 3, SequenceID: 5, Name: "disk_health", Type: "HW", Source: "System", Time: f.clock.Now().Add(-time.Hour)}
			if err := f.sim.SetFault(a.ID, simulator.Fault{FixedAlarms: true, Alarms: []simulator.Alarm{raised}}); err != nil {
				t.Fatal(err)
			}
			p := f.polls[a.ID]
			// First contact, which also opens the client's connections.
			if rep := f.h.Collect(t.Context(), p); rep.Outcome != OutcomeOK || rep.MinutesStored != 3 {
				t.Fatalf("first contact: %s, %d minutes, %v %v; want ok, 3", rep.Outcome, rep.MinutesStored, rep.Err, rep.SourceErrors)
			}
			f.clock.Add(time.Minute)
			p.Cycle += 60
			rep, steady := jobRoundTrips(t, f, p)
			if rep.Outcome != OutcomeOK || rep.MinutesStored != 1 {
				t.Fatalf("steady job: %s, %d minutes, %v %v; want ok, 1", rep.Outcome, rep.MinutesStored, rep.Err, rep.SourceErrors)
			}
			if tc.pipelined && steady != 2 {
				t.Errorf("Redis round trips of a steady job: %d, want 2", steady)
			}
			if !tc.pipelined && steady < 8 {
				t.Errorf("Redis round trips without pipelines: %d steady; want a round trip per read and write, at least 8", steady)
			}
			if tc.intervals != "" {
				// Collected every minute (disk=1m), recorded at the job's
				// start, the fixture clock's time.
				at, err := f.h.o.SourceTimes.Last(t.Context(), a.ID)
				if want := f.clock.Now(); err != nil || !at[SourceDisk].Equal(want) {
					t.Errorf("disk last collected %v, %v; want the steady job's start, %s", at[SourceDisk], err, want)
				}
			}
			// What the job's last pipeline wrote.
			newest, _ := f.sim.Window()
			if wm, ok, err := f.wm.Get(t.Context(), a.ID); err != nil || !ok || wm != newest {
				t.Errorf("watermark = %d, %v, %v; want %d", wm, ok, err, newest)
			}
			all, err := (&tasks.RedisStatusBoard{Client: rdb}).All(t.Context())
			if st := all[a.ID]; err != nil || st.Status != string(StatusOnline) || st.NewestMinute != newest {
				t.Errorf("published status = %+v, %v; want online with newest minute %d", st, err, newest)
			}
			cs, err := (&tasks.RedisCycles{Client: rdb}).Get(t.Context(), p.Cycle)
			if err != nil || cs.Collected != 1 || cs.Points != int64(rep.Points) || rep.Points == 0 {
				t.Errorf("cycle record = %+v, %v; want 1 collected, %d points", cs, err, rep.Points)
			}
			key := "ectelemetry:alarms:" + a.ID
			if n, ttl := rdb.HLen(t.Context(), key).Val(), rdb.TTL(t.Context(), key).Val(); n != 1 || ttl < DefaultAlarmMemoryTTL-time.Minute {
				t.Errorf("alarm memory: %d alarms, expiring in %s; want the one alarm, renewed to %s", n, ttl, DefaultAlarmMemoryTTL)
			}
			// The alarm clears: the memory changes, in a transaction of its
			// own, and the job writes the cleared event.
			if err := f.sim.SetFault(a.ID, simulator.Fault{FixedAlarms: true}); err != nil {
				t.Fatal(err)
			}
			f.clock.Add(time.Minute)
			p.Cycle += 60
			rep, cleared := jobRoundTrips(t, f, p)
			if tc.pipelined && cleared != 3 {
				t.Errorf("Redis round trips of the job that saw the alarm clear: %d, want 3", cleared)
			}
			if rep.Outcome != OutcomeOK || rdb.Exists(t.Context(), key).Val() != 0 {
				t.Errorf("after the clear: %s, alarm memory exists %d; want ok and none", rep.Outcome, rdb.Exists(t.Context(), key).Val())
			}
		})
	}
}

// failingAdvance is a Redis watermark store whose queued advance Redis
// refuses.
type failingAdvance struct{ *RedisWatermarks }

func (f failingAdvance) QueueAdvance(ctx context.Context, p redis.Pipeliner, applianceID string, _ int64) func() error {
	cmd := p.Do(ctx, "NOSUCHCOMMAND", applianceID)
	return func() error {
		if err := cmd.Err(); err != nil {
			return errors.New("advance watermark of " + applianceID + ": " + err.Error())
		}
		return nil
	}
}

// A watermark advance that fails in the job's last pipeline fails the
// minute statistics as one sent at once does: the points stay written,
// the watermark does not move, and the next job fetches the minutes again.
func TestFailedFinalAdvanceFailsMinuteStats(t *testing.T) {
	f := newFixtureWith(t, simulator.Config{Appliances: 3, Seed: 7}, func(_ *simulator.Simulator, o *Options) {
		o.Watermarks = failingAdvance{o.Watermarks.(*RedisWatermarks)}
	})
	a := reachable(t, f.sim)[0]
	rep := f.h.Collect(t.Context(), f.polls[a.ID])
	err := rep.SourceErrors[SourceMinuteStats]
	if rep.Outcome != OutcomePartial || len(rep.SourceErrors) != 1 || err == nil || !strings.Contains(err.Error(), a.ID) {
		t.Fatalf("Outcome %s, sources %v; want partial with minute_stats failed naming %s", rep.Outcome, rep.SourceErrors, a.ID)
	}
	if n := len(f.sink.minutePoints()); n == 0 {
		t.Error("no minute points written; the write comes before the advance")
	}
	if _, ok, _ := f.wm.Get(t.Context(), a.ID); ok {
		t.Error("watermark set although its advance failed")
	}
	f.h.o.Watermarks = f.wm
	f.clock.Add(time.Minute)
	if rep := f.h.Collect(t.Context(), f.polls[a.ID]); rep.Outcome != OutcomeOK || rep.MinutesStored != 3 {
		t.Errorf("next job: %s, %d minutes; want ok and the first contact's 3 again (%v)", rep.Outcome, rep.MinutesStored, rep.SourceErrors)
	}
}

// sinkThen runs then once, before the first write reaches the sink.
type sinkThen struct {
	Sink
	once sync.Once
	then func()
}

func (s *sinkThen) Write(ctx context.Context, pts []telemetry.Point) (int, error) {
	s.once.Do(s.then)
	return s.Sink.Write(ctx, pts)
}

// Redis going away while a job writes: its last pipeline fails, and each
// write in it says so as a write of its own would. The points are stored,
// the minute statistics are reported failed naming the appliance (their
// watermark did not move), and the job ends.
func TestRedisGoneBeforeTheJobsEnd(t *testing.T) {
	var rdb redis.UniversalClient
	f := newFixtureWith(t, simulator.Config{Appliances: 3, Seed: 7}, func(_ *simulator.Simulator, o *Options) {
		rdb = o.Redis
		o.Cycles = &tasks.RedisCycles{Client: o.Redis}
		o.Sink = &sinkThen{Sink: o.Sink, then: func() {
			// SHUTDOWN answers with the connection closing.
			_ = rdb.Do(context.Background(), "SHUTDOWN", "NOSAVE").Err()
		}}
	})
	var logs bytes.Buffer
	f.h.o.Logger = zerolog.New(&logs)
	a := reachable(t, f.sim)[0]
	rep := f.h.Collect(t.Context(), f.polls[a.ID])
	err := rep.SourceErrors[SourceMinuteStats]
	if rep.Outcome != OutcomePartial || err == nil || !strings.Contains(err.Error(), "advance watermark of "+a.ID) {
		t.Fatalf("Outcome %s, sources %v, err %v; want partial with the watermark's advance failed for %s", rep.Outcome, rep.SourceErrors, rep.Err, a.ID)
	}
	if len(f.sink.minutePoints()) == 0 || len(f.sink.byMeasurement(telemetry.MeasMemoryStats)) != 1 {
		t.Errorf("stored %d minute points and %d memory points; want the minutes and 1", len(f.sink.minutePoints()),
			len(f.sink.byMeasurement(telemetry.MeasMemoryStats)))
	}
	for _, want := range []string{"status not published for the fleet gauges", "appliance collected with failed sources"} {
		if line := grepLine(logs.String(), want); !strings.Contains(line, a.Hostname) {
			t.Errorf("no log line %q naming %s:\n%s", want, a.Hostname, logs.String())
		}
	}
}

// Each store's queued command does what its method does.
func TestStoresQueueWhatTheirMethodsDo(t *testing.T) {
	rdb := testenv.StartRedis(t).Client(t)
	ctx := t.Context()
	w := &RedisWatermarks{Client: rdb}
	am := &RedisAlarmMemory{Client: rdb, TTL: time.Hour}
	st := &RedisSourceTimes{Client: rdb}
	if err := am.Store(ctx, "7.NE", map[string]KnownAlarm{"seq:1": {Severity: "major", SequenceID: 1, Raised: 100}}); err != nil {
		t.Fatal(err)
	}
	rdb.Expire(ctx, "ectelemetry:alarms:7.NE", time.Minute)
	at := time.UnixMilli(1796000000123).UTC()
	if err := st.Collected(ctx, "7.NE", SourceDisk, at, time.Hour); err != nil {
		t.Fatal(err)
	}

	p := rdb.Pipeline()
	adv := w.QueueAdvance(ctx, p, "7.NE", 1796000040)
	back := w.QueueAdvance(ctx, p, "7.NE", 1796000000) // never moves back
	keep := am.QueueKeep(ctx, p, "7.NE")
	get := w.QueueGet(ctx, p, "7.NE")
	load := am.QueueLoad(ctx, p, "7.NE")
	last := st.QueueLast(ctx, p, "7.NE")
	none := w.QueueGet(ctx, p, "8.NE")
	if _, err := p.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		t.Fatal(err)
	}
	if adv() != nil || back() != nil || keep() != nil {
		t.Errorf("queued writes failed: %v, %v, %v", adv(), back(), keep())
	}
	if v, ok, err := get(); v != 1796000040 || !ok || err != nil {
		t.Errorf("queued watermark read = %d, %v, %v; want 1796000040", v, ok, err)
	}
	if _, ok, err := none(); ok || err != nil {
		t.Errorf("queued read of no watermark = %v, %v; want absent", ok, err)
	}
	if m, err := load(); err != nil || len(m) != 1 || m["seq:1"].Severity != "major" {
		t.Errorf("queued alarm load = %v, %v", m, err)
	}
	if ttl := rdb.TTL(ctx, "ectelemetry:alarms:7.NE").Val(); ttl <= 59*time.Minute {
		t.Errorf("alarm memory expires in %s after QueueKeep, want the hour of its TTL", ttl)
	}
	if m, err := last(); err != nil || !m[SourceDisk].Equal(at) {
		t.Errorf("queued source times = %v, %v; want disk at %s", m, err, at)
	}
	p = rdb.Pipeline()
	later := at.Add(15 * time.Minute)
	coll := st.QueueCollected(ctx, p, "7.NE", SourceSystemInfo, later, 2*time.Hour)
	if _, err := p.Exec(ctx); err != nil || coll() != nil {
		t.Fatalf("queued source time: %v, %v", err, coll())
	}
	if m, err := st.Last(ctx, "7.NE"); err != nil || !m[SourceSystemInfo].Equal(later) || !m[SourceDisk].Equal(at) {
		t.Errorf("source times after QueueCollected = %v, %v; want system_info at %s beside disk", m, err, later)
	}
	if ttl := rdb.PTTL(ctx, "ectelemetry:source-last:7.NE").Val(); ttl <= time.Hour {
		t.Errorf("source times expire in %s after QueueCollected, want its 2 h", ttl)
	}

	// A pipeline Redis could not take: each reader names the appliance.
	rdb.Close()
	p = rdb.Pipeline()
	get, load, adv = w.QueueGet(ctx, p, "7.NE"), am.QueueLoad(ctx, p, "7.NE"), w.QueueAdvance(ctx, p, "7.NE", 1)
	if _, err := p.Exec(ctx); err == nil {
		t.Fatal("pipeline on a closed client: no error")
	}
	_, _, gerr := get()
	_, lerr := load()
	for _, err := range []error{gerr, lerr, adv()} {
		if err == nil || !strings.Contains(err.Error(), "7.NE") {
			t.Errorf("reader error = %v, want one naming 7.NE", err)
		}
	}
}
