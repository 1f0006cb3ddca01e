package telemetry

import (
	"fmt"
	"strings"
)

// Markdown renders the schema as the Markdown reference kept in
// docs/metrics.md: one section per measurement with its source, timestamp,
// tags and typed fields, then the tag cardinality table and the OTLP
// metric names.
func Markdown() string {
	var b strings.Builder
	for _, s := range Schema {
		title := s.Name
		if s.New {
			title += " (new)"
		}
		fmt.Fprintf(&b, "### %s\n\n", title)
		fmt.Fprintf(&b, "Source: %s. Time: %s.\n\n", s.Source, s.Time)
		tags := append(append([]string(nil), s.IdentityTags()...), s.Tags...)
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
	b.WriteString(cardinalityMarkdown())
	b.WriteString(otelMarkdown())
	return b.String()
}

// cardinalityMarkdown renders TagBounds: every tag key, its bound class,
// its values and the measurements that carry it.
func cardinalityMarkdown() string {
	var b strings.Builder
	b.WriteString("### Tag cardinality\n\n")
	b.WriteString("Every tag key, what bounds its values and what grows with the fleet. ")
	b.WriteString("Bounds: fixed (a closed set, does not grow), fleet (one value per appliance), ")
	b.WriteString("configuration (per appliance, limited by its hardware and configuration), ")
	b.WriteString("user-defined (per appliance, whatever operators configure). ")
	b.WriteString("A test fails for a tag key without a declared bound.\n\n")
	b.WriteString("| tag | bound | values | measurements |\n|---|---|---|---|\n")
	for _, tb := range TagBounds {
		var ms []string
		for _, s := range Schema {
			if s.HasTag(tb.Key) {
				ms = append(ms, s.Name)
			}
		}
		where := "`" + strings.Join(ms, "`, `") + "`"
		if len(ms) == len(Schema) {
			where = "all"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", tb.Key, tb.Bound, tb.Values, where)
	}
	b.WriteString("\n")
	return b.String()
}
