package edgeconnect_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
)

// newExampleAppliance serves a tiny fake ECOS on loopback: login, the
// minute range, one minute archive and the tunnel ids.
func newExampleAppliance() *httptest.Server {
	var archive bytes.Buffer
	gz := gzip.NewWriter(&archive)
	tw := tar.NewWriter(gz)
	for _, name := range []string{"st2-1736503200/interface_v2.txt", "st2-1736503200/tunnel_v2.txt"} {
		body := []byte("line\n")
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body))})
		tw.Write(body)
	}
	tw.Close()
	gz.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("POST /rest/json/login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "vxoaSessionID", Value: "s1", Path: "/"})
		http.SetCookie(w, &http.Cookie{Name: "edgeosCsrfToken", Value: "t1", Path: "/"})
	})
	mux.HandleFunc("GET /rest/json/logout", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("GET /rest/json/stats/minuteRange", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"newest": "1736503200", "oldest": 1736416860}`)
	})
	mux.HandleFunc("GET /rest/json/stats/minuteStats/st2-1736503200.tgz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/gzip")
		w.Write(archive.Bytes())
	})
	mux.HandleFunc("GET /rest/json/tunnelAllIDs", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("state") == "Up" {
			fmt.Fprint(w, `["tunnel_12"]`)
			return
		}
		fmt.Fprint(w, `["tunnel_12", "tunnel_13"]`)
	})
	return httptest.NewTLSServer(mux)
}

// The client logs in on its first request, streams the newest minute
// archive without touching the disk, and logs out.
func Example() {
	srv := newExampleAppliance()
	defer srv.Close()

	c, err := edgeconnect.New(edgeconnect.Options{
		Address:   srv.Listener.Addr().String(), // "10.1.1.1" in real life: port 443
		User:      "admin",
		Password:  "admin",
		Transport: srv.Client().Transport, // trusts the test server's certificate
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	defer c.Logout(ctx)

	r, err := c.MinuteRange(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("newest minute:", r.Newest)

	rc, err := c.MinuteStats(ctx, r.Newest)
	if err != nil {
		log.Fatal(err)
	}
	defer rc.Close()
	gz, err := gzip.NewReader(rc)
	if err != nil {
		log.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("member:", h.Name)
	}

	all, err := c.TunnelIDs(ctx, edgeconnect.TunnelUnderlay, "")
	if err != nil {
		log.Fatal(err)
	}
	up, err := c.TunnelIDs(ctx, edgeconnect.TunnelUnderlay, "Up")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("underlay tunnels: %d, up: %d\n", len(all), len(up))
	// Output:
	// newest minute: 1736503200
	// member: st2-1736503200/interface_v2.txt
	// member: st2-1736503200/tunnel_v2.txt
	// underlay tunnels: 2, up: 1
}

// One transport carries the requests of every appliance; each Client keeps
// its own session.
func ExampleNewTransport() {
	tr, err := edgeconnect.NewTransport(edgeconnect.TransportOptions{InsecureSkipVerify: true})
	if err != nil {
		log.Fatal(err)
	}
	defer tr.CloseIdleConnections()
	for _, addr := range []string{"10.1.1.10", "10.1.2.10:8443", "2001:db8::10"} {
		c, err := edgeconnect.New(edgeconnect.Options{Address: addr, User: "monitor", Password: "secret", Transport: tr})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(c.Address())
	}
	// Output:
	// 10.1.1.10:443
	// 10.1.2.10:8443
	// [2001:db8::10]:443
}
