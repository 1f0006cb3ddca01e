package worker

import (
	"context"
	"strings"
	"time"

	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
	"github.com/ec-telemetry/ec-telemetry/internal/sourceplan"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// State sources: interface state (/networkInterfaces) and next-hop
// reachability (/nexthops).
const (
	SourceInterfaces = sourceplan.Interfaces
	SourceNextHops   = sourceplan.NextHops
)

// interfaceSource reads the appliance's interfaces and adds one
// interface_state point per interface.
func (j *job) interfaceSource(c Appliance) namedSource {
	return namedSource{SourceInterfaces, func(ctx context.Context) error {
		ifs, err := c.NetworkInterfaces(ctx)
		if err == nil {
			j.add(j.b.interfaceStatePoints(j.p, ifs, j.h.o.Now())...)
		}
		return err
	}}
}

// interfaceStatePoints maps /networkInterfaces to interface_state, one point
// per interface at the retrieval time. The label id is resolved with the
// Orchestrator's LAN map for LAN interfaces and the WAN map for the others;
// an interface without a label has no interface_label tag. A state the
// appliance left out is left out, never written as down; a speed without a
// known unit keeps only its text.
func (b pointer) interfaceStatePoints(p tasks.AppliancePoll, ifs []edgeconnect.NetworkInterface, ts time.Time) []telemetry.Point {
	out := make([]telemetry.Point, 0, len(ifs))
	for _, i := range ifs {
		tags := tag(telemetry.TagInterfaceName, i.Name)
		if i.Label != "" && i.Label != "0" {
			tags = append(tags, telemetry.Tag{Key: telemetry.TagInterfaceLabel, Value: interfaceLabel(p, i)})
		}
		var f telemetry.Fields
		if i.AdminKnown {
			f = append(f, telemetry.BoolField(telemetry.FieldAdminUp, i.AdminUp))
		}
		if i.OperKnown {
			f = append(f, telemetry.BoolField(telemetry.FieldOperUp, i.OperUp))
		}
		if i.Speed != "" {
			f = append(f, telemetry.StringField(telemetry.FieldSpeed, i.Speed))
		}
		if i.SpeedKnown {
			f = append(f, telemetry.FloatField(telemetry.FieldSpeedMbps, i.SpeedMbps))
		}
		if i.Duplex != "" {
			f = append(f, telemetry.StringField(telemetry.FieldDuplex, i.Duplex))
		}
		if i.MTU > 0 {
			f = append(f, telemetry.IntField(telemetry.FieldMTU, i.MTU))
		}
		if len(f) == 0 {
			continue // nothing known about it: no point rather than an empty one
		}
		out = append(out, b.point(telemetry.MeasInterfaceState, tags, f, ts))
	}
	return out
}

// interfaceLabel names an interface's label id: LAN interfaces (lan-if, or
// a name starting with "lan") look in the LAN map first, the others in the
// WAN map first. An unknown id becomes unknown_<id>.
func interfaceLabel(p tasks.AppliancePoll, i edgeconnect.NetworkInterface) string {
	first, second := p.WANLabels, p.LANLabels
	if i.LAN || (!i.WAN && strings.HasPrefix(strings.ToLower(i.Name), "lan")) {
		first, second = second, first
	}
	if n, ok := first[i.Label]; ok {
		return n
	}
	if n, ok := second[i.Label]; ok {
		return n
	}
	return "unknown_" + i.Label
}

// nextHopSource reads the next hops the appliance monitors and adds one
// next_hop_state point per next hop.
func (j *job) nextHopSource(c Appliance) namedSource {
	return namedSource{SourceNextHops, func(ctx context.Context) error {
		hops, err := c.NextHops(ctx)
		if err == nil {
			j.add(j.b.nextHopPoints(hops, j.h.o.Now())...)
		}
		return err
	}}
}

// nextHopPoints maps /nexthops to next_hop_state at the retrieval time.
// reachable is written only when the appliance sent a state.
func (b pointer) nextHopPoints(hops []edgeconnect.NextHop, ts time.Time) []telemetry.Point {
	out := make([]telemetry.Point, 0, len(hops))
	for _, h := range hops {
		tags := telemetry.Tags{{Key: telemetry.TagNextHop, Value: h.IP}, {Key: telemetry.TagInterfaceName, Value: h.Interface}}
		var f telemetry.Fields
		if h.State != "" {
			f = append(f, telemetry.BoolField(telemetry.FieldReachable, h.Reachable()), telemetry.StringField(telemetry.FieldNextHopState, h.State))
		}
		if h.UptimeKnown {
			f = append(f, telemetry.IntField(telemetry.FieldNextHopUptimeMs, h.Uptime.Milliseconds()))
		}
		if h.Side != "" {
			f = append(f, telemetry.StringField(telemetry.FieldNextHopSide, h.Side))
		}
		if len(f) == 0 {
			continue
		}
		out = append(out, b.point(telemetry.MeasNextHopState, tags, f, ts))
	}
	return out
}
