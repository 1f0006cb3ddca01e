// Package config loads ec-telemetry's configuration from the environment
// (the Python demo's variable names first, then ours), reads the *_FILE
// variants of secrets, validates everything at once, and reads and writes
// limit_appliances.json.
//
// It is a leaf: it does no network I/O and never logs. A Config is a plain
// value, safe to copy and to share read-only.
package config
