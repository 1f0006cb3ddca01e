package orchestrator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"

	"github.com/ec-telemetry/ec-telemetry/internal/apijson"
)

// BGPVRF is the BGP state of one routing segment (VRF) of an appliance.
type BGPVRF struct {
	VRF string // segment id as sent ("0" is the default segment)
	// ProcessState is summary.bgp_state_str, the routing process's state
	// ("Active"), not a peer state; ProcessStateCode is summary.bgp_state.
	ProcessState     string
	ProcessStateCode *int64
	Neighbors        []BGPNeighbor // sorted by peer address
}

// BGPNeighbor is one entry of neighbor.neighborState. Optional numbers are
// nil when not sent.
type BGPNeighbor struct {
	PeerIP    string // peer_ip; always set
	ASN       *int64 // asn
	State     string // peer_state_str, e.g. "Established"
	StateCode *int64 // peer_state (its mapping is not documented)
	// TimeEstablished is time_established as sent: its unit (seconds or
	// milliseconds) is not documented.
	TimeEstablished  *int64
	PrefixesReceived *int64 // rcvd_pfxs
	PrefixesSent     *int64 // sent_pfxs
}

// Established reports whether the peer's state text is "Established".
func (n BGPNeighbor) Established() bool { return n.State == "Established" }

// BGPStateAllVRFs returns the BGP neighbours of every segment of an
// appliance: GET /bgp/state/allVrfs?nePk= (9.3+) or
// GET /bgp/state/allVrfs/{nePk} (before 9.3). The read exists only on the
// Orchestrator. Its answer is decoded in either shape seen for BGP state:
// one state object ({summary, neighbor}, taken as segment "0"), or an object
// keyed by segment id whose values are state objects. neighborState may be
// an object keyed "0", "1", ... or an array.
func (c *Client) BGPStateAllVRFs(ctx context.Context, nePk string, form PathForm) ([]BGPVRF, error) {
	cl := call{method: http.MethodGet, path: "/bgp/state/allVrfs"}
	if form == FormPath {
		cl.path += "/" + url.PathEscape(nePk)
	} else {
		cl.query = "nePk=" + url.QueryEscape(nePk)
	}
	return getJSON(ctx, c, cl, parseBGPStateAllVRFs)
}

type bgpStateWire struct {
	Summary *struct {
		BGPState    apijson.Int    `json:"bgp_state"`
		BGPStateStr apijson.String `json:"bgp_state_str"`
	} `json:"summary"`
	Neighbor *struct {
		NeighborState json.RawMessage `json:"neighborState"`
	} `json:"neighbor"`
}

type bgpNeighborWire struct {
	PeerIP          apijson.String `json:"peer_ip"`
	ASN             apijson.Int    `json:"asn"`
	PeerState       apijson.Int    `json:"peer_state"`
	PeerStateStr    apijson.String `json:"peer_state_str"`
	TimeEstablished apijson.Int    `json:"time_established"`
	RcvdPfxs        apijson.Int    `json:"rcvd_pfxs"`
	SentPfxs        apijson.Int    `json:"sent_pfxs"`
}

func parseBGPStateAllVRFs(b []byte) ([]BGPVRF, error) {
	var top map[string]json.RawMessage
	if err := unmarshal(b, &top); err != nil {
		return nil, err
	}
	if top == nil {
		return nil, errors.New("answer is null, want an object")
	}
	_, hasSummary := top["summary"]
	_, hasNeighbor := top["neighbor"]
	if hasSummary || hasNeighbor {
		v, err := parseBGPState("0", b)
		if err != nil {
			return nil, err
		}
		return []BGPVRF{v}, nil
	}
	ids := make([]string, 0, len(top))
	for id := range top {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return lessNumeric(ids[i], ids[j]) })
	out := make([]BGPVRF, 0, len(ids))
	for _, id := range ids {
		v, err := parseBGPState(id, top[id])
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// lessNumeric orders segment ids as numbers when both are, else as text.
func lessNumeric(a, b string) bool {
	x, err1 := strconv.ParseInt(a, 10, 64)
	y, err2 := strconv.ParseInt(b, 10, 64)
	if err1 == nil && err2 == nil {
		return x < y
	}
	return a < b
}

func parseBGPState(vrf string, b []byte) (BGPVRF, error) {
	var w *bgpStateWire
	if err := unmarshal(b, &w); err != nil {
		return BGPVRF{}, fmt.Errorf("segment %q: %w", vrf, err)
	}
	if w == nil {
		return BGPVRF{}, fmt.Errorf("segment %q: state is null", vrf)
	}
	v := BGPVRF{VRF: vrf, Neighbors: []BGPNeighbor{}}
	if w.Summary != nil {
		v.ProcessState = w.Summary.BGPStateStr.Value
		v.ProcessStateCode = optInt(w.Summary.BGPState)
	}
	if w.Neighbor == nil {
		return v, nil
	}
	entries, err := neighborEntries(w.Neighbor.NeighborState)
	if err != nil {
		return BGPVRF{}, fmt.Errorf("segment %q: neighborState: %w", vrf, err)
	}
	for i, e := range entries {
		if e == nil || e.PeerIP.Value == "" {
			return BGPVRF{}, fmt.Errorf("segment %q: neighborState entry %d: missing peer_ip", vrf, i)
		}
		v.Neighbors = append(v.Neighbors, BGPNeighbor{
			PeerIP: e.PeerIP.Value, ASN: optInt(e.ASN), State: e.PeerStateStr.Value, StateCode: optInt(e.PeerState),
			TimeEstablished: optInt(e.TimeEstablished), PrefixesReceived: optInt(e.RcvdPfxs), PrefixesSent: optInt(e.SentPfxs),
		})
	}
	sort.SliceStable(v.Neighbors, func(i, j int) bool { return v.Neighbors[i].PeerIP < v.Neighbors[j].PeerIP })
	return v, nil
}

// neighborEntries decodes neighborState as an array or as an object keyed
// by index ("0", "1", ...), in index order.
func neighborEntries(raw json.RawMessage) ([]*bgpNeighborWire, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return nil, nil
	}
	if t[0] == '[' {
		var list []*bgpNeighborWire
		if err := unmarshal(t, &list); err != nil {
			return nil, err
		}
		return list, nil
	}
	var m map[string]*bgpNeighborWire
	if err := unmarshal(t, &m); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return lessNumeric(keys[i], keys[j]) })
	out := make([]*bgpNeighborWire, 0, len(keys))
	for _, k := range keys {
		out = append(out, m[k])
	}
	return out, nil
}

func optInt(v apijson.Int) *int64 {
	if !v.Valid {
		return nil
	}
	n := v.Value
	return &n
}
