package edgeconnect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/apijson"
	"github.com/ec-telemetry/ec-telemetry/internal/restapi"
	"github.com/go-json-experiment/json/jsontext"
)

// Memory is the memory usage of an appliance. The unit is not documented
// (the values look like KiB); they are passed through unchanged.
type Memory struct {
	Total, Free, Buffers, Cached, Used int64
	SwapTotal, SwapFree, SwapUsed      int64
}

// Memory returns the memory usage: GET /memory. All eight keys are
// required; a missing one is a *DecodeError rather than a zero.
func (c *Client) Memory(ctx context.Context) (Memory, error) {
	return getJSON(ctx, c, call{method: http.MethodGet, path: "/memory"}, parseMemory)
}

func parseMemory(b []byte) (Memory, error) {
	var w struct {
		Total     apijson.Int `json:"total"`
		Free      apijson.Int `json:"free"`
		Buffers   apijson.Int `json:"buffers"`
		Cached    apijson.Int `json:"cached"`
		Used      apijson.Int `json:"used"`
		SwapTotal apijson.Int `json:"swapTotal"`
		SwapFree  apijson.Int `json:"swapFree"`
		SwapUsed  apijson.Int `json:"swapUsed"`
	}
	if err := unmarshal(b, &w); err != nil {
		return Memory{}, err
	}
	var chk apijson.Checker
	m := Memory{
		Total:     chk.Int("total", w.Total),
		Free:      chk.Int("free", w.Free),
		Buffers:   chk.Int("buffers", w.Buffers),
		Cached:    chk.Int("cached", w.Cached),
		Used:      chk.Int("used", w.Used),
		SwapTotal: chk.Int("swapTotal", w.SwapTotal),
		SwapFree:  chk.Int("swapFree", w.SwapFree),
		SwapUsed:  chk.Int("swapUsed", w.SwapUsed),
	}
	if err := chk.Err(); err != nil {
		return Memory{}, err
	}
	return m, nil
}

// CPUStat is the answer of GET /cpustat: samples in the order sent.
type CPUStat struct {
	Latest  time.Time // latestTimestamp; zero when not sent
	Samples []CPUSample
}

// CPUSample is the usage of every CPU at one sample time.
type CPUSample struct {
	Time time.Time // from the sample's key, epoch milliseconds
	CPUs []CPUUsage
}

// CPUUsage is the usage of one CPU in percent.
type CPUUsage struct {
	CPU                        string  // cpu_number: "ALL", "0", "1", ...
	Idle, User, Sys, IRQ, Nice float64 // pIdle, pUser, pSys, pIRQ, pNice
}

// CPUStat returns recent CPU samples: GET /cpustat?time=0 (the demo's
// request; ECOS 9.1+). The percentages may be numbers or numeric strings.
// A user without admin rights gets 403, which wraps ErrUnauthorized.
func (c *Client) CPUStat(ctx context.Context) (CPUStat, error) {
	return getJSON(ctx, c, call{method: http.MethodGet, path: "/cpustat", query: "time=0"}, parseCPUStat)
}

type cpuWire struct {
	CPU  apijson.String `json:"cpu_number"`
	Idle apijson.Float  `json:"pIdle"`
	User apijson.Float  `json:"pUser"`
	Sys  apijson.Float  `json:"pSys"`
	IRQ  apijson.Float  `json:"pIRQ"`
	Nice apijson.Float  `json:"pNice"`
}

func parseCPUStat(b []byte) (CPUStat, error) {
	var w struct {
		Latest apijson.Int   `json:"latestTimestamp"`
		Data   *[]cpuElement `json:"data"`
	}
	if err := unmarshal(b, &w); err != nil {
		return CPUStat{}, err
	}
	if w.Data == nil {
		return CPUStat{}, errors.New("missing or null keys: data")
	}
	n := 0
	for _, e := range *w.Data {
		n += len(e)
	}
	st := CPUStat{Latest: millis(w.Latest), Samples: make([]CPUSample, 0, n)}
	for _, e := range *w.Data {
		st.Samples = append(st.Samples, e...)
	}
	return st, nil
}

// cpuElement is one element of data: {"<ms>": [cpu...], ...}, its samples
// in the key order of the document.
type cpuElement []CPUSample

