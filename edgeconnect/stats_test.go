package edgeconnect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/apijson"
	"github.com/google/go-cmp/cmp"
)

const realtimeJSON = `{"LRX_PKTS": [[1736503261000000, 410], [1736503262000000, 398], [1736503263000000, 405]],
 "LTX_PKTS": [[1736503261000000, 380], [1736503262000000, 377], [1736503263000000, 390]],
 "WRX_PKTS": [[1736503261000000, 385], [1736503262000000, 380], [1736503263000000, 392]],
 "WTX_PKTS": [[1736503261000000, 415], [1736503262000000, 401], [1736503263000000, 409]]}`

func TestMinuteRange(t *testing.T) {
	tests := []struct {
		name string
		body string
		want MinuteRange
	}{
		{name: "numbers", body: `{"newest": 1736503200, "oldest": 1736416860}`, want: MinuteRange{Newest: 1736503200, Oldest: 1736416860}},
		{name: "strings", body: `{"newest": "1736503200", "oldest": "1736416860"}`, want: MinuteRange{Newest: 1736503200, Oldest: 1736416860}},
		{name: "newest only as string", body: `{"newest": "1736503200"}`, want: MinuteRange{Newest: 1736503200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			f.handleJSON("/stats/minuteRange", source, tt.body)
			got, err := f.client.MinuteRange(t.Context())
			if err != nil {
				t.Fatalf("MinuteRange() error = %v", err)
			}
			if got != tt.want {
				t.Errorf("MinuteRange() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseMinuteRangeErrors(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string
	}{
		{in: `{}`, wantErr: "missing or null keys: newest"},
		{in: `{"newest": null}`, wantErr: "missing or null keys: newest"},
		{in: `{"newest": "soon"}`, wantErr: "newest"},
		{in: `{"newest": 1.5}`, wantErr: "newest"},
		{in: `false`, wantErr: "answer: got bool, want an object"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseMinuteRange([]byte(tt.in))
			checkParse(t, "parseMinuteRange", tt.in, got, err, MinuteRange{}, tt.wantErr)
		})
	}
}

// fakeArchive returns n bytes that start like gzip.
func fakeArchive(n int) []byte {
	b := bytes.Repeat([]byte{0xAB}, n)
	copy(b, gzipMagic)
	return b
}

func TestMinuteStatsStreams(t *testing.T) {
	data := fakeArchive(200_000)
	f := setup(t)
	f.mux.HandleFunc("/stats/minuteStats/st2-1736503200.tgz", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodGet)
		testQuery(t, r, source)
		testHeader(t, r, "Accept-Encoding", "identity")
		f.requireSession(r)
		w.Header().Set("Content-Type", "application/gzip")
		// Chunked, in pieces, so the client cannot rely on Content-Length.
		for off := 0; off < len(data); off += 32 << 10 {
			w.Write(data[off:min(off+32<<10, len(data))])
			w.(http.Flusher).Flush()
		}
	})
	rc, err := f.client.MinuteStats(t.Context(), 1736503200)
	if err != nil {
		t.Fatalf("MinuteStats() error = %v", err)
	}
	if s, ok := rc.(interface{ Size() int64 }); !ok || s.Size() != -1 {
		t.Errorf("a chunked archive must tell its size is unknown (-1)")
	}
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading the archive: %v", err)
	}
	if err := rc.Close(); err != nil {
		t.Errorf("Close() error = %v", err)
	}
	if err := rc.Close(); err != nil {
		t.Errorf("second Close() error = %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("archive = %d bytes, want the %d bytes served", len(got), len(data))
	}
	if _, err := rc.Read(make([]byte, 1)); err == nil {
		t.Error("Read after Close succeeded, want an error")
	}
}

func TestMinuteStatsLimit(t *testing.T) {
	const limit = 64 << 10
	tests := []struct {
		name    string
		size    int
		chunked bool
		wantErr bool
	}{
		{name: "exactly the limit", size: limit, chunked: true},
		{name: "one byte over, chunked", size: limit + 1, chunked: true, wantErr: true},
		{name: "far over, chunked", size: 4 * limit, chunked: true, wantErr: true},
		{name: "over with content length", size: limit + 1, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := fakeArchive(tt.size)
			f := setup(t, func(o *Options) { o.MaxArchiveBytes = limit })
			f.mux.HandleFunc("/stats/minuteStats/st2-60.tgz", func(w http.ResponseWriter, r *http.Request) {
				if !tt.chunked {
					w.Header().Set("Content-Length", fmt.Sprint(len(data)))
				}
				for off := 0; off < len(data); off += 16 << 10 {
					if _, err := w.Write(data[off:min(off+16<<10, len(data))]); err != nil {
						return
					}
					if tt.chunked {
						w.(http.Flusher).Flush()
					}
				}
			})
			rc, err := f.client.MinuteStats(t.Context(), 60)
			var n int64
			if err == nil {
				n, err = io.Copy(io.Discard, rc)
				rc.Close()
			}
			if !tt.wantErr {
				if err != nil || n != int64(tt.size) {
					t.Fatalf("MinuteStats() read %d bytes, error %v, want %d bytes", n, err, tt.size)
				}
				return
			}
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("MinuteStats() error = %v, want ErrTooLarge", err)
			}
			if n > limit {
				t.Errorf("read %d bytes before the error, want at most %d", n, limit)
			}
		})
	}
}

