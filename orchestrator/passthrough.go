package orchestrator

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// passthroughPath is the pass-through endpoint below /gms/rest.
const passthroughPath = "/appliance/rest"

// ApplianceRequest is one request relayed to an appliance.
type ApplianceRequest struct {
	Method string // GET or POST
	// Path is the ECOS path below /rest/json without the leading slash,
	// e.g. "memory".
	Path string
	// Query is the encoded appliance query, e.g. "time=0"; "" for none.
	Query  string
	Body   []byte // JSON body of a POST
	Accept string // default application/json
	// Identity asks for the body without transfer compression.
	Identity bool
	// Timeout bounds the exchange and the reading of the body, from the
	// moment the Limiter lets the request go; 0 means the client's Timeout.
	Timeout time.Duration
}

// Passthrough sends one request to the appliance nePk through the
// Orchestrator's appliance REST pass-through, with the Orchestrator's
// credentials only (no appliance login):
// GET|POST /appliance/rest/{nePk}/{path} before 9.3,
// GET|POST /appliance/rest?nePk={nePk}&url={path} from 9.3 on. The form
// follows the release of GET /gmsserver/briefInfo, read once and kept.
//
// The answer is returned whatever its status, with its body open: the
// appliance's statuses come back as the Orchestrator relays them (400 when
// the Orchestrator cannot reach the appliance). The caller must close the
// body, which also ends the request's turn at the Limiter. Only a login
// session is renewed (once, on 401); every other answer is the caller's to
// judge.
func (c *Client) Passthrough(ctx context.Context, nePk string, r ApplianceRequest) (*http.Response, error) {
	cl := call{method: r.Method, path: passthroughPath, body: r.Body, accept: r.Accept, identity: r.Identity}
	if cl.accept == "" {
		cl.accept = "application/json"
	}
	if nePk == "" || strings.ContainsAny(nePk, "/?#") {
		return nil, c.fail(cl, fmt.Errorf("appliance id %q is not a nePk", nePk))
	}
	form, err := c.PathForm(ctx)
	if err != nil {
		return nil, err
	}
	p := strings.TrimPrefix(r.Path, "/")
	if form == FormQuery {
		target := p
		if r.Query != "" {
			target += "?" + r.Query
		}
		cl.query = "nePk=" + url.QueryEscape(nePk) + "&url=" + url.QueryEscape(target)
	} else {
		segs := strings.Split(p, "/")
		for i, s := range segs {
			segs[i] = url.PathEscape(s)
		}
		cl.path = passthroughPath + "/" + url.PathEscape(nePk) + "/" + strings.Join(segs, "/")
		cl.query = r.Query
	}
	timeout := cmpOr(r.Timeout, c.timeout)
	fl, err := c.sess.Exchange(ctx, c.apiKey == "", c.login, func() (*flight, error) {
		return c.send(ctx, cl, timeout)
	})
	if err != nil {
		return nil, err
	}
	fl.Resp.Body = &doneBody{ReadCloser: fl.Resp.Body, done: fl.Done}
	return fl.Resp, nil
}

// doneBody ends a flight when its body is closed.
type doneBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *doneBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}

// SetPathForm fixes the path form, so BriefInfo is not asked for it (for
// an Orchestrator whose release is known).
func (c *Client) SetPathForm(f PathForm) {
	c.formMu.Lock()
	c.form, c.formFixed = f, true
	c.formMu.Unlock()
}

// noteRelease records the release of a briefInfo answer and, unless
// SetPathForm fixed it, the path form it implies.
func (c *Client) noteRelease(release string) {
	c.formMu.Lock()
	c.release = release
	if !c.formFixed {
		c.form = FormFor(release)
	}
	c.formMu.Unlock()
}

// known returns the path form and release known so far.
func (c *Client) known() (PathForm, string) {
	c.formMu.Lock()
	defer c.formMu.Unlock()
	return c.form, c.release
}

// PathForm returns the path form of the Orchestrator's release, from the
// last briefInfo answer (discovery asks for one every cycle), asking for
// one only when none came yet. A failed BriefInfo is returned and asked
// again next time.
func (c *Client) PathForm(ctx context.Context) (PathForm, error) {
	if f, _ := c.known(); f != "" {
		return f, nil
	}
	c.fetchMu.Lock()
	defer c.fetchMu.Unlock()
	if f, _ := c.known(); f != "" {
		return f, nil // another caller's briefInfo answered meanwhile
	}
	if _, err := c.BriefInfo(ctx); err != nil {
		return "", fmt.Errorf("choose the path form: %w", err)
	}
	f, _ := c.known()
	return f, nil
}

// Release is the release of the last briefInfo answer, "" before one.
func (c *Client) Release() string {
	_, r := c.known()
	return r
}

// ApplianceRelay relays requests for one appliance through Passthrough. It
// implements edgeconnect.Relay, so an edgeconnect client built on it
// (edgeconnect.NewRelayed) reads the appliance with the Orchestrator's
// credentials only. It is safe for concurrent use.
type ApplianceRelay struct {
	c    *Client
	nePk string
}

// ApplianceRelay returns the relay to the appliance nePk.
func (c *Client) ApplianceRelay(nePk string) *ApplianceRelay {
	return &ApplianceRelay{c: c, nePk: nePk}
}

// Relay sends one request through Passthrough. header may carry Accept and
// Accept-Encoding: identity; timeout (0: the client's Timeout) starts once
// the Limiter gives the request its turn.
func (r *ApplianceRelay) Relay(ctx context.Context, method, path, query string, body []byte, header http.Header, timeout time.Duration) (*http.Response, error) {
	return r.c.Passthrough(ctx, r.nePk, ApplianceRequest{Method: method, Path: path, Query: query, Body: body,
		Accept: header.Get("Accept"), Identity: header.Get("Accept-Encoding") == "identity", Timeout: timeout})
}

// Name is "<nePk> via <orchestrator host>", for error messages.
func (r *ApplianceRelay) Name() string { return r.nePk + " via " + r.c.host }

// Secrets returns what must never reach an error message: the API key, the
// password and the session cookies of the Orchestrator client.
func (r *ApplianceRelay) Secrets() []string { return r.c.secrets() }
