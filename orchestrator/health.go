package orchestrator

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/apijson"
)

// Ping is the answer of GET /gmsserver/ping: the Orchestrator's own health.
type Ping struct {
	Hostname string
	// DBHealth is the link between the Orchestrator process and its
	// database; DBHealthKnown is false when the key was not sent.
	DBHealth      bool
	DBHealthKnown bool
	Message       string // "I am alive!"
	Version       string // e.g. "9.3.2.40201"
	Uptime        string // e.g. "9d 2h 52m 39s"
	Time          time.Time
}

// Ping returns the Orchestrator's health: GET /gmsserver/ping (Orchestrator
// 9.x). A 200 answer means the web service is up. The host name key is
// read as hostname or hostName, the database flag as dbHealth or dbHeatlh
// (both spellings appear in the vendor's documentation).
func (c *Client) Ping(ctx context.Context) (Ping, error) {
	return getJSON(ctx, c, call{method: http.MethodGet, path: "/gmsserver/ping"}, parsePing)
}

func parsePing(b []byte) (Ping, error) {
	var w struct {
		Hostname  apijson.String `json:"hostname"`
		HostName  apijson.String `json:"hostName"`
		DBHealth  apijson.Bool   `json:"dbHealth"`
		DBHeatlh  apijson.Bool   `json:"dbHeatlh"`
		Message   apijson.String `json:"message"`
		Version   apijson.String `json:"version"`
		Uptime    apijson.String `json:"uptime"`
		TimeMilli apijson.Int    `json:"time"`
	}
	if err := unmarshal(b, &w); err != nil {
		return Ping{}, err
	}
	p := Ping{Hostname: w.Hostname.Value, Message: w.Message.Value, Version: w.Version.Value, Uptime: w.Uptime.Value}
	if !w.Hostname.Valid {
		p.Hostname = w.HostName.Value
	}
	db := w.DBHealth
	if !db.Valid {
		db = w.DBHeatlh
	}
	p.DBHealth, p.DBHealthKnown = db.Value, db.Valid
	if w.TimeMilli.Valid && w.TimeMilli.Value > 0 {
		p.Time = time.UnixMilli(w.TimeMilli.Value).UTC()
	}
	return p, nil
}

// ParseUptime reads the Orchestrator's uptime text, such as
// "9d 2h 52m 39s" or "12d 4h 3m": whitespace-separated numbers with the
// units d, h, m and s, each at most once. ok is false for anything else.
func ParseUptime(s string) (d time.Duration, ok bool) {
	units := map[byte]time.Duration{'d': 24 * time.Hour, 'h': time.Hour, 'm': time.Minute, 's': time.Second}
	seen := map[byte]bool{}
	parts := strings.Fields(s)
	if len(parts) == 0 {
		return 0, false
	}
	for _, p := range parts {
		if len(p) < 2 {
			return 0, false
		}
		u := p[len(p)-1]
		mult, known := units[u]
		if !known || seen[u] {
			return 0, false
		}
		seen[u] = true
		n, err := strconv.ParseInt(p[:len(p)-1], 10, 64)
		if err != nil || n < 0 || n > 1<<20 {
			return 0, false
		}
		d += time.Duration(n) * mult
	}
	return d, true
}
