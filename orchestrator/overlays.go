package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/ec-telemetry/ec-telemetry/internal/apijson"
)

// Overlay is one Business Intent Overlay. Only the keys the collector uses
// are decoded.
type Overlay struct {
	ID           int64  // overlay id as in tunnel_v2.txt column 3; always set
	Name         string // e.g. "RealTime"
	TrafficClass string // numbers are kept as text; "" when not sent
}

// Overlays returns the overlay configurations: GET /gms/overlays/config.
func (c *Client) Overlays(ctx context.Context) ([]Overlay, error) {
	return getJSON(ctx, c, call{method: http.MethodGet, path: "/gms/overlays/config"}, parseOverlays)
}

func parseOverlays(b []byte) ([]Overlay, error) {
	var w []*struct {
		ID           apijson.Int    `json:"id"`
		Name         apijson.String `json:"name"`
		TrafficClass apijson.String `json:"trafficClass"`
	}
	if err := unmarshal(b, &w); err != nil {
		return nil, err
	}
	if w == nil {
		return nil, errors.New("answer is null, want an array")
	}
	out := make([]Overlay, 0, len(w))
	for i, o := range w {
		if o == nil {
			return nil, fmt.Errorf("overlay %d is null", i)
		}
		var chk apijson.Checker
		ov := Overlay{ID: chk.Int("id", o.ID), Name: o.Name.Value, TrafficClass: o.TrafficClass.Value}
		if err := chk.Err(); err != nil {
			return nil, fmt.Errorf("overlay %d: %w", i, err)
		}
		out = append(out, ov)
	}
	return out, nil
}