func TestMinuteStatsSize(t *testing.T) {
	data := fakeArchive(50_000)
	f := setup(t)
	f.mux.HandleFunc("/stats/minuteStats/st2-1736503200.tgz", func(w http.ResponseWriter, r *http.Request) {
		f.requireSession(r)
		w.Header().Set("Content-Type", "application/gzip")
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.Write(data)
	})
	rc, err := f.client.MinuteStats(t.Context(), 1736503200)
	if err != nil {
		t.Fatalf("MinuteStats() error = %v", err)
	}
	defer rc.Close()
	if s, ok := rc.(interface{ Size() int64 }); !ok || s.Size() != int64(len(data)) {
		t.Errorf("the archive must tell the announced size %d", len(data))
	}
}

func TestMinuteStatsNotFound(t *testing.T) {
	f := setup(t)
	f.mux.HandleFunc("/stats/minuteStats/", func(w http.ResponseWriter, r *http.Request) {
		http.NotFound(w, r)
	})
	rc, err := f.client.MinuteStats(t.Context(), 1736503140)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("MinuteStats() = %v, %v, want ErrNotFound", rc, err)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.Path != "/stats/minuteStats/st2-1736503140.tgz" {
		t.Errorf("MinuteStats() error = %v, want an *APIError naming the file", err)
	}
}

func TestMinuteStatsNotGzip(t *testing.T) {
	tests := []struct {
		name string
		ct   string
		body string
	}{
		{name: "html", ct: "text/html", body: "<html>proxy login</html>"},
		{name: "json", ct: "application/json", body: `{"error": "busy"}`},
		{name: "empty", ct: "application/gzip", body: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			f.mux.HandleFunc("/stats/minuteStats/st2-60.tgz", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.ct)
				fmt.Fprint(w, tt.body)
			})
			_, err := f.client.MinuteStats(t.Context(), 60)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("MinuteStats() error = %v (%T), want *DecodeError", err, err)
			}
		})
	}
}

func TestMinuteStatsReloginBeforeStreaming(t *testing.T) {
	f := setup(t)
	var calls atomic.Int32
	f.mux.HandleFunc("/stats/minuteStats/st2-60.tgz", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if f.logins.Load() < 2 {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		f.requireSession(r)
		w.Write(fakeArchive(100))
	})
	rc, err := f.client.MinuteStats(t.Context(), 60)
	if err != nil {
		t.Fatalf("MinuteStats() error = %v", err)
	}
	defer rc.Close()
	if b, err := io.ReadAll(rc); err != nil || len(b) != 100 {
		t.Errorf("archive = %d bytes, %v, want 100 bytes", len(b), err)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("archive requests = %d, want 2", got)
	}
}

