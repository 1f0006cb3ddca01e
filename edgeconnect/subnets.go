package edgeconnect

import (
	"context"
	"errors"
	"net/http"

	"github.com/ec-telemetry/ec-telemetry/internal/apijson"
)

// Subnets sums up the routing table of GET /subnets3/all: the table's
// count and capacity, and how many of the listed entries are IPv4 and IPv6
// routes (what the demo's route_table_stats writes). The entries themselves
// are not kept: a hub lists thousands, and decoding every prefix, next hop
// and flag of them cost more than all the other answers of a job together.
type Subnets struct {
	Count  int64 // subnets.count: number of route entries; always set
	Max    int64 // subnets.max: table capacity; 0 when not sent
	Listed int   // entries in subnets.entries
	V4, V6 int   // entries whose state.version is 4, 6; others are not counted
}

// VersionCounts returns the number of IPv4 and IPv6 entries, as the demo's
// route_table_stats counts them; entries of other versions are not counted.
func (s Subnets) VersionCounts() (v4, v6 int) { return s.V4, s.V6 }

// Subnets returns the routing table's totals: GET /subnets3/all.
// subnets.count is required. Of each entry only state.version is read.
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
					Version apijson.Int `json:"version"`
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
		Count:  chk.Int("subnets.count", w.Subnets.Count),
		Max:    w.Subnets.Max.Value,
		Listed: len(w.Subnets.Entries),
	}
	if err := chk.Err(); err != nil {
		return Subnets{}, err
	}
	for _, e := range w.Subnets.Entries {
		switch e.State.Version.Value {
		case 4:
			s.V4++
		case 6:
			s.V6++
		}
	}
	return s, nil
}
