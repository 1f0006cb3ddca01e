package testenv

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// readyTimeout bounds how long a server may take to answer after start.
const readyTimeout = 60 * time.Second

// Redis is a redis-server started for one test. It keeps nothing on disk
// while it runs (no RDB save points, no AOF); Stop saves a snapshot so that
// Restart brings the same keys back.
type Redis struct {
	// Addr is the server's "127.0.0.1:port".
	Addr string

	t    testing.TB
	bin  string
	dir  string
	port int
	args []string // added to the command line, e.g. --replicaof

	mu   sync.Mutex
	proc *process // nil while stopped
}

// StartRedis starts a redis-server on a free loopback port with a temporary
// directory, waits until it answers PING and stops it at t.Cleanup. It fails
// the test when redis-server is missing, and skips it in -short mode.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	return startRedisArgs(t)
}

// startRedisArgs is StartRedis with extra command-line arguments.
func startRedisArgs(t testing.TB, args ...string) *Redis {
	t.Helper()
	if testing.Short() {
		t.Skip("testenv: -short: skipping a test that needs a real redis-server")
	}
	r := &Redis{t: t, bin: redisServerPath(t), dir: t.TempDir(), args: args}
	t.Cleanup(r.cleanup)
	startOnFreePort(t, "redis-server", r.logPath(), func(port int) error {
		r.port = port
		r.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port))
		return r.start(t.Context())
	})
	return r
}

// Client returns a go-redis client of r, closed when the test ends.
func (r *Redis) Client(t testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: r.Addr})
	t.Cleanup(func() { c.Close() })
	return c
}

// RedisInfoInt is the integer value of key in the INFO section of the
// Redis rdb talks to (e.g. "memory", "used_memory"); it fails the test
// when there is none.
func RedisInfoInt(t testing.TB, rdb redis.UniversalClient, section, key string) int64 {
	t.Helper()
	info, err := rdb.Info(t.Context(), section).Result()
	if err != nil {
		t.Fatalf("testenv: INFO %s: %v", section, err)
	}
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), key+":"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("testenv: INFO %s %s: %v", section, key, err)
			}
			return n
		}
	}
	t.Fatalf("testenv: INFO %s has no %s", section, key)
	return 0
}

// Stop shuts the server down with SHUTDOWN SAVE, so its keys are written to
// its directory, and waits for the process to exit. Connections are refused
// until Restart. Stop on a stopped server does nothing.
func (r *Redis) Stop() {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proc == nil {
		return
	}
	err := r.shutdownSave()
	r.proc.stop() // returns at once when SHUTDOWN has ended the process
	r.proc = nil
	if err != nil {
		r.t.Fatalf("testenv: stop redis-server %s: %v\nlog:\n%s", r.Addr, err, logTail(r.logPath()))
	}
}

// Kill ends the server with SIGKILL, as a crash or a lost machine would:
// nothing is saved, and what it had not yet sent to a replica is lost.
// Connections are refused until Restart. Kill on a stopped server does
// nothing.
func (r *Redis) Kill() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proc == nil {
		return
	}
	_ = signalGroup(r.proc.cmd.Process.Pid, syscall.SIGKILL)
	<-r.proc.done
	r.proc.cancel()
	r.proc = nil
}

// Restart stops the server if it runs, then starts it again on the same
// port with the same directory, so keys present at Stop are back.
func (r *Redis) Restart() {
	r.t.Helper()
	r.Stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.start(context.Background()); err != nil {
		r.t.Fatalf("testenv: restart redis-server on %s: %v\nlog %s:\n%s", r.Addr, err, r.logPath(), logTail(r.logPath()))
	}
}

// start runs redis-server and waits until it answers; r.mu is held or r is
// not shared yet.
func (r *Redis) start(ctx context.Context) error {
	args := []string{
		"--port", strconv.Itoa(r.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", r.dir,
		"--daemonize", "no",
		"--loglevel", "warning",
	}
	args = append(args, r.args...)
	p, err := startReady(ctx, "redis-server", r.logPath(), r.bin, args, func(ctx context.Context) error { return pingRedis(ctx, r.Addr) })
	if err != nil {
		return err
	}
	r.proc = p
	return nil
}

func (r *Redis) cleanup() {
	r.mu.Lock()
	defer r.mu.Unlock()
	cleanupServer(r.t, &r.proc, "redis-server", r.Addr, r.logPath())
}

func (r *Redis) logPath() string { return filepath.Join(r.dir, "redis.log") }

// shutdownSave sends SHUTDOWN SAVE; redis-server closes the connection
// without a reply when it has saved and is exiting.
func (r *Redis) shutdownSave() error {
	reply, err := redisCommand(context.Background(), r.Addr, "SHUTDOWN", "SAVE")
	if err == nil {
		return fmt.Errorf("SHUTDOWN SAVE replied %q", reply)
	}
	if errors.Is(err, errConnClosed) {
		return nil
	}
	return fmt.Errorf("SHUTDOWN SAVE: %w", err)
}

func pingRedis(ctx context.Context, addr string) error {
	reply, err := redisCommand(ctx, addr, "PING")
	if err != nil {
		return err
	}
	if reply != "+PONG" {
		return fmt.Errorf("PING replied %q", reply)
	}
	return nil
}

var errConnClosed = errors.New("connection closed without a reply")

// redisCommand sends one command in RESP and returns the first reply line.
func redisCommand(ctx context.Context, addr string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write([]byte(b.String())); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		if line == "" && isClosed(err) {
			return "", errConnClosed
		}
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// waitReady polls ready until it succeeds, the process exits, or
// readyTimeout passes.
func waitReady(ctx context.Context, p *process, ready func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if p.exited() {
			return errExited
		}
		if last = ready(ctx); last == nil {
			if p.exited() { // something else answered on our port
				return errExited
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready after %v: %w", readyTimeout, last)
		case <-p.done:
			return errExited
		case <-tick.C:
		}
	}
}

func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
}
