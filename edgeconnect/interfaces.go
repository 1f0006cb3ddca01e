package edgeconnect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/ec-telemetry/ec-telemetry/internal/apijson"
)

// NetworkInterface is one entry of ifInfo[] in GET /networkInterfaces: the
// appliance's own view of an interface's admin and link state.
type NetworkInterface struct {
	Name    string // ifname, e.g. "wan0", "lan0", "wan0.v100"
	AdminUp bool   // admin (true or 1 = up)
	OperUp  bool   // oper: link state
	// AdminKnown and OperKnown are false when the appliance left the key
	// out; the state is then unknown, not down.
	AdminKnown, OperKnown bool
	// Speed is the speed as sent (speed, else ifSpeed), e.g.
	// "1000Mb/s (auto)"; a JSON number is kept as its decimal text.
	Speed string
	// SpeedMbps is Speed in Mbit/s when its unit is known: a number with
	// Kb/s, Mb/s or Gb/s, or a JSON number (bit/s). SpeedKnown is false
	// otherwise (a bare "1000" has no stated unit).
	SpeedMbps  float64
	SpeedKnown bool
	Duplex     string // duplex (negotiated, "full (auto)"), else ifDuplex (configured)
	MTU        int64  // 0 when not sent
	Label      string // interface label id ("" or "0": none)
	WAN, LAN   bool   // wan-if, lan-if role flags
}

// NetworkInterfaces returns the interfaces of the appliance:
// GET /networkInterfaces (ECOS 9.x). The Orchestrator's
// GET /interfaceState?nePk= carries the same ifInfo[] entries but exists only
// on the Orchestrator; this appliance path also works through the
// Orchestrator's REST pass-through. ifInfo is required and every entry needs
// an ifname.
func (c *Client) NetworkInterfaces(ctx context.Context) ([]NetworkInterface, error) {
	return getJSON(ctx, c, call{method: http.MethodGet, path: "/networkInterfaces"}, parseNetworkInterfaces)
}

func parseNetworkInterfaces(b []byte) ([]NetworkInterface, error) {
	var w struct {
		IfInfo *[]*struct {
			IfName   apijson.String  `json:"ifname"`
			Admin    apijson.Bool    `json:"admin"`
			Oper     apijson.Bool    `json:"oper"`
			Speed    json.RawMessage `json:"speed"`
			IfSpeed  json.RawMessage `json:"ifSpeed"`
			Duplex   apijson.String  `json:"duplex"`
			IfDuplex apijson.String  `json:"ifDuplex"`
			MTU      apijson.Int     `json:"mtu"`
			Label    apijson.String  `json:"label"`
			WAN      apijson.Bool    `json:"wan-if"`
			LAN      apijson.Bool    `json:"lan-if"`
		} `json:"ifInfo"`
	}
	if err := unmarshal(b, &w); err != nil {
		return nil, err
	}
	if w.IfInfo == nil {
		return nil, errors.New("missing or null keys: ifInfo")
	}
	out := make([]NetworkInterface, 0, len(*w.IfInfo))
	for i, e := range *w.IfInfo {
		if e == nil || e.IfName.Value == "" {
			return nil, fmt.Errorf("ifInfo[%d]: missing ifname", i)
		}
		raw := e.Speed
		if isNull(raw) {
			raw = e.IfSpeed
		}
		speed, mbps, known, err := parseSpeed(raw)
		if err != nil {
			return nil, fmt.Errorf("ifInfo[%d] (%s): speed: %w", i, e.IfName.Value, err)
		}
		duplex := e.Duplex.Value
		if duplex == "" {
			duplex = e.IfDuplex.Value
		}
		out = append(out, NetworkInterface{
			Name: e.IfName.Value, AdminUp: e.Admin.Value, OperUp: e.Oper.Value,
			AdminKnown: e.Admin.Valid, OperKnown: e.Oper.Valid,
			Speed: speed, SpeedMbps: mbps, SpeedKnown: known, Duplex: duplex,
			MTU: e.MTU.Value, Label: e.Label.Value, WAN: e.WAN.Value, LAN: e.LAN.Value,
		})
	}
	return out, nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

// parseSpeed reads a speed sent as a JSON number (bit/s) or as a string
// such as "1000Mb/s (auto)" or "10Gb/s". It returns the text as sent, the
// speed in Mbit/s and whether the unit was known. Other JSON kinds are
// errors.
func parseSpeed(raw json.RawMessage) (text string, mbps float64, known bool, err error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return "", 0, false, nil
	}
	switch t[0] {
	case '"':
		if err := json.Unmarshal(t, &text); err != nil {
			return "", 0, false, err
		}
		mbps, known = speedText(text)
		return text, mbps, known, nil
	case '{', '[', 't', 'f':
		return "", 0, false, errors.New("want a number or a string")
	}
	v, err := strconv.ParseFloat(string(t), 64)
	if err != nil || v < 0 || v > 1e15 {
		return "", 0, false, errors.New("want a non-negative number of bit/s")
	}
	return string(t), v / 1e6, true, nil
}

// speedUnits are the unit suffixes speedText understands, in Mbit/s.
var speedUnits = []struct {
	suffix string
	mbps   float64
}{{"kb/s", 0.001}, {"mb/s", 1}, {"gb/s", 1000}, {"kbps", 0.001}, {"mbps", 1}, {"gbps", 1000}}

// speedText reads "<number><unit>" at the start of s ("1000Mb/s (auto)");
// anything without a known unit gives known=false.
func speedText(s string) (mbps float64, known bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	if i == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(s[:i], 64)
	if err != nil || v > 1e9 {
		return 0, false
	}
	rest := strings.TrimSpace(s[i:])
	for _, u := range speedUnits {
		if strings.HasPrefix(rest, u.suffix) {
			return v * u.mbps, true
		}
	}
	return 0, false
}
