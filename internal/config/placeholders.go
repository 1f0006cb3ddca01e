package config

import (
	"regexp"
	"slices"
	"strings"
)

// ExamplePlaceholders are the placeholder values example.env gives the
// variables of PlaceholderVariables. It must match example.env: a test reads
// example.env and fails when a placeholder there is missing here. Keep the
// values of older example.env versions too: env files copied from them are
// still in use.
var ExamplePlaceholders = []string{
	"changeme-orchestrator", "changeme-orch-api-key", "changeme-ec-user", "changeme-ec-password",
	"changeme-db-token", "changeme-db-password", "changeme-grafana-password", "changeme-renderer-token",
	// example.env before the changeme prefix.
	"<orchestrator_ip_or_fqdn>", "<orch_api_key>", "<ec_username>", "<edgeconnect_password>",
	"<database_token>", "<database_password>", "<renderer_token>",
}

// PlaceholderVariables are the variables whose value check refuses when it is
// one of ExamplePlaceholders, starts with "changeme" or is any other value in
// <angle brackets>: the
// addresses, users and secrets a deployment must fill in. RENDERER_TOKEN,
// GRAFANA_PW and GRAFANA_TOKEN are read by docker compose and render, not
// by Config.
var PlaceholderVariables = []string{
	"ORCH_URL", "ORCH_API_KEY", "ORCH_USER", "ORCH_PW", "EC_USER", "EC_PW",
	"DB_URL", "DB_TOKEN", "DB_PW", "REDIS_PASSWORD", "RENDERER_TOKEN", "GRAFANA_TOKEN", "GRAFANA_PW",
}

// angleBracketed matches example.env's placeholder style: "<what to put>".
var angleBracketed = regexp.MustCompile(`^<[^<>]*>$`)

// IsPlaceholder reports whether v is a placeholder rather than a real value.
func IsPlaceholder(v string) bool {
	return slices.Contains(ExamplePlaceholders, v) || strings.HasPrefix(v, "changeme") || angleBracketed.MatchString(v)
}

// Placeholders returns the variables of PlaceholderVariables whose value,
// read through lookup, is still a placeholder.
func Placeholders(lookup func(string) (string, bool)) []string {
	var out []string
	for _, name := range PlaceholderVariables {
		if v, ok := lookup(name); ok && IsPlaceholder(v) {
			out = append(out, name)
		}
	}
	return out
}
