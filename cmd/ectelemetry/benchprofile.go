package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// profiler fetches pprof profiles from the bench's worker process, which
// serves them on addr (METRICS_PPROF=true), and a CPU profile of the same
// span from the database at store, when it serves one.
type profiler struct {
	dir, addr string
	cpu       chan error // the CPU profile's outcome, nil until started
	// store is the database's base URL ("" for none): InfluxDB 1.x and
	// VictoriaMetrics serve Go's /debug/pprof/ on their HTTP address.
	store    string
	storeCPU chan error // the database's CPU profile's outcome
}

// newProfiler creates dir and picks a free loopback port for the worker's
// METRICS_ADDR.
func newProfiler(dir string) (*profiler, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	return &profiler{dir: dir, addr: addr}, nil
}

// startCPU starts a CPU profile of d in the background, of the worker and,
// over the same span, of the database.
func (p *profiler) startCPU(ctx context.Context, d time.Duration) {
	p.cpu = make(chan error, 1)
	cpuPath := fmt.Sprintf("profile?seconds=%d", int(d.Seconds()))
	go func() {
		// Cycle 1 starts as the worker process does: wait until it listens.
		err := p.waitListening(ctx, 30*time.Second)
		if err == nil {
			if p.store != "" {
				p.storeCPU = make(chan error, 1)
				go func() {
					p.storeCPU <- p.fetch(ctx, "database", p.store, cpuPath, storeCPUFile, d+30*time.Second)
				}()
			}
			err = p.fetch(ctx, "worker", "http://"+p.addr, cpuPath, "cpu.pprof", d+30*time.Second)
		}
		if err == nil {
			// The heap while the cycle's jobs are in flight, not after.
			err = p.fetch(ctx, "worker", "http://"+p.addr, "heap", "heap.pprof", 30*time.Second)
		}
		if err == nil {
			// The goroutines in flight: their stacks count against the
			// heap goal too.
			err = p.fetch(ctx, "worker", "http://"+p.addr, "goroutine", "goroutine.pprof", 30*time.Second)
		}
		p.cpu <- err
	}()
}

// storeCPUFile is the database's CPU profile in the profile directory.
const storeCPUFile = "store-cpu.pprof"

// finish waits for the CPU profile and the heap profile taken right after
// it, fetches the allocation profile (and the heap, when no CPU profile
// ran) and returns the files written.
func (p *profiler) finish(ctx context.Context) ([]string, error) {
	var files []string
	if p.cpu != nil {
		if err := <-p.cpu; err != nil {
			return nil, err
		}
		files = append(files, filepath.Join(p.dir, "cpu.pprof"), filepath.Join(p.dir, "heap.pprof"), filepath.Join(p.dir, "goroutine.pprof"))
	}
	names := []string{"allocs"}
	if p.cpu == nil {
		names = []string{"heap", "allocs"}
	}
	for _, name := range names {
		if err := p.fetch(ctx, "worker", "http://"+p.addr, name, name+".pprof", 30*time.Second); err != nil {
			return nil, err
		}
		files = append(files, filepath.Join(p.dir, name+".pprof"))
	}
	return files, nil
}

// storeProfile waits for the database's CPU profile, after finish, and
// returns its file, or "" when none was asked for. An error says why the
// database gave none; it is no reason to fail the bench (an InfluxDB 1.x
// may run with pprof-enabled = false).
func (p *profiler) storeProfile() (string, error) {
	if p.storeCPU == nil {
		return "", nil
	}
	if err := <-p.storeCPU; err != nil {
		return "", err
	}
	return filepath.Join(p.dir, storeCPUFile), nil
}

// waitListening waits until something accepts connections on p.addr.
func (p *profiler) waitListening(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	for {
		c, err := d.DialContext(ctx, "tcp", p.addr)
		if err == nil {
			return c.Close()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("worker profile endpoint %s: %w", p.addr, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// fetch saves base's /debug/pprof/path as file in p.dir; who names the
// process in errors.
func (p *profiler) fetch(ctx context.Context, who, base, path, file string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/debug/pprof/"+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s profile %s: %w", who, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s profile %s: HTTP %d", who, path, resp.StatusCode)
	}
	f, err := os.Create(filepath.Join(p.dir, file))
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("%s profile %s: %w", who, path, err)
	}
	return f.Close()
}
