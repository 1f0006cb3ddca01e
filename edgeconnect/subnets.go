package edgeconnect

import (
	"context"
	"errors"
	"net/http"

	"github.com/ec-telemetry/ec-telemetry/internal/apijson"
)

// Subnets is the routing table of GET /subnets3/all.
type Subnets struct {
	Count   int64 // subnets.count: number of route entries; always set
	Max     int64 // subnets.max: table capacity; 0 when not sent
	Entries []Subnet
}

// Subnet is one route entry (subnets.entries[].state).
type Subnet struct {
	Version    int64 // 4 or 6
	Prefix     string
	NextHop    string
	Metric     int64
	Interface  string // ifName
	State      string // "UP" or "DOWN"
	Learned    bool
	Configured bool
	Local      bool
}

// VersionCounts counts the entries per IP version, as the demo's
// route_table_stats does; entries of other versions are not counted.
func (s Subnets) VersionCounts() (v4, v6 int) {
	for _, e := range s.Entries {
		switch e.Version {
		case 4:
			v4++
		case 6:
			v6++
		}
	}
	return v4, v6
}

// Subnets returns the routing table: GET /subnets3/all. subnets.count is
// required.
func (c *Client) Subnets(ctx context.Context) (Subnets, error) {
	return getJSON(ctx, c, call{method: http.MethodGet, path: "/subnets3/all"}, parseSubnets)
}

func parseSubnets(b []byte) (Subnets, error) {
	var w struct {
		Subnets *struct {
			Count   apijson.Int `json:"count"`
			Max     apijson.Int `json:"max"`
			Entries []struct {
				State struct {
					Version    apijson.Int    `json:"version"`
					Prefix     apijson.String `json:"prefix"`
					NextHop    apijson.String `json:"nextHop"`
					Metric     apijson.Int    `json:"metric"`
					IfName     apijson.String `json:"ifName"`
					State      apijson.String `json:"state"`
					Learned    apijson.Bool   `json:"learned"`
					Configured apijson.Bool   `json:"configured"`
					Local      apijson.Bool   `json:"local"`
				} `json:"state"`
			} `json:"entries"`
		} `json:"subnets"`
	}
	if err := unmarshal(b, &w); err != nil {
		return Subnets{}, err
	}
	if w.Subnets == nil {
		return Subnets{}, errors.New("missing or null keys: subnets")
	}
	var chk apijson.Checker
	s := Subnets{
		Count:   chk.Int("subnets.count", w.Subnets.Count),
		Max:     w.Subnets.Max.Value,
		Entries: make([]Subnet, 0, len(w.Subnets.Entries)),
	}
	if err := chk.Err(); err != nil {
		return Subnets{}, err
	}
	for _, e := range w.Subnets.Entries {
		st := e.State
		s.Entries = append(s.Entries, Subnet{
			Version:    st.Version.Value,
			Prefix:     st.Prefix.Value,
			NextHop:    st.NextHop.Value,
			Metric:     st.Metric.Value,
			Interface:  st.IfName.Value,
			State:      st.State.Value,
			Learned:    st.Learned.Value,
			Configured: st.Configured.Value,
			Local:      st.Local.Value,
		})
	}
	return s, nil
}
