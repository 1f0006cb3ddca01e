package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/ec-telemetry/ec-telemetry/internal/apijson"
)

// License is the Cloud Portal licensing of one appliance.
type License struct {
	ApplianceID       string // nePk, joins Appliance.ID; always set
	ID                string
	Enabled           bool
	Hostname          string
	IsPortalLicensed  bool
	Model             string
	Serial            string
	PortalLicenseType int64
	SaaSEnabled       bool
	ExpirationDate    int64 // as sent (epoch seconds in the examples)
	Licenses          Licenses
}

// Licenses is the licenses object of a License.
type Licenses struct {
	FX FXLicense
}

// FXLicense is licenses.fx.
type FXLicense struct {
	Base, Mini, Plus bool         // {base,mini,plus}.enable
	Tier             *LicenseTier // nil when licenses.fx.tier is absent or null
	Boost            *Boost       // nil when licenses.fx.boost is absent or null
}

// LicenseTier is licenses.fx.tier.
type LicenseTier struct {
	Display   string // e.g. "1 Gbps"
	Bandwidth int64  // licensed bandwidth, Kbps per the dashboards
}

// Boost is licenses.fx.boost.
type Boost struct {
	Enable    bool
	Bandwidth int64 // Mbps
}

// Tier returns the license tier and whether the appliance has one.
func (l License) Tier() (LicenseTier, bool) {
	if l.Licenses.FX.Tier == nil {
		return LicenseTier{}, false
	}
	return *l.Licenses.FX.Tier, true
}

// LicensedAppliances lists the Cloud-Portal-licensed appliances:
// GET /license/portal/appliance. An entry without licenses.fx.tier decodes
// with a nil Tier instead of failing the list.
func (c *Client) LicensedAppliances(ctx context.Context) ([]License, error) {
	return getJSON(ctx, c, call{method: http.MethodGet, path: "/license/portal/appliance"}, parseLicenses)
}

type enableWire struct {
	Enable    apijson.Bool `json:"enable"`
	Bandwidth apijson.Int  `json:"bandwidth"`
}

func parseLicenses(b []byte) ([]License, error) {
	var w []*struct {
		ApplianceID       apijson.String `json:"applianceId"`
		ID                apijson.String `json:"id"`
		Enabled           apijson.Bool   `json:"enabled"`
		Hostname          apijson.String `json:"hostname"`
		IsPortalLicensed  apijson.Bool   `json:"isPortalLicensed"`
		Model             apijson.String `json:"model"`
		Serial            apijson.String `json:"serial"`
		PortalLicenseType apijson.Int    `json:"portalLicenseType"`
		SaaSEnabled       apijson.Bool   `json:"saasEnabled"`
		ExpirationDate    apijson.Int    `json:"expirationDate"`
		Licenses          *struct {
			FX *struct {
				Base  *enableWire `json:"base"`
				Mini  *enableWire `json:"mini"`
				Plus  *enableWire `json:"plus"`
				Boost *enableWire `json:"boost"`
				Tier  *struct {
					Display   apijson.String `json:"display"`
					Bandwidth apijson.Int    `json:"bandwidth"`
				} `json:"tier"`
			} `json:"fx"`
		} `json:"licenses"`
	}
	if err := unmarshal(b, &w); err != nil {
		return nil, err
	}
	if w == nil {
		return nil, errors.New("answer is null, want an array")
	}
	out := make([]License, 0, len(w))
	for i, l := range w {
		if l == nil {
			return nil, fmt.Errorf("license %d is null", i)
		}
		if l.ApplianceID.Value == "" {
			return nil, fmt.Errorf("license %d: missing or null keys: applianceId", i)
		}
		lic := License{
			ApplianceID:       l.ApplianceID.Value,
			ID:                l.ID.Value,
			Enabled:           l.Enabled.Value,
			Hostname:          l.Hostname.Value,
			IsPortalLicensed:  l.IsPortalLicensed.Value,
			Model:             l.Model.Value,
			Serial:            l.Serial.Value,
			PortalLicenseType: l.PortalLicenseType.Value,
			SaaSEnabled:       l.SaaSEnabled.Value,
			ExpirationDate:    l.ExpirationDate.Value,
		}
		if l.Licenses != nil && l.Licenses.FX != nil {
			fx := l.Licenses.FX
			lic.Licenses.FX.Base = enabled(fx.Base)
			lic.Licenses.FX.Mini = enabled(fx.Mini)
			lic.Licenses.FX.Plus = enabled(fx.Plus)
			if fx.Boost != nil {
				lic.Licenses.FX.Boost = &Boost{Enable: fx.Boost.Enable.Value, Bandwidth: fx.Boost.Bandwidth.Value}
			}
			if fx.Tier != nil {
				lic.Licenses.FX.Tier = &LicenseTier{Display: fx.Tier.Display.Value, Bandwidth: fx.Tier.Bandwidth.Value}
			}
		}
		out = append(out, lic)
	}
	return out, nil
}

func enabled(e *enableWire) bool { return e != nil && e.Enable.Value }
