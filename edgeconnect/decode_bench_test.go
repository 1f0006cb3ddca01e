package edgeconnect

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
)

// workerRead is one JSON request the worker makes per job: how to make it
// and the parser its answer goes through.
type workerRead struct {
	name  string
	fetch func(context.Context, *Client) error
	parse func([]byte) error
}

func parseOnly[T any](parse func([]byte) (T, error)) func([]byte) error {
	return func(b []byte) error { _, err := parse(b); return err }
}

// workerReads lists the JSON reads of one worker job in the order the
// worker makes them (worker/handler.go: minute range, point-in-time sources,
// nine tunnel calls, interfaces, next hops, traffic classes).
func workerReads() []workerRead {
	reads := []workerRead{
		{"minuteRange", func(ctx context.Context, c *Client) error { _, err := c.MinuteRange(ctx); return err }, parseOnly(parseMinuteRange)},
		{"deployment", func(ctx context.Context, c *Client) error { _, err := c.Deployment(ctx); return err }, parseOnly(parseDeployment)},
		{"memory", func(ctx context.Context, c *Client) error { _, err := c.Memory(ctx); return err }, parseOnly(parseMemory)},
		{"cpustat", func(ctx context.Context, c *Client) error { _, err := c.CPUStat(ctx); return err }, parseOnly(parseCPUStat)},
		{"subnets", func(ctx context.Context, c *Client) error { _, err := c.Subnets(ctx); return err }, parseOnly(parseSubnets)},
		{"alarm", func(ctx context.Context, c *Client) error { _, err := c.Alarms(ctx); return err }, parseOnly(parseAlarms)},
	}
	for _, f := range []TunnelFamily{TunnelUnderlay, TunnelOverlay, TunnelThirdParty} {
		reads = append(reads,
			workerRead{"tunnelIDs/" + string(f), func(ctx context.Context, c *Client) error { _, err := c.TunnelIDs(ctx, f, ""); return err }, parseOnly(parseTunnelIDs)},
			workerRead{"tunnelIDsUp/" + string(f), func(ctx context.Context, c *Client) error { _, err := c.TunnelIDs(ctx, f, "Up"); return err }, parseOnly(parseTunnelIDs)},
			workerRead{"tunnelAliasesDown/" + string(f), func(ctx context.Context, c *Client) error {
				_, err := c.TunnelAliases(ctx, f, 1000, "", "Down")
				return err
			}, parseOnly(parseTunnelAliases)},
		)
	}
	return append(reads,
		workerRead{"diskUsage", func(ctx context.Context, c *Client) error { _, err := c.DiskUsage(ctx); return err }, parseOnly(parseDiskUsage)},
		workerRead{"systemInfo", func(ctx context.Context, c *Client) error { _, err := c.SystemInfo(ctx); return err }, parseOnly(parseSystemInfo)},
		workerRead{"realtimeStats", func(ctx context.Context, c *Client) error {
			_, err := c.RealtimeStats(ctx, "trafficType", "3", "")
			return err
		}, parseOnly(parseRealtimeStats)},
		workerRead{"networkInterfaces", func(ctx context.Context, c *Client) error { _, err := c.NetworkInterfaces(ctx); return err }, parseOnly(parseNetworkInterfaces)},
		workerRead{"nexthops", func(ctx context.Context, c *Client) error { _, err := c.NextHops(ctx); return err }, parseOnly(parseNextHops)},
		workerRead{"trafficclass", func(ctx context.Context, c *Client) error { _, err := c.TrafficClasses(ctx); return err }, parseOnly(parseTrafficClasses)},
	)
}

// recorder keeps the body of the last answer that passed through it.
type recorder struct {
	rt   http.RoundTripper
	mu   sync.Mutex
	last []byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.rt.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.last = b
	r.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

// recordedBodies is the answer of every worker read for one appliance.
type recordedBodies struct {
	kind   string // "branch" or "hub"
	bodies [][]byte
}

// simulatedBodies asks a simulated branch and hub (of a 1,000-appliance
// fleet, like the worker's profile) every worker read once and returns the
// bodies they answered, index-aligned with reads.
func simulatedBodies(tb testing.TB, reads []workerRead) []recordedBodies {
	tb.Helper()
	now := time.Date(2026, 3, 25, 14, 6, 30, 0, time.UTC)
	sim, err := simulator.New(simulator.Config{Appliances: 1000, Seed: 1, Now: func() time.Time { return now }})
	if err != nil {
		tb.Fatal(err)
	}
	if err := sim.Start(tb.Context()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { sim.Close() })
	var out []recordedBodies
	for _, hub := range []bool{false, true} {
		var a simulator.ApplianceInfo
		for _, x := range sim.Appliances() {
			if x.Hub == hub && x.Reachable {
				a = x
				break
			}
		}
		if a.ID == "" {
			tb.Fatalf("no reachable appliance with hub=%v", hub)
		}
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: sim.RootCAs()}}
		tb.Cleanup(tr.CloseIdleConnections)
		rec := &recorder{rt: tr}
		c, err := New(Options{Address: a.Address, User: simulator.DefaultECUser, Password: simulator.DefaultECPassword, Transport: rec})
		if err != nil {
			tb.Fatal(err)
		}
		rb := recordedBodies{kind: "branch"}
		if hub {
			rb.kind = "hub"
		}
		for _, r := range reads {
			if err := r.fetch(tb.Context(), c); err != nil {
				tb.Fatalf("%s %s: %v", a.ID, r.name, err)
			}
			rec.mu.Lock()
			rb.bodies = append(rb.bodies, rec.last)
			rec.mu.Unlock()
		}
		out = append(out, rb)
	}
	return out
}

// BenchmarkDecode measures decoding each JSON answer the worker reads per
// job, with the bodies a simulated branch and hub serve; "job" decodes all
// of one appliance's answers once, i.e. the decoding cost of one job.
func BenchmarkDecode(b *testing.B) {
	reads := workerReads()
	for _, rb := range simulatedBodies(b, reads) {
		for i, r := range reads {
			body := rb.bodies[i]
			b.Run(rb.kind+"/"+r.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(body)))
				for b.Loop() {
					if err := r.parse(body); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run(rb.kind+"/job", func(b *testing.B) {
			b.ReportAllocs()
			var n int
			for _, body := range rb.bodies {
				n += len(body)
			}
			b.SetBytes(int64(n))
			for b.Loop() {
				for i, r := range reads {
					if err := r.parse(rb.bodies[i]); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
