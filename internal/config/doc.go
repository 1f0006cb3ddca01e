// Package config loads ec-telemetry's configuration from the environment
// (the Python demo's variable names first, then ours), reads the *_FILE
// variants of secrets, reports every problem at once (values that do not
// parse, then validation), says which variables each role reads
// (Variables), knows example.env's placeholders (ExamplePlaceholders), and
// reads and writes limit_appliances.json.
//
// It is a leaf: it does no network I/O and never logs. A Config is a plain
// value, safe to copy and to share read-only.
package config
