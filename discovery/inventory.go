package discovery

import "context"

// Appliance is the Orchestrator's view of one appliance.
type Appliance struct {
	ID                  string // nePk, e.g. "3.NE"
	Hostname            string
	Address             string // management IP, or host:port
	NetworkRole         string // "0" spoke, "1" hub, "2" mesh
	Model               string
	Platform            string
	SoftwareVersion     string
	State               int // 1 = normal
	ReachabilityChannel int
	Site                string // "" when none
	GroupID             string // e.g. "10.Network"
	Serial              string
}

// License is an appliance's licence tier; Bandwidth in Kbps.
type License struct {
	Display   string
	Bandwidth int64
}

// Inventory is what one cycle learns from the Orchestrator.
type Inventory struct {
	Appliances []Appliance
	WANLabels  map[string]string // label id → name
	LANLabels  map[string]string
	Overlays   map[string]string  // overlay id → name
	Licenses   map[string]License // nePk → tier; absent when unlicensed or without a tier
	Warnings   []error            // what could not be read but does not stop the cycle
}

// Orchestrator is what discovery needs of the Orchestrator.
type Orchestrator interface {
	// Ready checks that the Orchestrator answers and accepts the credentials.
	Ready(ctx context.Context) error
	// Inventory fetches appliances, labels, overlays and licences.
	Inventory(ctx context.Context) (Inventory, error)
}
