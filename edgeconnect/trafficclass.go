package edgeconnect

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/ec-telemetry/ec-telemetry/internal/apijson"
)

// TrafficClasses returns the traffic class names keyed by class id ("1" to
// "10"): GET /trafficclass, whose answer maps each id to {"name": ...}.
func (c *Client) TrafficClasses(ctx context.Context) (map[string]string, error) {
	return getJSON(ctx, c, call{method: http.MethodGet, path: "/trafficclass"}, parseTrafficClasses)
}

func parseTrafficClasses(b []byte) (map[string]string, error) {
	var w map[string]*struct {
		Name apijson.String `json:"name"`
	}
	if err := unmarshal(b, &w); err != nil {
		return nil, err
	}
	if w == nil {
		return nil, errors.New("answer is null, want an object")
	}
	out := make(map[string]string, len(w))
	for id, tc := range w {
		if tc == nil || !tc.Name.Valid {
			return nil, fmt.Errorf("traffic class %q has no name", id)
		}
		out[id] = tc.Name.Value
	}
	return out, nil
}
