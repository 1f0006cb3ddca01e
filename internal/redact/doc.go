// Package redact keeps secrets out of everything ec-telemetry prints: it
// hides the userinfo of URLs (URL, URLSecrets), lists every encoding of a
// secret a value can take on its way into a log line (Forms: raw,
// JSON-escaped at any depth up to MaxDepth, URL-encoded, HTML-escaped,
// base64), replaces all of them in a text (Replacer), and finds the values
// of secret-bearing JSON keys such as "password" or "apiKey" in a cut
// excerpt of a JSON body (MarkJSONKeys).
//
// It is a leaf package (standard library only) so every package may use
// it, the REST clients included. It never logs. Everything in it is safe
// for concurrent use; a Replacer is immutable once built.
package redact
