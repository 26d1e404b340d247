package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/connectors/halopsa/halosandbox"
)

// haloReport is what an eval with --halo-sandbox adds: what the sink
// created in the emulator against the file's true persons.
type haloReport struct {
	TruePersons int   `json:"true_persons"`
	Users       int   `json:"users"`
	Tickets     int   `json:"tickets"`
	Clients     int   `json:"clients"`
	Requests    int64 `json:"requests"`
	RateLimited int64 `json:"rate_limited"`
}

// evalSandbox is an in-process HaloPSA emulator and a client for it.
type evalSandbox struct {
	sb  *halosandbox.Server
	srv *http.Server
	c   *halopsa.Client
}

// startEvalSandbox serves the emulator on a free local port with the
// tenant's default limit (300 requests per 5 minutes).
func startEvalSandbox() (*evalSandbox, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("halo sandbox: %w", err)
	}
	sb := halosandbox.New(halosandbox.Options{})
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the eval fails on its own when the sandbox is gone
		}
	}()
	opts := halopsa.DefaultOptions()
	opts.BaseURL, opts.ClientID, opts.ClientSecret = "http://"+ln.Addr().String(), "sandbox-client", "sandbox-secret"
	opts.BatchSize = defaultHaloBatch
	c, err := halopsa.New(opts)
	if err != nil {
		_ = srv.Close()
		return nil, err
	}
	return &evalSandbox{sb: sb, srv: srv, c: c}, nil
}

func (e *evalSandbox) report(truth map[string]string) *haloReport {
	persons := map[string]bool{}
	for _, ent := range truth {
		persons[ent] = true
	}
	st := e.c.Stats()
	return &haloReport{TruePersons: len(persons), Users: e.sb.Count("Users"), Tickets: e.sb.Count("Tickets"),
		Clients: e.sb.Count("Client"), Requests: st.Requests, RateLimited: st.RateLimited}
}

func (e *evalSandbox) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = e.srv.Shutdown(ctx)
}
