package simulator

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"syscall"
)

// reservePort returns a TCP port on host that refuses connections and that
// nothing else can take while the returned closer is open: a socket bound
// to it that never listens. A port that was merely free and closed again
// could be bound later by another server (a worker's metrics endpoint on
// port 0, say), and the appliance meant to be unreachable would answer.
// host must be an IP literal; for a name it falls back to a port that was
// free (reserveFreePort).
func reservePort(host string) (int, io.Closer, error) {
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return reserveFreePort(host)
	}
	family, sa := syscall.AF_INET6, syscall.Sockaddr(&syscall.SockaddrInet6{Addr: ip.As16()})
	if ip4 := ip.Unmap(); ip4.Is4() {
		family, sa = syscall.AF_INET, &syscall.SockaddrInet4{Addr: ip4.As4()}
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, nil, fmt.Errorf("reserve a port on %s: %w", host, os.NewSyscallError("socket", err))
	}
	f := os.NewFile(uintptr(fd), "reserved port")
	if err := syscall.Bind(fd, sa); err != nil {
		f.Close()
		return 0, nil, fmt.Errorf("reserve a port on %s: %w", host, os.NewSyscallError("bind", err))
	}
	bound, err := syscall.Getsockname(fd)
	if err != nil {
		f.Close()
		return 0, nil, fmt.Errorf("reserve a port on %s: %w", host, os.NewSyscallError("getsockname", err))
	}
	switch a := bound.(type) {
	case *syscall.SockaddrInet4:
		return a.Port, f, nil
	case *syscall.SockaddrInet6:
		return a.Port, f, nil
	}
	f.Close()
	return 0, nil, fmt.Errorf("reserve a port on %s: unexpected socket address %T", host, bound)
}