func TestMinuteStatsTimeoutWhileReading(t *testing.T) {
	f := setup(t, func(o *Options) { o.ArchiveTimeout = 200 * time.Millisecond })
	block := blockingHandler(t, nil)
	f.mux.HandleFunc("/stats/minuteStats/st2-60.tgz", func(w http.ResponseWriter, r *http.Request) {
		w.Write(fakeArchive(10))
		w.(http.Flusher).Flush()
		block(w, r)
	})
	rc, err := f.client.MinuteStats(t.Context(), 60)
	if err != nil {
		t.Fatalf("MinuteStats() error = %v", err)
	}
	defer rc.Close()
	_, err = io.ReadAll(rc)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("reading a stalled archive: error = %v, want context.DeadlineExceeded", err)
	}
	if !strings.Contains(err.Error(), "get /stats/minuteStats/st2-60.tgz: read body") {
		t.Errorf("error %q does not name the file", err)
	}
}

func TestMinuteStatsIncompleteBodyIsATransportError(t *testing.T) {
	tests := []struct {
		name  string
		stall bool // stall after the first bytes instead of dropping the connection
		cause error
	}{
		{"cut before its Content-Length", false, io.ErrUnexpectedEOF},
		{"stalled past the archive timeout", true, context.DeadlineExceeded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t, func(o *Options) { o.ArchiveTimeout = 300 * time.Millisecond })
			block := blockingHandler(t, nil)
			f.mux.HandleFunc("/stats/minuteStats/st2-60.tgz", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "1000")
				w.Write(fakeArchive(600))
				w.(http.Flusher).Flush()
				if tc.stall {
					block(w, r)
					return
				}
				panic(http.ErrAbortHandler) // drop the connection
			})
			rc, err := f.client.MinuteStats(t.Context(), 60)
			if err != nil {
				t.Fatalf("MinuteStats() error = %v", err)
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			var te *TransportError
			if !errors.As(err, &te) || !errors.Is(err, tc.cause) {
				t.Fatalf("reading an incomplete archive: error = %v, want a *TransportError wrapping %v", err, tc.cause)
			}
			if len(got) != 600 {
				t.Errorf("read %d bytes before the error, want 600", len(got))
			}
			if !strings.Contains(err.Error(), f.srv.Listener.Addr().String()) || !strings.Contains(err.Error(), "st2-60.tgz") {
				t.Errorf("error %q does not name the appliance and the file", err)
			}
		})
	}
}

func TestMinuteStatsCloseAbortsBlockedRead(t *testing.T) {
	f := setup(t)
	block := blockingHandler(t, nil)
	f.mux.HandleFunc("/stats/minuteStats/st2-60.tgz", func(w http.ResponseWriter, r *http.Request) {
		w.Write(fakeArchive(10))
		w.(http.Flusher).Flush()
		block(w, r)
	})
	rc, err := f.client.MinuteStats(t.Context(), 60)
	if err != nil {
		t.Fatalf("MinuteStats() error = %v", err)
	}
	if _, err := io.ReadFull(rc, make([]byte, 10)); err != nil {
		t.Fatalf("reading the first bytes: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := rc.Read(make([]byte, 10))
		done <- err
	}()
	if err := rc.Close(); err != nil {
		t.Errorf("Close() error = %v", err)
	}
	if err := <-done; err == nil {
		t.Error("Read blocked during Close returned no error")
	}
}

func TestMinuteStatsBadMinute(t *testing.T) {
	f := setup(t)
	if _, err := f.client.MinuteStats(t.Context(), 0); err == nil {
		t.Error("MinuteStats(0) succeeded, want an error")
	}
}

func TestRealtimeStats(t *testing.T) {
	f := setup(t)
	f.mux.HandleFunc("/stats/realtimeStats", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodPost)
		testQuery(t, r, source)
		testHeader(t, r, "Content-Type", "application/json")
		f.requireSession(r)
		b, _ := io.ReadAll(r.Body)
		if want := `{"type":"trafficType","name":"3","filter":""}`; string(b) != want {
			t.Errorf("realtimeStats body = %s, want %s", b, want)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, realtimeJSON)
	})
	got, err := f.client.RealtimeStats(t.Context(), "trafficType", "3", "")
	if err != nil {
		t.Fatalf("RealtimeStats() error = %v", err)
	}
	us := func(v int64) time.Time { return time.UnixMicro(v).UTC() }
	series := func(a, b, c float64) []RealtimeSample {
		return []RealtimeSample{{us(1736503261000000), a}, {us(1736503262000000), b}, {us(1736503263000000), c}}
	}
	want := map[string][]RealtimeSample{
		"LRX_PKTS": series(410, 398, 405),
		"LTX_PKTS": series(380, 377, 390),
		"WRX_PKTS": series(385, 380, 392),
		"WTX_PKTS": series(415, 401, 409),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RealtimeStats() mismatch (-want +got):\n%s", diff)
	}
}

