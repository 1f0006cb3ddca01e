//go:build !linux

package simulator

import "io"

// reservePort returns a port that was free on host (reserveFreePort): on
// this platform the port is not held, so a server started later may take
// it.
func reservePort(host string) (int, io.Closer, error) { return reserveFreePort(host) }
