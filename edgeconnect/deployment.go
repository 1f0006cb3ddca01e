package edgeconnect

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/ec-telemetry/ec-telemetry/internal/apijson"
)

// Deployment is the part of GET /deployment the collector uses.
type Deployment struct {
	SysConfig SysConfig
	ModeIfs   []ModeIf
}

// SysConfig holds the system-wide deployment settings. Bandwidths are Kbps;
// nil means the appliance did not send the key.
type SysConfig struct {
	Mode           string // e.g. "router"
	MaxBW          *int64 // maxBW: system max outbound (LAN to WAN)
	MaxInBW        *int64 // maxInBW: system max inbound
	MaxInBWEnabled bool
}

// ModeIf is one deployment interface (modeIfs[]).
type ModeIf struct {
	DevNum       string
	IfName       string // e.g. "wan0", "lan0", "bvi0"
	ApplianceIPs []ApplianceIP
}

// ApplianceIP is one IP assignment of a deployment interface.
type ApplianceIP struct {
	IP      string
	Mask    int64
	Label   string // interface label id, a key of the Orchestrator's label map; may be ""
	VLAN    string // "" when absent, null or empty; numbers are kept as text
	WANSide bool
	LANSide bool
	MaxBW   *Bandwidth // nil when not sent (LAN entries)
}

// Bandwidth is a pair of limits in Kbps.
type Bandwidth struct {
	Inbound  int64 // WAN to LAN
	Outbound int64 // LAN to WAN
}

// Deployment returns the deployment configuration: GET /deployment.
func (c *Client) Deployment(ctx context.Context) (Deployment, error) {
	return getJSON(ctx, c, call{method: http.MethodGet, path: "/deployment"}, parseDeployment)
}

func parseDeployment(b []byte) (Deployment, error) {
	var w struct {
		SysConfig *struct {
			Mode           apijson.String `json:"mode"`
			MaxBW          apijson.Int    `json:"maxBW"`
			MaxInBW        apijson.Int    `json:"maxInBW"`
			MaxInBWEnabled apijson.Bool   `json:"maxInBWEnabled"`
		} `json:"sysConfig"`
		ModeIfs []struct {
			DevNum       apijson.String `json:"devNum"`
			IfName       apijson.String `json:"ifName"`
			ApplianceIPs []struct {
				IP      apijson.String `json:"ip"`
				Mask    apijson.Int    `json:"mask"`
				Label   apijson.String `json:"label"`
				VLAN    apijson.String `json:"vlan"`
				WANSide apijson.Bool   `json:"wanSide"`
				LANSide apijson.Bool   `json:"lanSide"`
				MaxBW   *struct {
					Inbound  apijson.Int `json:"inbound"`
					Outbound apijson.Int `json:"outbound"`
				} `json:"maxBW"`
			} `json:"applianceIPs"`
		} `json:"modeIfs"`
	}
	if err := unmarshal(b, &w); err != nil {
		return Deployment{}, err
	}
	if w.SysConfig == nil {
		return Deployment{}, errors.New("missing or null keys: sysConfig")
	}
	d := Deployment{
		SysConfig: SysConfig{
			Mode:           w.SysConfig.Mode.Value,
			MaxBW:          intPtr(w.SysConfig.MaxBW),
			MaxInBW:        intPtr(w.SysConfig.MaxInBW),
			MaxInBWEnabled: w.SysConfig.MaxInBWEnabled.Value,
		},
		ModeIfs: make([]ModeIf, 0, len(w.ModeIfs)),
	}
	for i, m := range w.ModeIfs {
		mi := ModeIf{DevNum: m.DevNum.Value, IfName: m.IfName.Value, ApplianceIPs: make([]ApplianceIP, 0, len(m.ApplianceIPs))}
		for j, ip := range m.ApplianceIPs {
			a := ApplianceIP{
				IP:      ip.IP.Value,
				Mask:    ip.Mask.Value,
				Label:   ip.Label.Value,
				VLAN:    ip.VLAN.Value,
				WANSide: ip.WANSide.Value,
				LANSide: ip.LANSide.Value,
			}
			if ip.MaxBW != nil {
				var chk apijson.Checker
				a.MaxBW = &Bandwidth{
					Inbound:  chk.Int("inbound", ip.MaxBW.Inbound),
					Outbound: chk.Int("outbound", ip.MaxBW.Outbound),
				}
				if err := chk.Err(); err != nil {
					return Deployment{}, fmt.Errorf("modeIfs[%d].applianceIPs[%d].maxBW: %w", i, j, err)
				}
			}
			mi.ApplianceIPs = append(mi.ApplianceIPs, a)
		}
		d.ModeIfs = append(d.ModeIfs, mi)
	}
	return d, nil
}

func intPtr(v apijson.Int) *int64 {
	if !v.Valid {
		return nil
	}
	return &v.Value
}
