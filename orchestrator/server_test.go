package orchestrator

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

const briefInfoJSON = `{"uptime": "12d 4h 3m", "release": "9.3.2.40201", "time": "2025-01-10 10:00:00 UTC", "timeZone": "UTC", "inContainerMode": false}`

func TestBriefInfo(t *testing.T) {
	f := setup(t)
	f.handleJSON("/gmsserver/briefInfo", briefInfoJSON)
	got, err := f.client.BriefInfo(t.Context())
	if err != nil {
		t.Fatalf("BriefInfo() error = %v", err)
	}
	want := BriefInfo{Release: "9.3.2.40201", Uptime: "12d 4h 3m", Time: "2025-01-10 10:00:00 UTC", TimeZone: "UTC"}
	if got != want {
		t.Errorf("BriefInfo() = %+v, want %+v", got, want)
	}
}

func TestBriefInfoVersion(t *testing.T) {
	tests := []struct {
		release      string
		major, minor int
		ok           bool
	}{
		{"9.3.2.40201", 9, 3, true},
		{"9.2", 9, 2, true},
		{" 10.0.1 ", 10, 0, true},
		{"9", 0, 0, false},
		{"", 0, 0, false},
		{"x.y.z", 0, 0, false},
		{"-1.2", 0, 0, false},
	}
	for _, tt := range tests {
		major, minor, ok := BriefInfo{Release: tt.release}.Version()
		if major != tt.major || minor != tt.minor || ok != tt.ok {
			t.Errorf("Version(%q) = %d, %d, %v, want %d, %d, %v", tt.release, major, minor, ok, tt.major, tt.minor, tt.ok)
		}
	}
}

func TestParseBriefInfoErrors(t *testing.T) {
	for _, in := range []string{`{}`, `{"release": null}`, `[]`, `{"release": {}}`} {
		if got, err := parseBriefInfo([]byte(in)); err == nil {
			t.Errorf("parseBriefInfo(%s) = %+v, want an error", in, got)
		}
	}
}

func TestHello(t *testing.T) {
	tests := []struct {
		name    string
		ct      string
		body    string
		want    string
		wantErr error
		decode  bool
	}{
		{name: "plain text", ct: "text/plain", body: "b2d0c6e1f3\n", want: "b2d0c6e1f3"},
		{name: "no content type", body: "hello", want: "hello"},
		{name: "json string", ct: "application/json", body: `"hi"`, want: `"hi"`},
		{name: "fault text", ct: "text/plain", body: "There was an internal server error.", wantErr: ErrServerFault},
		{name: "html", ct: "text/html; charset=utf-8", body: "<html>login</html>", decode: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			f.mux.HandleFunc("/gmsserver/hello", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, http.MethodGet)
				testQuery(t, r, source)
				f.checkAuth(r)
				if tt.ct != "" {
					w.Header().Set("Content-Type", tt.ct)
				} else {
					w.Header()["Content-Type"] = nil
				}
				fmt.Fprint(w, tt.body)
			})
			got, err := f.client.Hello(t.Context())
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Hello() = %q, %v, want %v", got, err, tt.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "orchestrator "+f.client.Host()+": get /gmsserver/hello: ") {
					t.Errorf("error %q does not name host and endpoint", err)
				}
			case tt.decode:
				var de *DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("Hello() = %q, %v, want *DecodeError", got, err)
				}
			default:
				if err != nil || got != tt.want {
					t.Fatalf("Hello() = %q, %v, want %q", got, err, tt.want)
				}
			}
		})
	}
}

func FuzzParseBriefInfo(f *testing.F) {
	f.Add([]byte(briefInfoJSON))
	f.Add([]byte(`{"release": 9.3}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		bi, err := parseBriefInfo(b)
		if err != nil {
			return
		}
		if major, minor, ok := bi.Version(); ok && (major < 0 || minor < 0) {
			t.Fatalf("Version(%q) = %d, %d", bi.Release, major, minor)
		}
	})
}
