package testenv

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Ports handed out by FreePort come from [lowPort, the kernel's ephemeral
// range). Outgoing connections take their local ports from the ephemeral
// range, so a port below it cannot be stolen by a client socket between the
// moment it is chosen and the moment the server binds it.
const lowPort = 10000

// FreePort returns a TCP port on 127.0.0.1 that nothing listens on at the
// time of the call.
func FreePort(t testing.TB) int {
	t.Helper()
	ports, err := freePorts(1)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return ports[0]
}

// ClosedPort returns "127.0.0.1:port" for a port that nothing listens on,
// for tests of connection-refused paths.
func ClosedPort(t testing.TB) string {
	t.Helper()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
}

// freePorts returns n distinct free ports. All of them are held open until
// the last one is chosen, so they differ from each other.
func freePorts(n int) ([]int, error) {
	high := ephemeralLow()
	var (
		ports     []int
		listeners []net.Listener
	)
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for len(ports) < n {
		l, err := listenFree(high)
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func listenFree(high int) (net.Listener, error) {
	if high > lowPort+1000 {
		for range 50 {
			p := lowPort + rand.IntN(high-lowPort)
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err == nil {
				return l, nil
			}
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("find a free port: %w", err)
	}
	return l, nil
}

// ephemeralLow returns the first port of the kernel's ephemeral range, or 0
// when it is unknown.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0
	}
	low, err := strconv.Atoi(f[0])
	if err != nil {
		return 0
	}
	return low
}

// errExited reports that a server process ended before it became ready,
// typically because its port was taken in the meantime.
var errExited = errors.New("server exited before it was ready")
