package discovery

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
)

// quietLogger keeps asynq's own lines out of the test output.
type quietLogger struct{}

func (quietLogger) Debug(...any) {}
func (quietLogger) Info(...any)  {}
func (quietLogger) Warn(...any)  {}
func (quietLogger) Error(...any) {}
func (quietLogger) Fatal(...any) {}

// recorder is an asynq handler that records the payloads it ran and fails
// while fail is set (a failed task with MaxRetry(0) is archived).
type recorder struct {
	mu   sync.Mutex
	ran  []tasks.AppliancePoll
	fail bool
}

func (r *recorder) ProcessTask(_ context.Context, t *asynq.Task) error {
	p, err := tasks.ParseAppliancePollPayload(t.Payload())
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		return errors.New("appliance unreachable")
	}
	r.ran = append(r.ran, p)
	return nil
}

func (r *recorder) setFail(v bool) { r.mu.Lock(); r.fail = v; r.mu.Unlock() }

func (r *recorder) ranIDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, p := range r.ran {
		out = append(out, p.ApplianceID)
	}
	return out
}

func startServer(t *testing.T, rdb *redis.Client, h asynq.Handler) {
	t.Helper()
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: 4, Queues: map[string]int{"ectelem": 1},
		Logger: quietLogger{}, ShutdownTimeout: time.Second})
	if err := srv.Start(h); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
}

// eventually polls cond until it holds or 20 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) advance(d time.Duration) { e.nowLock.Lock(); e.now = e.now.Add(d); e.nowLock.Unlock() }

// After Redis lost its data (FLUSHALL between cycles), discovery says so
// once, the queue is known to asynq again (no "queue not found"), a task
// left archived is replaced, every appliance runs, and the payloads ask for
// a full backfill of appliances without a watermark.
func TestRedisComingBackEmptyLeavesNoApplianceStuck(t *testing.T) {
	e := newEnv(t, `{"appliance_subset": ["HUB-1", "BR-2"]}`)
	sum, err := e.d.Cycle(t.Context(), e.clock())
	if err != nil || sum.Queued != 2 {
		t.Fatalf("first cycle = %+v, %v; want 2 queued", sum, err)
	}
	for _, p := range e.queued(t) {
		if p.BackfillAll {
			t.Errorf("%s: BackfillAll set before Redis lost anything", p.Hostname)
		}
	}
	if err := e.rdb.FlushAll(t.Context()).Err(); err != nil {
		t.Fatal(err)
	}

	e.advance(time.Minute)
	if sum, err := e.d.Cycle(t.Context(), e.clock()); err != nil || sum.Queued != 2 {
		t.Fatalf("cycle after FLUSHALL = %+v, %v; want 2 queued", sum, err)
	}
	for _, p := range e.queued(t) {
		if !p.BackfillAll {
			t.Errorf("%s: BackfillAll not set after Redis came back empty", p.Hostname)
		}
	}
	// A worker runs them and they fail: archived.
	rec := &recorder{fail: true}
	startServer(t, e.rdb, rec)
	eventually(t, "both tasks archived", func() bool {
		a, _ := e.insp.ListArchivedTasks("ectelem")
		return len(a) == 2
	})

	rec.setFail(false)
	e.advance(time.Minute)
	sum, err = e.d.Cycle(t.Context(), e.clock())
	if err != nil || sum.Queued != 2 || sum.Requeued != 2 || sum.Errors != 0 || sum.StillQueued != 0 {
		t.Errorf("next cycle = %+v, %v; want both archived tasks replaced, no error", sum, err)
	}
	eventually(t, "both appliances collected", func() bool { return len(rec.ranIDs()) == 2 })
	logs := e.logs.String()
	if n := strings.Count(logs, "Redis came back empty"); n != 1 {
		t.Errorf("'Redis came back empty' logged %d times, want once:\n%s", n, logs)
	}
	if strings.Contains(logs, "queue not found") || strings.Contains(logs, "cannot queue appliance") {
		t.Errorf("enqueue errors logged:\n%s", logs)
	}
}

// The recovery does not depend on the marker: a TaskID conflict against a
// queue asynq no longer knows registers it again.
func TestConflictAfterRedisLostTheQueueIsHandled(t *testing.T) {
	e := newEnv(t, `{"appliance_subset": ["BR-2"]}`)
	e.d.o.Marker = nil
	q := e.d.o.Queue.(*AsynqQueue)
	p := tasks.AppliancePoll{ApplianceID: "2.NE", Hostname: "BR-2", Address: "127.0.0.1:1", DiscoveredAt: 1796000000, Cycle: 1796000000}
	if res, err := q.Enqueue(t.Context(), p, time.Now().Add(time.Minute)); res != ResultEnqueued {
		t.Fatalf("Enqueue = %s, %v", res, err)
	}
	e.rdb.FlushAll(t.Context())
	for i, want := range []string{ResultEnqueued, ResultStillQueued, ResultStillQueued} {
		res, err := q.Enqueue(t.Context(), p, time.Now().Add(time.Minute))
		if res != want || err != nil {
			t.Errorf("Enqueue %d after FLUSHALL = %s, %v; want %s", i, res, err, want)
		}
	}
}

