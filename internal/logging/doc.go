// Package logging builds the process's root zerolog logger: JSON (or
// console) lines on stdout, and optionally the Python demo's human log file,
// one line per event in its layout
//
//	<time> - <LEVEL> - cid: <container id> - <hostname> @ <ip> - <elapsed>: <message>
//
// rotated by size. Every byte written passes a redactor that replaces known
// secret values in every encoding they can take (raw, JSON-escaped at any
// depth, URL-encoded, HTML-escaped, base64; see internal/redact), as a last
// line of defence: code must not log secrets in the first place.
//
// Loggers and writers built here are safe for concurrent use.
package logging