// UnmarshalJSONFrom reads the element from the decoder's stream, in the
// same pass as the rest of the answer.
func (e *cpuElement) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	*e = nil
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	if tok.Kind() != '{' {
		return errors.New("want an object keyed by epoch milliseconds")
	}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		ms, err := strconv.ParseInt(tok.String(), 10, 64)
		if err != nil || ms <= 0 {
			return errors.New("sample key is not epoch milliseconds")
		}
		var cpus []cpuWire
		if err := restapi.UnmarshalDecode(dec, &cpus); err != nil {
			return fmt.Errorf("sample %d: %w", ms, err)
		}
		s := CPUSample{Time: time.UnixMilli(ms).UTC(), CPUs: make([]CPUUsage, 0, len(cpus))}
		for j, cw := range cpus {
			var chk apijson.Checker
			u := CPUUsage{
				CPU:  chk.String("cpu_number", cw.CPU),
				Idle: chk.Float("pIdle", cw.Idle),
				User: chk.Float("pUser", cw.User),
				Sys:  chk.Float("pSys", cw.Sys),
				IRQ:  chk.Float("pIRQ", cw.IRQ),
				Nice: chk.Float("pNice", cw.Nice),
			}
			if err := chk.Err(); err != nil {
				return fmt.Errorf("sample %d cpu %d: %w", ms, j, err)
			}
			s.CPUs = append(s.CPUs, u)
		}
		*e = append(*e, s)
	}
	_, err = dec.ReadToken()
	return err
}

// UnmarshalJSON implements json.Unmarshaler, for decoders that do not
// stream.
func (e *cpuElement) UnmarshalJSON(b []byte) error { return restapi.UnmarshalFrom(b, e) }

// DiskUsage is the usage of one mount point, in 1 KiB blocks.
type DiskUsage struct {
	Blocks1K    int64  // 1k-blocks
	Used        int64  // used
	Available   int64  // available
	UsedPercent int64  // usedpercent
	Filesystem  string // filesystem
}

// DiskUsage returns the usage per mount point: GET /diskUsage.
func (c *Client) DiskUsage(ctx context.Context) (map[string]DiskUsage, error) {
	return getJSON(ctx, c, call{method: http.MethodGet, path: "/diskUsage"}, parseDiskUsage)
}

func parseDiskUsage(b []byte) (map[string]DiskUsage, error) {
	var w map[string]*struct {
		Blocks1K    apijson.Int    `json:"1k-blocks"`
		Used        apijson.Int    `json:"used"`
		Available   apijson.Int    `json:"available"`
		UsedPercent apijson.Int    `json:"usedpercent"`
		Filesystem  apijson.String `json:"filesystem"`
	}
	if err := unmarshal(b, &w); err != nil {
		return nil, err
	}
	if w == nil {
		return nil, errors.New("answer is null, want an object")
	}
	out := make(map[string]DiskUsage, len(w))
	for mount, d := range w {
		if d == nil {
			return nil, fmt.Errorf("mount %q: null entry", mount)
		}
		var chk apijson.Checker
		u := DiskUsage{
			Blocks1K:    chk.Int("1k-blocks", d.Blocks1K),
			Used:        chk.Int("used", d.Used),
			Available:   chk.Int("available", d.Available),
			UsedPercent: chk.Int("usedpercent", d.UsedPercent),
			Filesystem:  d.Filesystem.Value,
		}
		if err := chk.Err(); err != nil {
			return nil, fmt.Errorf("mount %q: %w", mount, err)
		}
		out[mount] = u
	}
	return out, nil
}

// SystemInfo is the answer of GET /systemInfo.
type SystemInfo struct {
	HostName                  string
	ApplianceID               int64 // applianceid
	Model, ModelShort, Status string
	Uptime                    time.Duration // uptime, sent in milliseconds; always set
	UptimeString              string        // e.g. "9d 10h 52m 25s"
	Datetime, Timezone        string
	GMTOffset                 int64
	Release                   string // e.g. "ECOS 9.3.2.1_100012"
	ReleaseWithoutPrefix      string
	Serial, UUID              string
	DeploymentMode            string
	InlineRouter              bool
	LicenseRequired           bool
	IsLicenseInstalled        bool
	LicenseExpiryDate         string // type undocumented; kept as text
	LicenseExpirationDaysLeft int64
	HasUnsavedChanges         bool
	RebootRequired            bool
	BIOSVersion               string
	AlarmSummary              *AlarmSummary // nil when not sent or incomplete
}

