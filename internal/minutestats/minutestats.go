package minutestats

import (
	"errors"
	"fmt"
	"slices"

	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// Default limits applied when the corresponding Options field is zero or
// negative.
const (
	// DefaultMaxMemberBytes bounds the uncompressed size of one archive
	// member or folder file that is parsed (32 MiB; real members are a few
	// KiB).
	DefaultMaxMemberBytes int64 = 32 << 20
	// DefaultMaxTotalBytes bounds the uncompressed bytes read from one
	// archive, tar headers and skipped members included (256 MiB), so a
	// gzip bomb ends with ErrArchiveTooLarge instead of exhausting memory
	// or CPU.
	DefaultMaxTotalBytes int64 = 256 << 20
	// DefaultMaxPoints bounds the distinct points of one archive or folder
	// (50,000; a realistic appliance-minute gives a few hundred, a hub
	// with 2,000 tunnels about 10,000).
	DefaultMaxPoints = 50_000
	// DefaultEmitPoints is how many points Options.Emit receives at most at
	// once.
	DefaultEmitPoints = 5000
)

// MaxIssues is how many Issues a Result keeps. Result.IssueCount counts all
// of them.
const MaxIssues = 200

// ErrArchiveTooLarge is returned (wrapped) by ParseArchive when the archive
// holds more than Options.MaxTotalBytes uncompressed bytes.
var ErrArchiveTooLarge = errors.New("archive exceeds the uncompressed size limit")

// Base names of the members this package parses. KnownFiles lists them in
// the order Result.Missing uses.
const (
	FileInterface        = "interface_v2.txt"
	FileTunnel           = "tunnel_v2.txt"
	FileFlow             = "flow_v2.txt"
	FileBoost            = "boost_v2.txt"
	FileDrops            = "drops_v2.txt"
	FileInterfaceOverlay = "interface_overlay_v2.txt"
	FileTrafficClass     = "tclass_v2.txt"
	FileShaper           = "shaper_v2.txt"
	FileTunnelAvail      = "tunnel_availability_v2.txt"
	FileProbe            = "probe_v2.txt"
)

// knownFiles lists the base names of every member ParseArchive and ParseDir
// parse, in Result.Missing order.
var knownFiles = [...]string{
	FileInterface, FileTunnel, FileFlow, FileBoost, FileDrops,
	FileInterfaceOverlay, FileTrafficClass, FileShaper, FileTunnelAvail, FileProbe,
}

// KnownFiles returns the base names of every member ParseArchive and
// ParseDir parse, in the order Result.Missing uses. Other members (the CSV
// files, appperf_v2.txt, ...) are ignored.
func KnownFiles() []string { return slices.Clone(knownFiles[:]) }

// Lookups translates the numeric ids found in the files into the names the
// Orchestrator and the appliance know them by. All maps are keyed by the id
// in decimal without leading zeros ("1", "17"). The JSON form is the one
// `ectelemetry stats parse --lookups` reads.
type Lookups struct {
	// WANLabels and LANLabels map an interface label id to its name
	// (Orchestrator GET /gms/interfaceLabels, "wan" and "lan" halves). An
	// id present in both resolves by interface name: names starting with
	// "lan" use LANLabels, all others WANLabels.
	WANLabels map[string]string `json:"wan_labels"`
	LANLabels map[string]string `json:"lan_labels"`
	// Overlays maps an overlay id to its name (Orchestrator
	// GET /gms/overlays/config).
	Overlays map[string]string `json:"overlays"`
	// TrafficClasses maps a traffic class id to its name (appliance
	// GET /trafficclass). Nil means the names are unavailable: the
	// traffic_class_name field is then left out without an Issue.
	TrafficClasses map[string]string `json:"traffic_classes"`
}

// Options configures one parse.
type Options struct {
	// ApplianceID and Hostname become the common tags appliance_id and
	// hostname of every point, through telemetry.TagValue (a control
	// character or a trailing backslash is replaced, never an error). Both
	// are required.
	ApplianceID string
	Hostname    string
	// Orchestrator, when set, becomes the orchestrator tag of every point
	// (through telemetry.TagValue), as the worker tags everything it
	// writes.
	Orchestrator string
	// Lookups resolves label, overlay and traffic class ids. Ids it does
	// not know are tagged unknown_<id> and reported as Issues.
	Lookups Lookups
	// MaxMemberBytes bounds one parsed member (default
	// DefaultMaxMemberBytes); a larger member is skipped with an Issue.
	MaxMemberBytes int64
	// MaxTotalBytes bounds the uncompressed bytes of the whole archive or
	// folder (default DefaultMaxTotalBytes).
	MaxTotalBytes int64
	// MaxPoints bounds the distinct points of the whole archive or folder
	// (default DefaultMaxPoints). Further rows that would make a new point
	// are dropped and counted (Result.Dropped, FileSummary.Dropped, one
	// Issue per file); rows merging into a point already made still merge.
	MaxPoints int
	// Emit, when set, receives the points while the archive is parsed, in
	// file and line order, at most EmitPoints at a time, instead of
	// Result.Points: the parse then holds at most EmitPoints points at
	// once. Emit must not keep the slice after it returns (the points in it
	// it may keep). An error from Emit ends the parse, and ParseArchive or
	// ParseDir returns it wrapped. A row colliding with a point already
	// handed to Emit (which takes more than EmitPoints distinct points
	// between the two) cannot be merged into it: it is dropped with an
	// Issue.
	Emit func([]telemetry.Point) error
	// EmitPoints is the most points one Emit call receives (default
	// DefaultEmitPoints).
	EmitPoints int
	// Arena, when set, is where the points' tags and fields are stored
	// instead of storage of the parse's own (see Arena).
	Arena *Arena
}

// Issue is one problem met while parsing: a skipped line, an omitted field,
// an unknown id, an ignored archive entry. Line is 1-based, 0 when the
// issue concerns a whole member.
type Issue struct {
	File   string // member path inside the archive, or file path relative to the folder
	Line   int
	Reason string
}

// String renders the issue as "file:line: reason".
func (i Issue) String() string {
	if i.Line == 0 {
		return fmt.Sprintf("%s: %s", i.File, i.Reason)
	}
	return fmt.Sprintf("%s:%d: %s", i.File, i.Line, i.Reason)
}

// FileSummary counts what one parsed member gave.
type FileSummary struct {
	Name    string // member path inside the archive, or file path relative to the folder
	Lines   int    // lines read, blank ones included
	Points  int    // distinct points produced (after merging)
	Merged  int    // rows merged into an earlier point with the same identity
	Skipped int    // lines that produced no point
	Dropped int    // rows not made into points because the archive reached Options.MaxPoints
}

// Result is what a parse produced. Points are in file order, then line
// order; rows that collide (same measurement, tags and time) are merged
// into the first one. With Options.Emit set, Points is empty: the points
// went to Emit.
type Result struct {
	Points     []telemetry.Point
	Dropped    int // rows not made into points because the archive reached Options.MaxPoints
	Files      []FileSummary
	Issues     []Issue  // the first MaxIssues issues
	IssueCount int      // all issues, including those not kept
	Missing    []string // known files (KnownFiles order) not found or not parsed
}

func (o Options) withDefaults() Options {
	if o.MaxMemberBytes <= 0 {
		o.MaxMemberBytes = DefaultMaxMemberBytes
	}
	if o.MaxTotalBytes <= 0 {
		o.MaxTotalBytes = DefaultMaxTotalBytes
	}
	if o.MaxPoints <= 0 {
		o.MaxPoints = DefaultMaxPoints
	}
	if o.EmitPoints <= 0 {
		o.EmitPoints = DefaultEmitPoints
	}
	o.ApplianceID, o.Hostname = telemetry.TagValue(o.ApplianceID), telemetry.TagValue(o.Hostname)
	o.Orchestrator = telemetry.TagValue(o.Orchestrator)
	return o
}

func (o Options) validate() error {
	var errs []error
	if o.ApplianceID == "" {
		errs = append(errs, errors.New("appliance id is empty"))
	}
	if o.Hostname == "" {
		errs = append(errs, errors.New("hostname is empty"))
	}
	return errors.Join(errs...)
}
