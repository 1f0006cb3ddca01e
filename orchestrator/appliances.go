package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/ec-telemetry/ec-telemetry/internal/apijson"
)

// Appliance is one appliance managed by the Orchestrator (GET /appliance).
type Appliance struct {
	ID                  string // nePk, e.g. "3.NE"; always set
	UUID                string
	HostName            string
	IP                  string // management address (ip, or IP when ip is absent)
	NetworkRole         string // "0" spoke, "1" hub, "2" mesh; numbers are kept as text
	Site                string
	SitePriority        int64
	GroupID             string // e.g. "10.Network"
	Model               string // e.g. "EC-XS"
	Platform            string
	SoftwareVersion     string // ECOS release
	Mode                string // e.g. "router"
	Bypass              bool
	Serial              string
	State               int64 // 0 unknown, 1 normal, 2 unreachable, 3 unsupported, 4 out of sync, 5 syncing
	ReachabilityChannel int64 // 0 unknown, 1 HTTP(S), 2 websocket, 4 cloud portal relay; kept as sent
	DiscoveredFrom      int64 // 1 manual, 2 portal, 3 appliance
	WebProtocolType     int64 // 1 HTTP, 2 HTTPS, 3 both
	WebProtocol         string
	SystemBandwidth     int64 // Kbps
	HasUnsavedChanges   bool
	RebootRequired      bool
	StartupTime         int64  // as sent (epoch); 0 when null
	ApplianceID         string // applianceId; numbers are kept as text
	PortalObjectID      string
	DynamicUUID         string
	HardwareRevision    string
	UserName            string
}

// IsHub reports whether the appliance is a hub (networkRole "1").
func (a Appliance) IsHub() bool { return a.NetworkRole == "1" }

// Appliances lists the managed appliances: GET /appliance. Every entry
// needs an id (or nePk).
func (c *Client) Appliances(ctx context.Context) ([]Appliance, error) {
	return getJSON(ctx, c, call{method: http.MethodGet, path: "/appliance"}, parseAppliances)
}

type applianceWire struct {
	ID                  apijson.String `json:"id"`
	NePK                apijson.String `json:"nePk"`
	UUID                apijson.String `json:"uuid"`
	HostName            apijson.String `json:"hostName"`
	IP                  apijson.String `json:"ip"`
	IPUpper             apijson.String `json:"IP"`
	NetworkRole         apijson.String `json:"networkRole"`
	Site                apijson.String `json:"site"`
	SitePriority        apijson.Int    `json:"sitePriority"`
	GroupID             apijson.String `json:"groupId"`
	Model               apijson.String `json:"model"`
	Platform            apijson.String `json:"platform"`
	SoftwareVersion     apijson.String `json:"softwareVersion"`
	Mode                apijson.String `json:"mode"`
	Bypass              apijson.Bool   `json:"bypass"`
	Serial              apijson.String `json:"serial"`
	State               apijson.Int    `json:"state"`
	ReachabilityChannel apijson.Int    `json:"reachabilityChannel"`
	DiscoveredFrom      apijson.Int    `json:"discoveredFrom"`
	WebProtocolType     apijson.Int    `json:"webProtocolType"`
	WebProtocol         apijson.String `json:"webProtocol"`
	SystemBandwidth     apijson.Int    `json:"systemBandwidth"`
	HasUnsavedChanges   apijson.Bool   `json:"hasUnsavedChanges"`
	RebootRequired      apijson.Bool   `json:"rebootRequired"`
	StartupTime         apijson.Int    `json:"startupTime"`
	ApplianceID         apijson.String `json:"applianceId"`
	PortalObjectID      apijson.String `json:"portalObjectId"`
	DynamicUUID         apijson.String `json:"dynamicUuid"`
	HardwareRevision    apijson.String `json:"hardwareRevision"`
	UserName            apijson.String `json:"userName"`
}

func parseAppliances(b []byte) ([]Appliance, error) {
	var w []*applianceWire
	if err := unmarshal(b, &w); err != nil {
		return nil, err
	}
	if w == nil {
		return nil, errors.New("answer is null, want an array")
	}
	out := make([]Appliance, 0, len(w))
	for i, a := range w {
		if a == nil {
			return nil, fmt.Errorf("appliance %d is null", i)
		}
		id := a.ID
		if id.Value == "" {
			id = a.NePK
		}
		if id.Value == "" {
			return nil, fmt.Errorf("appliance %d: missing or null keys: id", i)
		}
		ip := a.IP
		if ip.Value == "" {
			ip = a.IPUpper
		}
		out = append(out, Appliance{
			ID:                  id.Value,
			UUID:                a.UUID.Value,
			HostName:            a.HostName.Value,
			IP:                  ip.Value,
			NetworkRole:         a.NetworkRole.Value,
			Site:                a.Site.Value,
			SitePriority:        a.SitePriority.Value,
			GroupID:             a.GroupID.Value,
			Model:               a.Model.Value,
			Platform:            a.Platform.Value,
			SoftwareVersion:     a.SoftwareVersion.Value,
			Mode:                a.Mode.Value,
			Bypass:              a.Bypass.Value,
			Serial:              a.Serial.Value,
			State:               a.State.Value,
			ReachabilityChannel: a.ReachabilityChannel.Value,
			DiscoveredFrom:      a.DiscoveredFrom.Value,
			WebProtocolType:     a.WebProtocolType.Value,
			WebProtocol:         a.WebProtocol.Value,
			SystemBandwidth:     a.SystemBandwidth.Value,
			HasUnsavedChanges:   a.HasUnsavedChanges.Value,
			RebootRequired:      a.RebootRequired.Value,
			StartupTime:         a.StartupTime.Value,
			ApplianceID:         a.ApplianceID.Value,
			PortalObjectID:      a.PortalObjectID.Value,
			DynamicUUID:         a.DynamicUUID.Value,
			HardwareRevision:    a.HardwareRevision.Value,
			UserName:            a.UserName.Value,
		})
	}
	return out, nil
}
