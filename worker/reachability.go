package worker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	probing "github.com/prometheus-community/pro-bing"
)

// Reachability methods, as written to appliance_metadata.reachability_method.
const (
	MethodICMP = "icmp"
	MethodTCP  = "tcp"
	MethodNone = "none"
)

// Reachability is the outcome of a pre-login check.
type Reachability struct {
	Reachable bool
	Method    string        // how reachability was established (or last tried)
	RTT       time.Duration // round trip of the successful probe
	Err       error         // why it is unreachable; nil when reachable
	// Conn is the open connection of a successful TCP check, for the job's
	// login to use instead of connecting again (see ConnAdopter); nil for
	// the other methods. Whoever receives it closes it or hands it on.
	Conn net.Conn
}

// Reacher checks whether an appliance answers before the worker logs in.
// A check that connects to the HTTPS port returns that connection open in
// Reachability.Conn.
type Reacher interface {
	Check(ctx context.Context, address string) Reachability
}

// NewReacher returns the checker for a mode of internal/config: "icmp" tries
// ICMP echo (unprivileged datagram socket, then a raw socket), and when no
// reply comes or ICMP cannot be used at all, a TCP connect to the HTTPS port,
// so an appliance behind an ICMP-blocking firewall is still collected; "tcp"
// only connects; "none" reports every appliance reachable without a probe.
// timeout bounds one whole check.
func NewReacher(mode string, timeout time.Duration) (Reacher, error) {
	switch mode {
	case "icmp":
		return &icmpReacher{timeout: timeout, tcp: tcpReacher{timeout: timeout}}, nil
	case "tcp":
		return tcpReacher{timeout: timeout}, nil
	case "none":
		return noneReacher{}, nil
	}
	return nil, fmt.Errorf("unknown reachability mode %q", mode)
}

type noneReacher struct{}

func (noneReacher) Check(context.Context, string) Reachability {
	return Reachability{Reachable: true, Method: MethodNone}
}

type tcpReacher struct{ timeout time.Duration }

// Check connects to the appliance's HTTPS port. Only a completed handshake
// counts: a refused connection means the REST API cannot be used either.
// The connection is returned open, in Reachability.Conn.
func (r tcpReacher) Check(ctx context.Context, address string) Reachability {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	hostport := HostPort(address)
	start := time.Now()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", hostport)
	if err != nil {
		return Reachability{Method: MethodTCP, Err: fmt.Errorf("tcp connect to %s: %w", hostport, err)}
	}
	return Reachability{Reachable: true, Method: MethodTCP, RTT: time.Since(start), Conn: conn}
}

// icmpReacher remembers which ICMP socket kind works on this host, so the
// failing kinds are not retried for every appliance.
type icmpReacher struct {
	timeout time.Duration
	tcp     tcpReacher

	mu         sync.Mutex
	privileged bool // use raw sockets
	disabled   bool // no ICMP socket can be opened: TCP only
}

func (r *icmpReacher) Check(ctx context.Context, address string) Reachability {
	r.mu.Lock()
	privileged, disabled := r.privileged, r.disabled
	r.mu.Unlock()
	host := hostOnly(address)
	if !disabled {
		res, sockErr := r.ping(ctx, host, privileged)
		if sockErr != nil && !privileged {
			// Unprivileged ICMP needs net.ipv4.ping_group_range; try a raw socket.
			res, sockErr = r.ping(ctx, host, true)
			if sockErr == nil {
				r.mu.Lock()
				r.privileged = true
				r.mu.Unlock()
			}
		}
		if sockErr != nil {
			r.mu.Lock()
			r.disabled = true
			r.mu.Unlock()
		} else if res.Reachable {
			return res
		}
	}
	// No ICMP reply (or no ICMP at all): the HTTPS port decides.
	return r.tcp.Check(ctx, address)
}

// ping sends up to three echo requests 200 ms apart and stops at the first
// reply, within the timeout. sockErr is set when no ICMP socket could be
// opened at all.
func (r *icmpReacher) ping(ctx context.Context, host string, privileged bool) (res Reachability, sockErr error) {
	p, err := r.pinger(host, privileged)
	if err != nil {
		return Reachability{Method: MethodICMP, Err: fmt.Errorf("icmp %s: %w", host, err)}, nil
	}
	var stats *probing.Statistics
	p.OnFinish = func(s *probing.Statistics) { stats = s }
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	if err := p.RunWithContext(ctx); err != nil {
		if isSocketError(err) {
			return Reachability{}, err
		}
		return Reachability{Method: MethodICMP, Err: fmt.Errorf("icmp %s: %w", host, err)}, nil
	}
	if stats == nil || stats.PacketsRecv == 0 {
		return Reachability{Method: MethodICMP, Err: fmt.Errorf("icmp %s: no reply", host)}, nil
	}
	return Reachability{Reachable: true, Method: MethodICMP, RTT: stats.AvgRtt}, nil
}

// pinger returns a pinger of host that sends up to three echo requests
// and stops at the first reply: one reply answers the question, and
// waiting for three (400 ms and more) lengthened every job. Later requests
// are there for an echo lost on the way, as the first often is while a
// router resolves the address.
func (r *icmpReacher) pinger(host string, privileged bool) (*probing.Pinger, error) {
	p, err := probing.NewPinger(host)
	if err != nil {
		return nil, err
	}
	p.SetPrivileged(privileged)
	p.SetLogger(probing.NoopLogger{})
	p.Count = 3
	p.Interval = 200 * time.Millisecond
	p.Timeout = r.timeout
	p.OnRecv = func(*probing.Packet) { p.Stop() }
	return p, nil
}

// isSocketError reports whether err means no ICMP socket could be opened
// (permissions, no kernel support), as opposed to an unanswered echo.
func isSocketError(err error) bool {
	var sysErr *os.SyscallError
	var opErr *net.OpError
	return errors.As(err, &sysErr) || (errors.As(err, &opErr) && opErr.Op == "listen") ||
		errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES)
}

// HostPort returns address with the default HTTPS port 443 added when it has
// none. IPv6 literals are bracketed.
func HostPort(address string) string {
	if _, _, err := net.SplitHostPort(address); err == nil {
		return address
	}
	return net.JoinHostPort(trimBrackets(address), "443")
}

func hostOnly(address string) string {
	if h, _, err := net.SplitHostPort(address); err == nil {
		return h
	}
	return trimBrackets(address)
}

func trimBrackets(s string) string {
	if len(s) > 1 && s[0] == '[' && s[len(s)-1] == ']' {
		return s[1 : len(s)-1]
	}
	return s
}
