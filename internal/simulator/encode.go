package simulator

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"
)

// The hottest JSON answers of a poll (cpustat, subnets) are written by hand
// into pooled buffers instead of through encoding/json: the bytes are
// exactly those encoding/json writes for the same values (a test compares
// them), at a fraction of the CPU.

var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// writeBody sends b as a 200 application/json answer.
func writeBody(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

// writeAppended builds a body with appendFn into a pooled buffer and sends
// it.
func writeAppended(w http.ResponseWriter, appendFn func([]byte) []byte) {
	bp := bodyPool.Get().(*[]byte)
	b := appendFn((*bp)[:0])
	writeBody(w, b)
	if cap(b) <= 1<<20 { // keep pooled buffers small
		*bp = b
		bodyPool.Put(bp)
	}
}

// appendJSONString appends s as encoding/json writes it.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= utf8.RuneSelf {
			q, _ := json.Marshal(s) // strings always encode
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func appendJSONBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

// appendCPUStat appends the body of GET /cpustat for samples (grouped by
// time, as cpuSamples returns them): {"data":[{"<ms>":[{cpu_number, pIdle,
// pUser, pSys, pIRQ, pNice}]}],"latestTimestamp":ms}, values as strings
// with two decimals.
func appendCPUStat(b []byte, samples []CPUSample) []byte {
	b = append(b, `{"data":[`...)
	var latest int64
	for i := 0; i < len(samples); {
		key := samples[i].Time.UnixMilli()
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"`...)
		b = strconv.AppendInt(b, key, 10)
		b = append(b, `":[`...)
		for first := i; i < len(samples) && samples[i].Time.UnixMilli() == key; i++ {
			c := &samples[i]
			if i > first {
				b = append(b, ',')
			}
			b = append(b, `{"cpu_number":`...)
			b = appendJSONString(b, c.CPUNumber)
			for _, f := range [...]struct {
				name string
				v    float64
			}{{`,"pIdle":"`, c.Idle}, {`,"pUser":"`, c.User}, {`,"pSys":"`, c.Sys}, {`,"pIRQ":"`, c.IRQ},
				{`,"pNice":"`, c.Nice}} {
				b = append(b, f.name...)
				b = strconv.AppendFloat(b, f.v, 'f', 2, 64)
				b = append(b, '"')
			}
			b = append(b, '}')
		}
		b = append(b, "]}"...)
		latest = key
	}
	b = append(b, `],"latestTimestamp":`...)
	b = strconv.AppendInt(b, latest, 10)
	return append(b, '}')
}

// appendSubnets appends the body of GET /subnets3/all for entries:
// {"subnets":{"count","disabledByIPSLA","entries","max","metricAddedByIPSLA"}}.
func appendSubnets(b []byte, entries []routeEntry) []byte {
	b = append(b, `{"subnets":{"count":`...)
	b = strconv.AppendInt(b, int64(len(entries)), 10)
	b = append(b, `,"disabledByIPSLA":false,"entries":[`...)
	for i := range entries {
		e := &entries[i].State
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"state":{"version":`...)
		b = strconv.AppendInt(b, int64(e.Version), 10)
		b = append(b, `,"prefix":`...)
		b = appendJSONString(b, e.Prefix)
		b = append(b, `,"nextHop":`...)
		b = appendJSONString(b, e.NextHop)
		b = append(b, `,"metric":`...)
		b = strconv.AppendInt(b, int64(e.Metric), 10)
		b = append(b, `,"ifName":`...)
		b = appendJSONString(b, e.IfName)
		b = append(b, `,"peerid":`...)
		b = strconv.AppendInt(b, int64(e.PeerID), 10)
		b = append(b, `,"learned":`...)
		b = appendJSONBool(b, e.Learned)
		b = append(b, `,"configured":`...)
		b = appendJSONBool(b, e.Configured)
		b = append(b, `,"advert":`...)
		b = appendJSONBool(b, e.Advert)
		b = append(b, `,"local":`...)
		b = appendJSONBool(b, e.Local)
		b = append(b, `,"state":`...)
		b = appendJSONString(b, e.State)
		b = append(b, `,"routeType":`...)
		b = appendJSONString(b, e.RouteType)
		b = append(b, `,"adminDistance":`...)
		b = strconv.AppendInt(b, int64(e.AdminDist), 10)
		b = append(b, `,"zone_id":`...)
		b = strconv.AppendInt(b, int64(e.ZoneID), 10)
		b = append(b, "}}"...)
	}
	return append(b, `],"max":60000,"metricAddedByIPSLA":0}}`...)
}
