package orchestrator

import (
	"context"
	"fmt"
	"net/http"

	"github.com/ec-telemetry/ec-telemetry/internal/apijson"
)

// InterfaceLabels holds the WAN and LAN interface labels keyed by label id
// (a string such as "1"). The maps are kept apart: an id may exist on both
// sides.
type InterfaceLabels struct {
	WAN map[string]InterfaceLabel
	LAN map[string]InterfaceLabel
}

// InterfaceLabel is one interface label.
type InterfaceLabel struct {
	Name     string // e.g. "MPLS1", "INET1", "Data"
	Topology int64  // 0 full mesh allowed, 2 hub and spoke only
	Active   bool
}

// InterfaceLabels returns every interface label: GET /gms/interfaceLabels.
// A missing side is an empty map; a label without a name is an error.
func (c *Client) InterfaceLabels(ctx context.Context) (InterfaceLabels, error) {
	return getJSON(ctx, c, call{method: http.MethodGet, path: "/gms/interfaceLabels"}, parseInterfaceLabels)
}

type labelWire struct {
	Name     apijson.String `json:"name"`
	Topology apijson.Int    `json:"topology"`
	Active   apijson.Bool   `json:"active"`
}

func parseInterfaceLabels(b []byte) (InterfaceLabels, error) {
	var w *struct {
		WAN map[string]*labelWire `json:"wan"`
		LAN map[string]*labelWire `json:"lan"`
	}
	if err := unmarshal(b, &w); err != nil {
		return InterfaceLabels{}, err
	}
	if w == nil {
		return InterfaceLabels{}, fmt.Errorf("answer is null, want an object")
	}
	wan, err := labelMap("wan", w.WAN)
	if err != nil {
		return InterfaceLabels{}, err
	}
	lan, err := labelMap("lan", w.LAN)
	if err != nil {
		return InterfaceLabels{}, err
	}
	return InterfaceLabels{WAN: wan, LAN: lan}, nil
}

func labelMap(side string, in map[string]*labelWire) (map[string]InterfaceLabel, error) {
	out := make(map[string]InterfaceLabel, len(in))
	for id, l := range in {
		if l == nil || !l.Name.Valid {
			return nil, fmt.Errorf("%s label %q has no name", side, id)
		}
		out[id] = InterfaceLabel{Name: l.Name.Value, Topology: l.Topology.Value, Active: l.Active.Value}
	}
	return out, nil
}
