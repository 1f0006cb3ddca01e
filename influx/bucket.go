package influx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// ErrBucketNotFound means the server answered and has no such bucket
// (InfluxDB 2.x) or database (InfluxDB 1.x); find it with errors.Is.
var ErrBucketNotFound = errors.New("not found")

// CheckBucket checks that what the Writer writes to exists: with InfluxDB
// 2.x and an Org, the bucket (GET /api/v2/buckets?org=&name=); otherwise
// (InfluxDB 1.x, or no Org) the database part of Bucket among the answer of
// InfluxQL SHOW DATABASES (GET /query), which is also what Grafana's
// InfluxQL datasource queries. The major version comes from the
// X-Influxdb-Version header of GET /ping. A missing bucket or database is an
// error wrapping ErrBucketNotFound that lists the ones the server has.
func (w *Writer) CheckBucket(ctx context.Context) error {
	status, _, hdr, err := w.request(ctx, "ping", nil)
	if err != nil {
		return err
	}
	if status/100 != 2 {
		return fmt.Errorf("influx: GET /ping: status %d", status)
	}
	if w.opts.Org != "" && strings.HasPrefix(strings.TrimPrefix(hdr.Get("X-Influxdb-Version"), "v"), "2.") {
		return w.checkBucketV2(ctx)
	}
	return w.checkDatabase(ctx)
}

func (w *Writer) checkBucketV2(ctx context.Context) error {
	status, body, _, err := w.request(ctx, "api/v2/buckets", url.Values{"org": {w.opts.Org}, "name": {w.opts.Bucket}})
	if err != nil {
		return err
	}
	var ans struct {
		Buckets []struct {
			Name string `json:"name"`
		} `json:"buckets"`
		Message string `json:"message"`
	}
	jerr := json.Unmarshal(body, &ans)
	switch {
	case status == http.StatusNotFound && ans.Message != "":
		return fmt.Errorf("influx: organization %q %w", w.opts.Org, ErrBucketNotFound)
	case status != http.StatusOK:
		return fmt.Errorf("influx: GET /api/v2/buckets: status %d: %s", status, w.redact(excerpt(body)))
	case jerr != nil:
		return fmt.Errorf("influx: GET /api/v2/buckets: cannot decode the answer: %w", jerr)
	}
	for _, b := range ans.Buckets {
		if b.Name == w.opts.Bucket {
			return nil
		}
	}
	return fmt.Errorf("influx: bucket %q %w in organization %q", w.opts.Bucket, ErrBucketNotFound, w.opts.Org)
}

func (w *Writer) checkDatabase(ctx context.Context) error {
	db, _, _ := strings.Cut(w.opts.Bucket, "/")
	status, body, _, err := w.request(ctx, "query", url.Values{"q": {"SHOW DATABASES"}})
	if err != nil {
		return err
	}
	var ans struct {
		Results []struct {
			Series []struct {
				Values [][]any `json:"values"`
			} `json:"series"`
			Error string `json:"error"`
		} `json:"results"`
		Error string `json:"error"`
	}
	jerr := json.Unmarshal(body, &ans)
	switch {
	case ans.Error != "":
		return fmt.Errorf("influx: SHOW DATABASES: status %d: %s", status, w.redact(ans.Error))
	case status != http.StatusOK:
		return fmt.Errorf("influx: SHOW DATABASES: status %d: %s", status, w.redact(excerpt(body)))
	case jerr != nil:
		return fmt.Errorf("influx: SHOW DATABASES: cannot decode the answer: %w", jerr)
	}
	var have []string
	for _, r := range ans.Results {
		if r.Error != "" {
			return fmt.Errorf("influx: SHOW DATABASES: %s", w.redact(r.Error))
		}
		for _, s := range r.Series {
			for _, v := range s.Values {
				if len(v) > 0 {
					name := fmt.Sprint(v[0])
					if name == db {
						return nil
					}
					have = append(have, name)
				}
			}
		}
	}
	if len(have) == 0 {
		return fmt.Errorf("influx: database %q %w; the server has none", db, ErrBucketNotFound)
	}
	return fmt.Errorf("influx: database %q %w; the server has %s", db, ErrBucketNotFound, strings.Join(have, ", "))
}

// request sends an authenticated GET of path under the server URL and reads
// at most 64 KiB of the answer.
func (w *Writer) request(ctx context.Context, path string, query url.Values) (int, []byte, http.Header, error) {
	base, err := url.Parse(strings.TrimSuffix(w.opts.URL, "/") + "/")
	if err != nil {
		return 0, nil, nil, fmt.Errorf("influx: %w", err)
	}
	u := base.JoinPath(path)
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("influx: %s", w.redact(err.Error()))
	}
	if w.opts.Token != "" {
		req.Header.Set("Authorization", "Token "+w.opts.Token)
	}
	resp, err := w.hc.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return 0, nil, nil, fmt.Errorf("influx: GET /%s: %w", path, ctxErr)
		}
		return 0, nil, nil, &healthError{msg: "influx: " + w.redact(err.Error()), err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("influx: GET /%s: read the answer: %s", path, w.redact(err.Error()))
	}
	return resp.StatusCode, body, resp.Header, nil
}

// excerpt is the start of an error body, on one line.
func excerpt(b []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "?")), " ")
	if len(s) > maxMessage {
		s = s[:maxMessage] + "..."
	}
	return s
}
