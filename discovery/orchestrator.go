package discovery

import (
	"context"
	"fmt"
	"strconv"

	"github.com/ec-telemetry/ec-telemetry/orchestrator"
)

// OrchestratorClient adapts *orchestrator.Client to Orchestrator.
type OrchestratorClient struct {
	Client *orchestrator.Client
}

var _ Orchestrator = OrchestratorClient{}

// Ready implements Orchestrator: GET /gmsserver/briefInfo and
// /gmsserver/hello, as the demo does before each cycle.
func (o OrchestratorClient) Ready(ctx context.Context) error {
	if _, err := o.Client.BriefInfo(ctx); err != nil {
		return err
	}
	_, err := o.Client.Hello(ctx)
	return err
}

// Inventory implements Orchestrator. Appliances, labels and overlays are
// required (without the maps the minute statistics would be mislabelled);
// licences are best effort: an appliance without one is collected without
// the licence fields.
func (o OrchestratorClient) Inventory(ctx context.Context) (Inventory, error) {
	apps, err := o.Client.Appliances(ctx)
	if err != nil {
		return Inventory{}, err
	}
	labels, err := o.Client.InterfaceLabels(ctx)
	if err != nil {
		return Inventory{}, err
	}
	overlays, err := o.Client.Overlays(ctx)
	if err != nil {
		return Inventory{}, err
	}
	inv := Inventory{
		WANLabels: labelNames(labels.WAN),
		LANLabels: labelNames(labels.LAN),
		Overlays:  make(map[string]string, len(overlays)),
		Licenses:  map[string]License{},
	}
	for _, ov := range overlays {
		inv.Overlays[strconv.FormatInt(ov.ID, 10)] = ov.Name
	}
	for _, a := range apps {
		if a.ID == "" || a.HostName == "" || a.IP == "" {
			inv.Warnings = append(inv.Warnings, fmt.Errorf("appliance %q (%s) lacks an id, hostname or address: skipped", a.HostName, a.ID))
			continue
		}
		inv.Appliances = append(inv.Appliances, Appliance{
			ID: a.ID, Hostname: a.HostName, Address: a.IP, NetworkRole: a.NetworkRole, Model: a.Model,
			Platform: a.Platform, SoftwareVersion: a.SoftwareVersion, State: int(a.State),
			ReachabilityChannel: int(a.ReachabilityChannel), Site: a.Site, GroupID: a.GroupID, Serial: a.Serial,
		})
	}
	lics, err := o.Client.LicensedAppliances(ctx)
	if err != nil {
		inv.Warnings = append(inv.Warnings, fmt.Errorf("licences not read, licence fields left out this cycle: %w", err))
		return inv, nil
	}
	for _, l := range lics {
		if l.Licenses.FX.Tier != nil {
			inv.Licenses[l.ApplianceID] = License{Display: l.Licenses.FX.Tier.Display, Bandwidth: l.Licenses.FX.Tier.Bandwidth}
		}
	}
	return inv, nil
}

func labelNames(m map[string]orchestrator.InterfaceLabel) map[string]string {
	out := make(map[string]string, len(m))
	for id, l := range m {
		out[id] = l.Name
	}
	return out
}
