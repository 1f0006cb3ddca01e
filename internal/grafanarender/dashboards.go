package grafanarender

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// Grafana's dashboard grid: every grid unit of height is a 30 px row plus
// an 8 px gap.
const (
	gridRowPixels = 30
	gridGapPixels = 8
	// pageMargin is the space kiosk mode keeps above and below the grid.
	pageMargin = 64
)

// FullPage as a height asks the renderer for a full-page screenshot: it
// scrolls through the whole dashboard and captures all of it, however tall.
const FullPage = -1

// DefaultPanelHeight is the height of a single-panel render (Panel set)
// when none is given.
const DefaultPanelHeight = 600

// Dashboard is one dashboard of the repository's grafana/dashboards folder,
// described as far as rendering needs it.
type Dashboard struct {
	UID   string
	Title string
	// GridBottom is the lowest edge of the top-level panels in grid units
	// (the largest gridPos.y + gridPos.h).
	GridBottom int
	// Repeats is set when a panel or row repeats for each value of a
	// variable: the dashboard then grows with the variables' values.
	Repeats bool
}

// Height is the image height that holds the whole dashboard: FullPage when
// panels repeat (the height depends on the variables' values), otherwise
// the height of its grid in pixels.
func (d Dashboard) Height() int {
	if d.Repeats {
		return FullPage
	}
	return d.gridHeight()
}

// gridHeight is the height of the grid as saved, each repeated panel once.
func (d Dashboard) gridHeight() int {
	return d.GridBottom*(gridRowPixels+gridGapPixels) - gridGapPixels + pageMargin
}

// Dashboards returns the dashboards shipped in grafana/dashboards, sorted by
// uid. A test keeps the list equal to the folder.
func Dashboards() []Dashboard { return slices.Clone(shipped) }

// Lookup returns the shipped dashboard with that uid.
func Lookup(uid string) (Dashboard, bool) {
	for _, d := range shipped {
		if d.UID == uid {
			return d, true
		}
	}
	return Dashboard{}, false
}

// UIDs returns the uids of the shipped dashboards, sorted.
func UIDs() []string {
	uids := make([]string, len(shipped))
	for i, d := range shipped {
		uids[i] = d.UID
	}
	return uids
}

// ParseDashboard reads the uid, title and layout of a dashboard JSON as
// Grafana exports it.
func ParseDashboard(b []byte) (Dashboard, error) {
	var j struct {
		UID    string `json:"uid"`
		Title  string `json:"title"`
		Panels []struct {
			Repeat  string `json:"repeat"`
			GridPos struct {
				Y, H int
			} `json:"gridPos"`
			Panels []struct {
				Repeat string `json:"repeat"`
			} `json:"panels"` // inside a collapsed row: hidden until expanded
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return Dashboard{}, fmt.Errorf("parse dashboard: %w", err)
	}
	if j.UID == "" {
		return Dashboard{}, errors.New("parse dashboard: no uid")
	}
	d := Dashboard{UID: j.UID, Title: j.Title}
	for _, p := range j.Panels {
		d.GridBottom = max(d.GridBottom, p.GridPos.Y+p.GridPos.H)
		if p.Repeat != "" {
			d.Repeats = true
		}
		for _, c := range p.Panels {
			if c.Repeat != "" {
				d.Repeats = true
			}
		}
	}
	return d, nil
}
