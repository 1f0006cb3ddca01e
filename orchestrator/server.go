package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/ec-telemetry/ec-telemetry/internal/apijson"
)

// BriefInfo is the answer of GET /gmsserver/briefInfo.
type BriefInfo struct {
	Release         string // e.g. "9.3.2.40201"
	Uptime          string // human readable, e.g. "12d 4h 3m"
	Time            string
	TimeZone        string
	InContainerMode bool
}

// Version returns the first two numbers of Release ("9.3.2.40201" → 9, 3).
func (b BriefInfo) Version() (major, minor int, ok bool) {
	parts := strings.SplitN(strings.TrimSpace(b.Release), ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || major < 0 || minor < 0 {
		return 0, 0, false
	}
	return major, minor, true
}

// BriefInfo returns the Orchestrator's release and uptime:
// GET /gmsserver/briefInfo. release is required.
// Every answer also updates the path form the client uses (PathForm).
func (c *Client) BriefInfo(ctx context.Context) (BriefInfo, error) {
	bi, err := getJSON(ctx, c, call{method: http.MethodGet, path: "/gmsserver/briefInfo"}, parseBriefInfo)
	if err == nil {
		c.noteRelease(bi.Release)
	}
	return bi, err
}

func parseBriefInfo(b []byte) (BriefInfo, error) {
	var w struct {
		Release         apijson.String `json:"release"`
		Uptime          apijson.String `json:"uptime"`
		Time            apijson.String `json:"time"`
		TimeZone        apijson.String `json:"timeZone"`
		InContainerMode apijson.Bool   `json:"inContainerMode"`
	}
	if err := unmarshal(b, &w); err != nil {
		return BriefInfo{}, err
	}
	var chk apijson.Checker
	bi := BriefInfo{
		Release:         chk.String("release", w.Release),
		Uptime:          w.Uptime.Value,
		Time:            w.Time.Value,
		TimeZone:        w.TimeZone.Value,
		InContainerMode: w.InContainerMode.Value,
	}
	if err := chk.Err(); err != nil {
		return BriefInfo{}, err
	}
	return bi, nil
}

// ErrServerFault: GET /gmsserver/hello answered 200 with the text "There was
// an internal server error.", the Orchestrator's way of failing there.
var ErrServerFault = errors.New("orchestrator reports an internal server error")

// helloFault is the body the demo treated as a failed hello.
const helloFault = "There was an internal server error."

// Hello probes the Orchestrator: GET /gmsserver/hello, answered with a short
// plain-text message that is returned trimmed. A 200 carrying the text
// "There was an internal server error." wraps ErrServerFault; an HTML page
// is a *DecodeError. Whether hello checks the API key is unknown, so a
// successful Hello does not prove the credentials; BriefInfo or Appliances
// do.
func (c *Client) Hello(ctx context.Context) (string, error) {
	cl := call{method: http.MethodGet, path: "/gmsserver/hello", accept: "text/plain, application/json, */*"}
	fl, err := c.exchange(ctx, cl, c.timeout)
	if err != nil {
		return "", err
	}
	defer fl.Done()
	defer fl.Resp.Body.Close()
	ct := fl.Resp.Header.Get("Content-Type")
	if mt, _, _ := mime.ParseMediaType(ct); mt == "text/html" || mt == "application/xhtml+xml" {
		return "", c.decodeError(cl, ct, c.readHead(fl.Resp.Body), -1, fmt.Errorf("content type %q is not text", ct))
	}
	b, err := c.readBody(ctx, cl, fl, c.maxBody)
	if err != nil {
		return "", err
	}
	text := strings.TrimSpace(string(b))
	if text == helloFault {
		return "", c.fail(cl, ErrServerFault)
	}
	return text, nil
}
