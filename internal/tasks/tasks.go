package tasks

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/hibiken/asynq"
)

// TypeAppliancePoll is the asynq task type of one appliance collection.
const TypeAppliancePoll = "appliance:poll"

// AppliancePoll is the payload of a TypeAppliancePoll task.
type AppliancePoll struct {
	ApplianceID string `json:"appliance_id"` // Orchestrator nePk, e.g. "3.NE"
	// Orchestrator names the Orchestrator that listed the appliance: the
	// orchestrator tag of its points, and the pass-through the worker
	// uses. Empty only in payloads queued by an older discovery.
	Orchestrator string `json:"orchestrator,omitempty"`
	// Scoped is set when the appliance's task id and Redis keys carry the
	// Orchestrator's name (see Key). Discovery leaves it unset for the
	// Orchestrator of the ORCH_* variables, whose keys stay those of a
	// single-Orchestrator deployment.
	Scoped              bool   `json:"scoped,omitempty"`
	Hostname            string `json:"hostname"`
	Address             string `json:"address"` // management IP or host:port
	NetworkRole         string `json:"network_role"`
	Model               string `json:"model"`
	Platform            string `json:"platform"`
	SoftwareVersion     string `json:"software_version"`
	State               int    `json:"state"`
	ReachabilityChannel int    `json:"reachability_channel"`
	Licensed            bool   `json:"licensed"` // a licence entry with a tier was found
	LicenseDisplay      string `json:"license_display,omitempty"`
	LicenseBW           int64  `json:"license_bw,omitempty"`
	Site                string `json:"site,omitempty"`     // Orchestrator site, "" when none
	GroupID             string `json:"group_id,omitempty"` // Orchestrator group, e.g. "10.Network"
	Serial              string `json:"serial,omitempty"`

	WANLabels map[string]string `json:"wan_labels,omitempty"` // label id → name
	LANLabels map[string]string `json:"lan_labels,omitempty"`
	Overlays  map[string]string `json:"overlays,omitempty"` // overlay id → name

	DiscoveredAt int64 `json:"discovered_at"` // unix seconds, after the appliance list returned
	Cycle        int64 `json:"cycle"`         // unix seconds of the discovery cycle's start
	// StartBy (unix seconds) is when the task's slot ends: a worker that
	// dequeues it later drops it without collecting (the next cycle is
	// the retry), and one that starts it in time has its whole
	// JOB_TIMEOUT. Zero in payloads of an older discovery.
	StartBy int64 `json:"start_by,omitempty"`

	// BackfillAll is set while discovery recovers from Redis losing its
	// data (the watermarks with it): an appliance without a watermark is
	// then backfilled from the oldest minute it still holds (within
	// BACKFILL_MAX) instead of only the first-contact minutes.
	BackfillAll bool `json:"backfill_all,omitempty"`
}

// maxPayloadBytes bounds what ParseAppliancePollPayload accepts.
const maxPayloadBytes = 1 << 20

// NewAppliancePollTask builds the task for one appliance. Queue, deadline and
// de-duplication options are the caller's (discovery's) business.
func NewAppliancePollTask(p AppliancePoll) (*asynq.Task, error) {
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("new appliance poll task: %w", err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("new appliance poll task: %w", err)
	}
	return asynq.NewTask(TypeAppliancePoll, b), nil
}

// ParseAppliancePollPayload decodes and checks a payload. A malformed payload
// can never succeed, so the error wraps asynq.SkipRetry.
func ParseAppliancePollPayload(b []byte) (AppliancePoll, error) {
	var p AppliancePoll
	if len(b) > maxPayloadBytes {
		return p, fmt.Errorf("appliance poll payload of %d bytes is too large: %w", len(b), asynq.SkipRetry)
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("decode appliance poll payload: %v: %w", err, asynq.SkipRetry)
	}
	if err := p.validate(); err != nil {
		return p, fmt.Errorf("appliance poll payload: %v: %w", err, asynq.SkipRetry)
	}
	return p, nil
}

func (p AppliancePoll) validate() error {
	var errs []error
	if p.ApplianceID == "" {
		errs = append(errs, errors.New("appliance_id is empty"))
	}
	if p.Hostname == "" {
		errs = append(errs, errors.New("hostname is empty"))
	}
	if p.Address == "" {
		errs = append(errs, errors.New("address is empty"))
	}
	if p.DiscoveredAt <= 0 {
		errs = append(errs, errors.New("discovered_at is not set"))
	}
	if p.Scoped && p.Orchestrator == "" {
		errs = append(errs, errors.New("scoped without an orchestrator"))
	}
	if strings.Contains(p.Orchestrator, ":") {
		errs = append(errs, errors.New("orchestrator holds a colon"))
	}
	return errors.Join(errs...)
}

// ApplianceKey identifies an appliance in task ids and Redis keys:
// "<orchestrator>:<nePk>", or the bare nePk when orchestrator is empty
// (the form of a single-Orchestrator deployment). nePks repeat across
// Orchestrators ("3.NE" on each), names do not, and a name never holds
// ":" (config checks it).
func ApplianceKey(orchestrator, applianceID string) string {
	if orchestrator == "" {
		return applianceID
	}
	return orchestrator + ":" + applianceID
}

// Key is the appliance's key (ApplianceKey): scoped by the Orchestrator's
// name when Scoped is set.
func (p AppliancePoll) Key() string {
	if !p.Scoped {
		return p.ApplianceID
	}
	return ApplianceKey(p.Orchestrator, p.ApplianceID)
}

// TaskID is the asynq task id of an appliance's collection, given its key
// (AppliancePoll.Key). One id per appliance means at most one job per appliance is queued or running at any
// time, whatever the number of discovery cycles or workers.
func TaskID(key string) string { return "poll:" + key }

// RerunTaskID is an appliance's second TaskID, used while a task under
// TaskID is left active by a worker that died (until asynq archives it).
func RerunTaskID(key string) string { return "poll:" + key + ":rerun" }