func TestParseRealtimeStats(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string][]RealtimeSample
		wantErr string
	}{
		{name: "strings", in: `{"X": [["1000000", "2.5"]]}`, want: map[string][]RealtimeSample{"X": {{time.UnixMicro(1000000).UTC(), 2.5}}}},
		{name: "empty series", in: `{"X": []}`, want: map[string][]RealtimeSample{"X": {}}},
		{name: "null", in: `null`, wantErr: "answer is null"},
		{name: "short pair", in: `{"X": [[1]]}`, wantErr: "key X.0: sample has 1 elements, want [timestamp, value]"},
		{name: "long pair", in: `{"X": [[1, 2], [1, 2, 3]]}`, wantErr: "key X.1: sample has 3 elements, want [timestamp, value]"},
		{name: "pair not an array", in: `{"X": [{"t": 1}]}`, wantErr: "key X.0: sample is not an array"},
		{name: "bad value", in: `{"X": [[1, "x"]]}`, wantErr: "key X.0: got non-numeric string, want a number"},
		{name: "truncated", in: `{"X": [[1, 2`, wantErr: "unexpected end of JSON input"},
		{name: "null value", in: `{"X": [[1, null]]}`, wantErr: "null timestamp or value"},
		{name: "not pairs", in: `{"X": 5}`, wantErr: "key X: got number, want an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRealtimeStats([]byte(tt.in))
			checkParse(t, "parseRealtimeStats", tt.in, got, err, tt.want, tt.wantErr)
		})
	}
}

// A pair also decodes through encoding/json, which does not stream.
func TestRealtimePairWithoutStream(t *testing.T) {
	var got []realtimePair
	if err := json.Unmarshal([]byte(`[[1000000, "2.5"], ["2000000", 3]]`), &got); err != nil {
		t.Fatal(err)
	}
	want := []realtimePair{{apijson.Int{Value: 1000000, Valid: true}, apijson.Float{Value: 2.5, Valid: true}},
		{apijson.Int{Value: 2000000, Valid: true}, apijson.Float{Value: 3, Valid: true}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("json.Unmarshal = %+v, want %+v", got, want)
	}
	for _, in := range []string{`[[1]]`, `[[1, 2] 3]`, `[[1, null]]`} {
		if err := json.Unmarshal([]byte(in), &got); err == nil {
			t.Errorf("json.Unmarshal(%s) = nil error, want one", in)
		}
	}
}

func FuzzParseMinuteRange(f *testing.F) {
	f.Add([]byte(`{"newest": 1736503200, "oldest": 1736416860}`))
	f.Add([]byte(`{"newest": "1736503200"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseMinuteRange(b)
		if err != nil {
			return
		}
		// A successful parse saw a newest value; re-encoding it must give it back.
		enc, _ := json.Marshal(map[string]int64{"newest": r.Newest, "oldest": r.Oldest})
		back, err := parseMinuteRange(enc)
		if err != nil || back != r {
			t.Fatalf("round trip of %+v = %+v, %v", r, back, err)
		}
	})
}

func FuzzParseRealtimeStats(f *testing.F) {
	f.Add([]byte(realtimeJSON))
	f.Add([]byte(`{"X": [["1", "2"]]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseRealtimeStats(b)
	})
}
