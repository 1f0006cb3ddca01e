package edgeconnect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/restapi"
)

// Relay carries a Client's requests to the appliance through another
// server, such as the Orchestrator's appliance REST pass-through
// (*orchestrator.ApplianceRelay implements it), with that server's
// credentials. A relayed Client never logs in to the appliance.
// Implementations must be safe for concurrent use.
type Relay interface {
	// Relay sends one request and returns the answer, whatever its status,
	// with its body open; the caller closes the body. path is the ECOS path
	// below /rest/json without the leading slash ("memory",
	// "stats/minuteStats/st2-1735689600.tgz"), query the encoded appliance
	// query ("time=0", "" for none, never the source marker), body the JSON
	// body of a POST (nil otherwise); header holds Accept and, for archives,
	// Accept-Encoding: identity. timeout bounds the exchange and the reading
	// of the body; it starts when the relay sends, so time spent waiting
	// for the relay's own pacing does not count against it (ctx still
	// bounds everything).
	Relay(ctx context.Context, method, path, query string, body []byte, header http.Header, timeout time.Duration) (*http.Response, error)
	// Name identifies the relay and the appliance in error messages, e.g.
	// "3.NE via orch.example.net"; it holds no secret.
	Name() string
	// Secrets lists values that must never reach an error message (the
	// relay's API key, password, cookies).
	Secrets() []string
}

// RelayOptions configures NewRelayed. Relay and ApplianceID are required;
// the bounds default as in Options.
type RelayOptions struct {
	Relay            Relay
	ApplianceID      string // nePk, e.g. "3.NE"
	Timeout          time.Duration
	ArchiveTimeout   time.Duration
	MaxResponseBytes int64
	MaxArchiveBytes  int64
}

// NewRelayed builds a client whose every request goes through o.Relay
// instead of a direct HTTPS connection to the appliance. Every method works
// the same as on a direct client, with the same answers and errors, except
// that Login and Logout do nothing: the relay's credentials are the only
// ones sent. Errors name the appliance as o.Relay.Name().
func NewRelayed(o RelayOptions) (*Client, error) {
	if o.Relay == nil {
		return nil, errors.New("edgeconnect: relay is required")
	}
	if strings.TrimSpace(o.ApplianceID) == "" {
		return nil, errors.New("edgeconnect: appliance id is required with a relay")
	}
	c := &Client{
		host:           o.Relay.Name(),
		relay:          o.Relay,
		timeout:        cmpOr(o.Timeout, DefaultTimeout),
		archiveTimeout: cmpOr(o.ArchiveTimeout, DefaultArchiveTimeout),
		maxBody:        cmpOr(o.MaxResponseBytes, DefaultMaxResponseBytes),
		maxArchive:     cmpOr(o.MaxArchiveBytes, DefaultMaxArchiveBytes),
		sess:           restapi.NewSession(),
	}
	c.ep = restapi.Endpoint[service]{Host: c.host, Secrets: c.secrets}
	return c, nil
}

// Relayed reports whether the client sends through a Relay.
func (c *Client) Relayed() bool { return c.relay != nil }

// sendRelayed is send for a relayed client: the request goes to the relay,
// which applies the deadline.
func (c *Client) sendRelayed(ctx context.Context, cl call, timeout time.Duration) (*flight, error) {
	if err := ctx.Err(); err != nil {
		return nil, c.fail(cl, err)
	}
	h := http.Header{"Accept": {cl.accept}}
	if cl.identity {
		h.Set("Accept-Encoding", "identity")
	}
	// The relay applies timeout once it sends; rctx only ends the
	// request when the body is done with.
	rctx, cancel := context.WithCancel(ctx)
	resp, err := c.relay.Relay(rctx, cl.method, strings.TrimPrefix(cl.path, "/"), cl.query, cl.body, h, timeout)
	if err != nil {
		cancel()
		return nil, c.transportError(ctx, cl, timeout, "", err)
	}
	if resp == nil || resp.Body == nil {
		cancel()
		return nil, c.fail(cl, fmt.Errorf("relay %s returned no answer", c.host))
	}
	return &flight{Resp: resp, Ctx: rctx, Done: cancel}, nil
}
