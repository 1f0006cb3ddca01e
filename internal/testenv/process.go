package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// stopGrace is how long a server gets to exit after SIGTERM before it is
// killed.
const stopGrace = 10 * time.Second

// process is one running server.
type process struct {
	name    string
	logPath string
	cmd     *exec.Cmd
	cancel  context.CancelFunc
	done    chan struct{} // closed when the process has been waited for
}

// startProcess starts bin with args in its own process group, with stdout
// and stderr appended to logPath. Environment variables whose names start
// with one of the scrub prefixes are removed from the child's environment.
func startProcess(name, logPath, bin string, args []string, scrub ...string) (*process, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s log: %w", name, err)
	}
	defer logf.Close() // the child holds its own descriptor

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.Env = scrubEnv(os.Environ(), scrub)
	cmd.SysProcAttr = sysProcAttr()
	cmd.Cancel = func() error {
		return signalGroup(cmd.Process.Pid, syscall.SIGTERM)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, logPath: logPath, cmd: cmd, cancel: cancel, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait() // the exit status of a stopped server carries no information
		close(p.done)
	}()
	return p, nil
}

// startReady starts a server with startProcess and waits until ready
// succeeds; the process is stopped when it does not.
func startReady(ctx context.Context, name, logPath, bin string, args []string, ready func(context.Context) error) (*process, error) {
	p, err := startProcess(name, logPath, bin, args)
	if err != nil {
		return nil, err
	}
	if err := waitReady(ctx, p, ready); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// startOnFreePort calls start with a free loopback port until the server
// stays up, at most three times (a port taken meanwhile makes the server
// exit), and fails the test when it never does.
func startOnFreePort(t testing.TB, name, logPath string, start func(port int) error) {
	t.Helper()
	var err error
	for range 3 {
		if err = start(FreePort(t)); !errors.Is(err, errExited) {
			break
		}
	}
	if err != nil {
		t.Fatalf("testenv: start %s: %v\nlog %s:\n%s", name, err, logPath, logTail(logPath))
	}
}

// cleanupServer stops *p when it runs and, when the test failed, logs the
// tail of the server's log. The caller holds the server's lock.
func cleanupServer(t testing.TB, p **process, name, addr, logPath string) {
	if *p != nil {
		(*p).stop()
		*p = nil
	}
	if t.Failed() {
		t.Logf("testenv: %s %s log (%s):\n%s", name, addr, logPath, logTail(logPath))
	}
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group, waits up to stopGrace, then
// sends SIGKILL and waits for the process to be reaped.
func (p *process) stop() {
	p.cancel() // runs cmd.Cancel: SIGTERM to the group
	timer := time.NewTimer(stopGrace)
	defer timer.Stop()
	select {
	case <-p.done:
		return
	case <-timer.C:
	}
	_ = signalGroup(p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

func signalGroup(pid int, sig syscall.Signal) error {
	err := syscall.Kill(-pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}

func scrubEnv(env, prefixes []string) []string {
	out := env[:0:0]
outer:
	for _, kv := range env {
		for _, p := range prefixes {
			if strings.HasPrefix(kv, p) {
				continue outer
			}
		}
		out = append(out, kv)
	}
	return out
}

// logTail returns the last lines of the log file at path, for failure
// messages.
func logTail(path string) string {
	const maxLines, maxBytes = 40, 8 << 10
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	if len(b) > maxBytes {
		b = b[len(b)-maxBytes:]
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	if len(lines) == 1 && len(lines[0]) == 0 {
		return "(log is empty)"
	}
	return string(bytes.Join(lines, []byte("\n")))
}
