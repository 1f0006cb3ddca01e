package telemetry

import (
	"fmt"
	"strings"
)

// Markdown renders the schema as the Markdown reference kept in
// docs/metrics.md: one section per measurement with its source, timestamp,
// tags and typed fields.
func Markdown() string {
	var b strings.Builder
	for _, s := range Schema {
		title := s.Name
		if s.New {
			title += " (new)"
		}
		fmt.Fprintf(&b, "### %s\n\n", title)
		fmt.Fprintf(&b, "Source: %s. Time: %s.\n\n", s.Source, s.Time)
		tags := append(append([]string(nil), CommonTags...), s.Tags...)
		fmt.Fprintf(&b, "Tags: %s.\n\n", "`"+strings.Join(tags, "`, `")+"`")
		b.WriteString("| field | type | unit | new |\n|---|---|---|---|\n")
		for _, f := range s.Fields {
			isNew := ""
			if f.New || s.New {
				isNew = "yes"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", f.Name, f.Type, f.Unit, isNew)
		}
		b.WriteString("\n")
	}
	return b.String()
}