// helperWorkerEnv makes the test binary a worker process that takes a task
// and never finishes it, to be SIGKILLed.
const helperWorkerEnv = "ECTELEMETRY_TEST_ASYNQ_WORKER"

func TestHelperWorkerProcess(t *testing.T) {
	addr := os.Getenv(helperWorkerEnv)
	if addr == "" {
		t.Skip("helper process for TestOrphanOfAKilledWorkerIsReplaced")
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: 1, Queues: map[string]int{"ectelem": 1}, Logger: quietLogger{}})
	srv.Run(asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
		<-ctx.Done() // stuck mid-task until killed
		return ctx.Err()
	}))
}

// A worker SIGKILLed mid-task leaves its task active; once its lease has
// expired the next cycle does not report the appliance as still queued but
// runs it again on a live worker. asynq's lease is 30 s, so this test takes
// that long.
func TestOrphanOfAKilledWorkerIsReplaced(t *testing.T) {
	t.Parallel()
	e := newEnv(t, `{"appliance_subset": ["BR-2"]}`)
	if sum, err := e.d.Cycle(t.Context(), e.clock()); err != nil || sum.Queued != 1 {
		t.Fatalf("first cycle = %+v, %v", sum, err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWorkerProcess$")
	cmd.Env = append(os.Environ(), helperWorkerEnv+"="+e.addr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	eventually(t, "the helper worker to take the task", func() bool {
		a, _ := e.insp.ListActiveTasks("ectelem")
		return len(a) == 1
	})
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	rec := &recorder{}
	startServer(t, e.rdb, rec) // the surviving worker
	deadline := time.Now().Add(75 * time.Second)
	for {
		a, err := e.insp.ListActiveTasks("ectelem")
		if err != nil {
			t.Fatal(err)
		}
		if len(a) == 1 && a[0].IsOrphaned {
			break // the lease expired; asynq's recoverer has not archived it yet
		}
		if len(a) == 0 || time.Now().After(deadline) {
			t.Fatalf("the killed worker's task did not become an orphan: %d active", len(a))
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.advance(time.Minute)
	sum, err := e.d.Cycle(t.Context(), e.clock())
	if err != nil || sum.Requeued != 1 || sum.StillQueued != 0 {
		t.Errorf("cycle after the kill = %+v, %v; want the appliance requeued, not still queued", sum, err)
	}
	eventually(t, "the appliance to run on the live worker", func() bool { return len(rec.ranIDs()) == 1 })
	// While the rerun is queued or running, the appliance is not queued a third time.
	e.advance(time.Minute)
	if sum, err := e.d.Cycle(t.Context(), e.clock()); err != nil || sum.Errors != 0 {
		t.Errorf("following cycle = %+v, %v", sum, err)
	}
}

// An enqueue looks at the appliance's rerun task before it takes the first
// TaskID: while a rerun is queued the appliance is not queued under the
// first TaskID too, and once the rerun is left behind (archived) the
// appliance goes in under the first TaskID, counted as requeued.
func TestRerunTaskKeepsItsApplianceOut(t *testing.T) {
	e := newEnv(t, `{"appliance_subset": ["BR-2"]}`)
	q := e.d.o.Queue.(*AsynqQueue)
	p := tasks.AppliancePoll{ApplianceID: "2.NE", Hostname: "BR-2", Address: "127.0.0.1:1", DiscoveredAt: 1796000000,
		Cycle: 1796000000, StartBy: time.Now().Add(time.Minute).Unix()}
	task, err := tasks.NewAppliancePollTask(p)
	if err != nil {
		t.Fatal(err)
	}
	client := asynq.NewClientFromRedisClient(e.rdb)
	if _, err := client.Enqueue(task, asynq.Queue("ectelem"), asynq.TaskID(tasks.RerunTaskID(p.Key()))); err != nil {
		t.Fatal(err)
	}
	if res, err := q.Enqueue(t.Context(), p, time.Now().Add(time.Minute)); res != ResultStillQueued || err != nil {
		t.Errorf("Enqueue with the rerun pending = %s, %v; want %s", res, err, ResultStillQueued)
	}
	if _, err := e.insp.GetTaskInfo("ectelem", tasks.TaskID(p.Key())); !errors.Is(err, asynq.ErrTaskNotFound) {
		t.Errorf("first TaskID: %v, want it free", err)
	}

	if err := e.insp.ArchiveTask("ectelem", tasks.RerunTaskID(p.Key())); err != nil {
		t.Fatal(err)
	}
	p.Cycle += 60
	if res, err := q.Enqueue(t.Context(), p, time.Now().Add(time.Minute)); res != ResultRequeued || err != nil {
		t.Errorf("Enqueue with the rerun archived = %s, %v; want %s", res, err, ResultRequeued)
	}
	if info, err := e.insp.GetTaskInfo("ectelem", tasks.TaskID(p.Key())); err != nil || info.State != asynq.TaskStatePending {
		t.Errorf("first TaskID: %+v, %v; want a pending task", info, err)
	}
}