// SystemInfo returns the appliance's identity and uptime: GET /systemInfo.
// uptime is required.
func (c *Client) SystemInfo(ctx context.Context) (SystemInfo, error) {
	return getJSON(ctx, c, call{method: http.MethodGet, path: "/systemInfo"}, parseSystemInfo)
}

func parseSystemInfo(b []byte) (SystemInfo, error) {
	var w struct {
		HostName                  apijson.String    `json:"hostName"`
		ApplianceID               apijson.Int       `json:"applianceid"`
		Model                     apijson.String    `json:"model"`
		ModelShort                apijson.String    `json:"modelShort"`
		Status                    apijson.String    `json:"status"`
		Uptime                    apijson.Int       `json:"uptime"`
		UptimeString              apijson.String    `json:"uptimeString"`
		Datetime                  apijson.String    `json:"datetime"`
		Timezone                  apijson.String    `json:"timezone"`
		GMTOffset                 apijson.Int       `json:"gmtOffset"`
		Release                   apijson.String    `json:"release"`
		ReleaseWithoutPrefix      apijson.String    `json:"releaseWithoutPrefix"`
		Serial                    apijson.String    `json:"serial"`
		UUID                      apijson.String    `json:"uuid"`
		DeploymentMode            apijson.String    `json:"deploymentMode"`
		InlineRouter              apijson.Bool      `json:"inlineRouter"`
		LicenseRequired           apijson.Bool      `json:"licenseRequired"`
		IsLicenseInstalled        apijson.Bool      `json:"isLicenseInstalled"`
		LicenseExpiryDate         apijson.String    `json:"licenseExpiryDate"`
		LicenseExpirationDaysLeft apijson.Int       `json:"licenseExpirationDaysLeft"`
		HasUnsavedChanges         apijson.Bool      `json:"hasUnsavedChanges"`
		RebootRequired            apijson.Bool      `json:"rebootRequired"`
		BIOSVersion               apijson.String    `json:"biosVersion"`
		AlarmSummary              *alarmSummaryWire `json:"alarmSummary"`
	}
	if err := unmarshal(b, &w); err != nil {
		return SystemInfo{}, err
	}
	var chk apijson.Checker
	uptime := chk.Int("uptime", w.Uptime)
	if err := chk.Err(); err != nil {
		return SystemInfo{}, err
	}
	if uptime < 0 {
		return SystemInfo{}, errors.New("uptime is negative")
	}
	si := SystemInfo{
		HostName:                  w.HostName.Value,
		ApplianceID:               w.ApplianceID.Value,
		Model:                     w.Model.Value,
		ModelShort:                w.ModelShort.Value,
		Status:                    w.Status.Value,
		Uptime:                    time.Duration(min(uptime, int64(time.Duration(1<<63-1)/time.Millisecond))) * time.Millisecond,
		UptimeString:              w.UptimeString.Value,
		Datetime:                  w.Datetime.Value,
		Timezone:                  w.Timezone.Value,
		GMTOffset:                 w.GMTOffset.Value,
		Release:                   w.Release.Value,
		ReleaseWithoutPrefix:      w.ReleaseWithoutPrefix.Value,
		Serial:                    w.Serial.Value,
		UUID:                      w.UUID.Value,
		DeploymentMode:            w.DeploymentMode.Value,
		InlineRouter:              w.InlineRouter.Value,
		LicenseRequired:           w.LicenseRequired.Value,
		IsLicenseInstalled:        w.IsLicenseInstalled.Value,
		LicenseExpiryDate:         w.LicenseExpiryDate.Value,
		LicenseExpirationDaysLeft: w.LicenseExpirationDaysLeft.Value,
		HasUnsavedChanges:         w.HasUnsavedChanges.Value,
		RebootRequired:            w.RebootRequired.Value,
		BIOSVersion:               w.BIOSVersion.Value,
	}
	if w.AlarmSummary != nil {
		if s, err := w.AlarmSummary.summary(); err == nil {
			si.AlarmSummary = &s
		}
	}
	return si, nil
}
