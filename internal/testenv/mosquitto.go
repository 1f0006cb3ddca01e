package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

const mosquittoHint = "run `make deps`, or `apt-get install mosquitto`, or point $EC_MOSQUITTO at a mosquitto binary"

// Mosquitto is an MQTT broker started for one test. It keeps nothing on
// disk between runs (persistence off).
type Mosquitto struct {
	// Addr is the broker's "127.0.0.1:port"; URL is "tcp://" + Addr.
	Addr, URL string

	t    testing.TB
	bin  string
	dir  string
	port int

	mu   sync.Mutex
	proc *process // nil while stopped
}

// MosquittoOptions configures StartMosquitto. With User set, the broker
// refuses anonymous clients and knows only User with Password.
type MosquittoOptions struct {
	User, Password string
}

// StartMosquitto starts a mosquitto broker on a free loopback port with a
// temporary configuration, waits until it accepts connections and stops it
// at t.Cleanup. It fails the test when mosquitto is missing, and skips it
// in -short mode.
func StartMosquitto(t testing.TB, o MosquittoOptions) *Mosquitto {
	t.Helper()
	if testing.Short() {
		t.Skip("testenv: -short: skipping a test that needs a real mosquitto")
	}
	m := &Mosquitto{t: t, bin: findBinary(t, "EC_MOSQUITTO", "mosquitto", mosquittoHint), dir: t.TempDir()}
	t.Cleanup(m.cleanup)
	auth := "allow_anonymous true\n"
	if o.User != "" {
		pw := filepath.Join(m.dir, "passwd")
		tool := findBinary(t, "EC_MOSQUITTO_PASSWD", "mosquitto_passwd", mosquittoHint)
		if out, err := exec.Command(tool, "-b", "-c", pw, o.User, o.Password).CombinedOutput(); err != nil {
			t.Fatalf("testenv: mosquitto_passwd: %v\n%s", err, out)
		}
		auth = "allow_anonymous false\npassword_file " + pw + "\n"
	}
	startOnFreePort(t, "mosquitto", m.logPath(), func(port int) error {
		m.port = port
		m.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(m.port))
		m.URL = "tcp://" + m.Addr
		conf := fmt.Sprintf("listener %d 127.0.0.1\n%spersistence false\nlog_dest stderr\n", m.port, auth)
		if u, uerr := user.Current(); uerr == nil {
			conf += "user " + u.Username + "\n" // no switch to the mosquitto user when run as root
		}
		if err := os.WriteFile(m.confPath(), []byte(conf), 0o600); err != nil {
			return fmt.Errorf("write mosquitto.conf: %w", err)
		}
		return m.start(t.Context())
	})
	return m
}

// Stop ends the broker and waits for it; connections are refused until
// Restart. Stop on a stopped broker does nothing.
func (m *Mosquitto) Stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.proc != nil {
		m.proc.stop()
		m.proc = nil
	}
}

// Restart stops the broker if it runs, then starts it again on the same
// port.
func (m *Mosquitto) Restart() {
	m.t.Helper()
	m.Stop()
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.start(context.Background()); err != nil {
		m.t.Fatalf("testenv: restart mosquitto on %s: %v\nlog %s:\n%s", m.Addr, err, m.logPath(), logTail(m.logPath()))
	}
}

func (m *Mosquitto) start(ctx context.Context) error {
	p, err := startReady(ctx, "mosquitto", m.logPath(), m.bin, []string{"-c", m.confPath()}, func(ctx context.Context) error {
		var d net.Dialer
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		c, err := d.DialContext(ctx, "tcp", m.Addr)
		if err == nil {
			c.Close()
		}
		return err
	})
	if err != nil {
		return err
	}
	m.proc = p
	return nil
}

func (m *Mosquitto) cleanup() {
	m.mu.Lock()
	defer m.mu.Unlock()
	cleanupServer(m.t, &m.proc, "mosquitto", m.Addr, m.logPath())
}

func (m *Mosquitto) confPath() string { return filepath.Join(m.dir, "mosquitto.conf") }
func (m *Mosquitto) logPath() string  { return filepath.Join(m.dir, "mosquitto.log") }

// findBinary finds a program through $env, PATH, /usr/sbin and /usr/bin,
// or fails the test with the hint.
func findBinary(t testing.TB, env, name, hint string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		if !isExecutable(p) {
			t.Fatalf("testenv: $%s=%s is not an executable file; %s", env, p, hint)
		}
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"} {
		if p := filepath.Join(dir, name); isExecutable(p) {
			return p
		}
	}
	t.Fatalf("testenv: %s not found ($%s, PATH, /usr/sbin, /usr/bin); %s", name, env, hint)
	return ""
}
