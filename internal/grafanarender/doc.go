// Package grafanarender asks a Grafana server to render a dashboard (or one
// panel) to PNG through Grafana's render API, which Grafana serves with the
// help of the grafana-image-renderer service:
//
//	GET {grafana}/render/d/{uid}?var-ec_hostname=HOST&from=now-1h&to=now&width=1600&height=2602&scale=2&kiosk
//	Authorization: Bearer <service-account token>
//
// What it owns: building that URL from a Request, sending it with the token,
// and checking that the answer really is a PNG (Grafana answers a missing or
// wrong token with a login page or a JSON error, sometimes with status 200).
//
// What it must not do: it never logs, and the token never appears in an error
// text, a URL it returns or anything it prints; user information in the base
// URL is redacted the same way.
//
// Concurrency: a Client holds no mutable state and is safe for concurrent
// use.
package grafanarender
