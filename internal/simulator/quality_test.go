package simulator

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"
)

func TestFaultTunnelQuality(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 23, 10, 0, 30, 0, time.UTC))
	s := startSim(t, Config{Appliances: 3, Seed: 1, Now: clk.Now})
	a := reachableAppliance(t, s)
	q := TunnelQuality{LossPct: 12.5, LatencyMs: 420, JitterMs: 33}
	if err := s.SetFault(a.ID, Fault{TunnelQuality: &q}); err != nil {
		t.Fatal(err)
	}
	m := time.Date(2026, 11, 23, 9, 58, 0, 0, time.UTC).Unix()
	e := ecLogin(t, s, a.Address)
	st, served := e.do(http.MethodGet, fmt.Sprintf("/stats/minuteStats/st2-%d.tgz", m), nil)
	if st != http.StatusOK {
		t.Fatalf("GET st2-%d.tgz = %d", m, st)
	}
	// The served archive is the model's minute with the overridden columns,
	// on the SD-WAN tunnel rows only.
	tgt, err := s.appliance(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	d := s.fleet.generate(tgt.def, m)
	before := make([]tunnelRow, len(d.tunnels))
	copy(before, d.tunnels)
	q.apply(d)
	sdwan := 0
	for i, r := range d.tunnels {
		want := before[i].v
		if k := r.t.kind; k == kindUnderlay || k == kindBonded {
			sdwan++
			want[colTunnelLossPctPost], want[colTunnelAvgLatency], want[colTunnelJitter] = 1250, 42000, 3300
		}
		if r.v != want {
			t.Errorf("tunnel %s (kind %d): columns differ from the model beyond loss, latency and jitter", r.t.id, r.t.kind)
		}
	}
	if sdwan == 0 {
		t.Fatal("the appliance has no SD-WAN tunnel: the test proves nothing")
	}
	want, err := buildArchive(d, ArchiveCompressionFast)
	if err != nil {
		t.Fatal(err)
	}
	if string(served) != string(want) {
		t.Error("served archive differs from the model's minute with the quality applied")
	}
	plain, err := s.Archive(a.ID, m)
	if err != nil {
		t.Fatal(err)
	}
	if string(plain) == string(served) {
		t.Error("the archive without the fault equals the faulted one")
	}
}

func TestFaultSystemBandwidth(t *testing.T) {
	s := startSim(t, Config{Appliances: 3, Seed: 1})
	a := reachableAppliance(t, s)
	e := ecLogin(t, s, a.Address)
	get := func() (maxBW, maxInBW, served int64) {
		t.Helper()
		var dep struct {
			SysConfig struct {
				MaxBW, MaxInBW int64
			}
		}
		e.getJSON("/deployment", &dep)
		sv, err := s.LastServed(a.ID)
		if err != nil || len(sv.Deployment) == 0 || sv.Deployment[0].InterfaceName != "SYSTEM" {
			t.Fatalf("LastServed(%s).Deployment = %v (%v), want the SYSTEM row first", a.ID, sv.Deployment, err)
		}
		return dep.SysConfig.MaxBW, dep.SysConfig.MaxInBW, sv.Deployment[0].Inbound
	}
	// The answer is cached per appliance: setting and clearing the fault
	// must change it both ways.
	own, _, _ := get()
	if own <= 0 || own == 1234 {
		t.Fatalf("appliance's own SYSTEM bandwidth = %d, want a positive value other than 1234", own)
	}
	for _, want := range []int64{1234, own} {
		f := Fault{}
		if want == 1234 {
			f.SystemBandwidthKbps = 1234
		}
		if err := s.SetFault(a.ID, f); err != nil {
			t.Fatal(err)
		}
		if bw, in, served := get(); bw != want || in != want || served != want {
			t.Errorf("deployment maxBW %d maxInBW %d served %d, want %d for all", bw, in, served, want)
		}
	}
}

func TestFaultQualityValidation(t *testing.T) {
	s := startSim(t, Config{Appliances: 2, Seed: 1})
	a := reachableAppliance(t, s)
	for _, f := range []Fault{
		{TunnelQuality: &TunnelQuality{LossPct: 101}},
		{TunnelQuality: &TunnelQuality{LatencyMs: -1}},
		{SystemBandwidthKbps: -5},
	} {
		if err := s.SetFault(a.ID, f); err == nil {
			t.Errorf("SetFault(%+v) accepted", f)
		}
	}
}

func TestTakeOffline(t *testing.T) {
	s := startSim(t, Config{Appliances: 3, Seed: 1})
	a := reachableAppliance(t, s)
	c, err := net.DialTimeout("tcp", a.Address, 2*time.Second)
	if err != nil {
		t.Fatalf("dial %s before: %v", a.Address, err)
	}
	c.Close()
	if err := s.TakeOffline(a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := net.DialTimeout("tcp", a.Address, 2*time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial %s after TakeOffline: %v, want connection refused", a.Address, err)
	}
	if err := s.TakeOffline("no-such-appliance"); err == nil {
		t.Error("TakeOffline of an unknown appliance succeeded")
	}
}
