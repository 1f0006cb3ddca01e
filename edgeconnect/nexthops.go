package edgeconnect

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/apijson"
)

// NextHop is one entry of GET /nexthops: a next hop the appliance monitors
// and whether it answers.
type NextHop struct {
	IP        string        // nhop_ip; always set
	IPVersion string        // nhop_ipver: "ipv4" or "ipv6"
	Interface string        // nhop_ifname: data-path interface, e.g. "wan0"
	Side      string        // source: WAN or LAN side (values not documented)
	State     string        // nhop_state: "reachable" or "unreachable"
	Uptime    time.Duration // nhop_uptime (sent in ms)
	// UptimeKnown is false when nhop_uptime was not sent.
	UptimeKnown bool
}

// Reachable reports whether State is "reachable".
func (n NextHop) Reachable() bool { return n.State == "reachable" }

// NextHops returns the next hops the appliance monitors: GET /nexthops
// (ECOS 9.x). Every entry needs nhop_ip.
func (c *Client) NextHops(ctx context.Context) ([]NextHop, error) {
	return getJSON(ctx, c, call{method: http.MethodGet, path: "/nexthops"}, parseNextHops)
}

func parseNextHops(b []byte) ([]NextHop, error) {
	var w []*struct {
		IP     apijson.String `json:"nhop_ip"`
		IPVer  apijson.String `json:"nhop_ipver"`
		IfName apijson.String `json:"nhop_ifname"`
		Source apijson.String `json:"source"`
		State  apijson.String `json:"nhop_state"`
		Uptime apijson.Int    `json:"nhop_uptime"`
	}
	if err := unmarshal(b, &w); err != nil {
		return nil, err
	}
	out := make([]NextHop, 0, len(w))
	for i, e := range w {
		if e == nil || e.IP.Value == "" {
			return nil, fmt.Errorf("entry %d: missing nhop_ip", i)
		}
		if e.Uptime.Value < 0 || e.Uptime.Value > int64(100*365*24*time.Hour/time.Millisecond) {
			return nil, fmt.Errorf("entry %d (%s): nhop_uptime %d ms is out of range", i, e.IP.Value, e.Uptime.Value)
		}
		out = append(out, NextHop{IP: e.IP.Value, IPVersion: e.IPVer.Value, Interface: e.IfName.Value, Side: e.Source.Value,
			State: e.State.Value, Uptime: time.Duration(e.Uptime.Value) * time.Millisecond, UptimeKnown: e.Uptime.Valid})
	}
	return out, nil
}
