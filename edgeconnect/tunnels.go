package edgeconnect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/ec-telemetry/ec-telemetry/internal/apijson"
)

// TunnelFamily selects one of the three tunnel kinds of an appliance.
type TunnelFamily string

// The tunnel families and the endpoints they use.
const (
	// TunnelUnderlay: physical SD-WAN tunnels, GET /tunnelAllIDs and
	// GET /tunnelAliases.
	TunnelUnderlay TunnelFamily = "underlay"
	// TunnelOverlay: bonded (overlay) tunnels, GET /bondedTunnels/allIDs and
	// GET /bondedTunnels/aliases.
	TunnelOverlay TunnelFamily = "overlay"
	// TunnelThirdParty: pass-through / third-party tunnels,
	// GET /thirdPartyTunnels/allIDs and GET /thirdPartyTunnels/aliases.
	TunnelThirdParty TunnelFamily = "thirdparty"
)

func (f TunnelFamily) paths() (ids, aliases string, ok bool) {
	switch f {
	case TunnelUnderlay:
		return "/tunnelAllIDs", "/tunnelAliases", true
	case TunnelOverlay:
		return "/bondedTunnels/allIDs", "/bondedTunnels/aliases", true
	case TunnelThirdParty:
		return "/thirdPartyTunnels/allIDs", "/thirdPartyTunnels/aliases", true
	}
	return "", "", false
}

// TunnelAlias is one entry of an alias listing.
type TunnelAlias struct {
	ID    string // e.g. "tunnel_18", "bondedTunnel_370", "passThrough_320"
	Alias string // e.g. "to_BRANCH-EC-07_INET1-INET1"
}

// TunnelIDs lists the tunnel ids of one family: GET /tunnelAllIDs,
// GET /bondedTunnels/allIDs or GET /thirdPartyTunnels/allIDs. state, when not
// empty, is a regular expression the appliance matches against the tunnel
// status (e.g. "Up"), sent as ?state=. The ids may include pseudo tunnels
// such as "default" and "pass-through"; they are returned as sent.
func (c *Client) TunnelIDs(ctx context.Context, family TunnelFamily, state string) ([]string, error) {
	path, _, ok := family.paths()
	if !ok {
		return nil, fmt.Errorf("edgeconnect %s: tunnel ids: unknown tunnel family %q", c.host, family)
	}
	return getJSON(ctx, c, call{method: http.MethodGet, path: path, query: query("state", state)}, parseTunnelIDs)
}

// TunnelAliases lists tunnel ids with their aliases for one family:
// GET /tunnelAliases, GET /bondedTunnels/aliases or
// GET /thirdPartyTunnels/aliases. The query parameters go out in the order
// limit, matchingAlias, state (then source); limit <= 0 and empty strings are
// not sent. matchingAlias is a case-insensitive alias filter, state a status
// regular expression (the demo asks limit 1000, state "Down").
func (c *Client) TunnelAliases(ctx context.Context, family TunnelFamily, limit int, matchingAlias, state string) ([]TunnelAlias, error) {
	_, path, ok := family.paths()
	if !ok {
		return nil, fmt.Errorf("edgeconnect %s: tunnel aliases: unknown tunnel family %q", c.host, family)
	}
	l := ""
	if limit > 0 {
		l = strconv.Itoa(limit)
	}
	q := query("limit", l, "matchingAlias", matchingAlias, "state", state)
	return getJSON(ctx, c, call{method: http.MethodGet, path: path, query: q}, parseTunnelAliases)
}

func parseTunnelIDs(b []byte) ([]string, error) {
	var w []apijson.String
	if err := unmarshal(b, &w); err != nil {
		return nil, err
	}
	if w == nil {
		return nil, errors.New("answer is null, want an array")
	}
	ids := make([]string, 0, len(w))
	for i, id := range w {
		if !id.Valid {
			return nil, fmt.Errorf("id %d is null", i)
		}
		ids = append(ids, id.Value)
	}
	return ids, nil
}

func parseTunnelAliases(b []byte) ([]TunnelAlias, error) {
	var w []*struct {
		ID    apijson.String `json:"id"`
		Alias apijson.String `json:"alias"`
	}
	if err := unmarshal(b, &w); err != nil {
		return nil, err
	}
	if w == nil {
		return nil, errors.New("answer is null, want an array")
	}
	out := make([]TunnelAlias, 0, len(w))
	for i, a := range w {
		if a == nil {
			return nil, fmt.Errorf("entry %d is null", i)
		}
		var chk apijson.Checker
		t := TunnelAlias{ID: chk.String("id", a.ID), Alias: a.Alias.Value}
		if err := chk.Err(); err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		out = append(out, t)
	}
	return out, nil
}
