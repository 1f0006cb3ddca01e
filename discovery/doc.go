// Package discovery runs the discovery cycle: every interval, on wall-clock
// boundaries, it waits until the Orchestrator, InfluxDB and Redis answer,
// reads the Orchestrator's inventory (appliances, interface labels,
// overlays, licences), applies limit_appliances.json (re-read every cycle),
// and queues one task per selected appliance, paced over the interval.
//
// It does no polling of appliances. The only points it writes (through the
// Sink it is given) are what only the Orchestrator serves: its own health
// (orchestrator_health) and the selected appliances' BGP state
// (bgp_neighbor_state), read in the background once per cycle. A
// Discovery is used by one goroutine (Run); its collaborators must be safe
// for concurrent use.
package discovery
