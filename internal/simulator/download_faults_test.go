package simulator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// getArchive downloads st2-<m>.tgz with ctx and returns the declared
// length, the bytes read and the read error.
func getArchive(ctx context.Context, t *testing.T, e *ecSession, m int64) (int64, []byte, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		fmt.Sprintf("%s/stats/minuteStats/st2-%d.tgz?source=menu_rest_apis_id", e.base, m), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-XSRF-TOKEN", e.csrf)
	resp, err := e.c.Do(req)
	if err != nil {
		t.Fatalf("GET st2-%d.tgz: %v", m, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET st2-%d.tgz = %d, want 200", m, resp.StatusCode)
	}
	b, err := io.ReadAll(resp.Body)
	return resp.ContentLength, b, err
}

// archiveFaultSetup starts a simulator, logs in to a reachable appliance
// and returns the newest archive as the simulator builds it.
func archiveFaultSetup(t *testing.T) (*Simulator, ApplianceInfo, *ecSession, []byte) {
	t.Helper()
	s := startSim(t, Config{Appliances: 2, Seed: 1})
	a := reachableAppliance(t, s)
	e := ecLogin(t, s, a.Address)
	want, err := s.Archive(a.ID, testNewest)
	if err != nil {
		t.Fatal(err)
	}
	return s, a, e, want
}

func TestFaultTruncateArchive(t *testing.T) {
	s, a, e, want := archiveFaultSetup(t)
	if err := s.SetFault(a.ID, Fault{TruncateArchive: 0.6}); err != nil {
		t.Fatal(err)
	}
	n, got, err := getArchive(t.Context(), t, e, testNewest)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("read truncated archive: err = %v, want unexpected EOF", err)
	}
	if n != int64(len(want)) {
		t.Errorf("Content-Length = %d, want the whole archive's %d", n, len(want))
	}
	if cut := int(float64(len(want)) * 0.6); !bytes.Equal(got, want[:cut]) {
		t.Errorf("received %d bytes, want the archive's first %d", len(got), cut)
	}

	if err := s.SetFault(a.ID, Fault{}); err != nil {
		t.Fatal(err)
	}
	if _, got, err := getArchive(t.Context(), t, e, testNewest); err != nil || !bytes.Equal(got, want) {
		t.Errorf("after clearing the fault: %d bytes, err %v; want the whole archive (%d bytes)", len(got), err, len(want))
	}
}

func TestFaultStallArchive(t *testing.T) {
	s, a, e, want := archiveFaultSetup(t)

	// A stall shorter than the client's patience: the archive arrives whole.
	if err := s.SetFault(a.ID, Fault{StallArchive: 50 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if _, got, err := getArchive(t.Context(), t, e, testNewest); err != nil || !bytes.Equal(got, want) {
		t.Errorf("short stall: %d bytes, err %v; want the whole archive (%d bytes)", len(got), err, len(want))
	}

	// A long stall: the client gives up after the first half.
	if err := s.SetFault(a.ID, Fault{StallArchive: time.Hour}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	n, got, err := getArchive(ctx, t, e, testNewest)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("read stalled archive: err = %v, want the client's deadline", err)
	}
	if n != int64(len(want)) || !bytes.Equal(got, want[:len(want)/2]) {
		t.Errorf("stalled download: Content-Length %d, %d bytes; want %d and the first half", n, len(got), len(want))
	}
}

func TestFaultArchiveKnobsValidation(t *testing.T) {
	tests := []struct {
		name  string
		fault Fault
		want  string
	}{
		{"truncate negative", Fault{TruncateArchive: -0.1}, "archive truncation"},
		{"truncate whole", Fault{TruncateArchive: 1}, "archive truncation"},
		{"stall negative", Fault{StallArchive: -time.Second}, "archive stall"},
	}
	for _, tc := range tests {
		_, err := New(Config{Appliances: 1, Faults: Faults{Appliances: tc.fault}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: New() = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}
