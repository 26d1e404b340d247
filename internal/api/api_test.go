package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/pipeline"
)

// fakeProducer records what it is asked to produce.
type fakeProducer struct {
	mu   sync.Mutex
	recs []*kgo.Record
	err  error
}

func (f *fakeProducer) ProduceSync(_ context.Context, rs ...*kgo.Record) kgo.ProduceResults {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out kgo.ProduceResults
	for _, r := range rs {
		if f.err == nil {
			f.recs = append(f.recs, r)
		}
		out = append(out, kgo.ProduceResult{Record: r, Err: f.err})
	}
	return out
}

const (
	user   = "halo"
	pass   = "s3cret-pass"
	token  = "t0ken-value"
	single = `{"id":"d-1","webhook_id":"w","notification_id":41,"event":"ticket status changed","object_id":4242,"agent_id":3,"timestamp":"2026-09-25T06:41:08.7895915Z","ticket":{"id":4242,"status_id":2}}`
	batch  = `[{"id":"d-2","event":"ticket updated","object_id":7},{"id":"d-3","event":"new ticket logged","object_id":"8"}]`
)

func TestWebhook(t *testing.T) {
	var logs bytes.Buffer
	for _, tc := range []struct {
		name     string
		target   string
		body     string
		ctype    string
		header   map[string]string
		basic    []string
		prodErr  error
		status   int
		code     string
		received int
		keys     []string
	}{
		{name: "basic auth, one envelope", body: single, basic: []string{user, pass}, status: 200, received: 1, keys: []string{"4242"}},
		{name: "token query, batch", target: "?token=" + token, body: batch, status: 200, received: 2, keys: []string{"7", "8"}},
		{name: "token header", body: single, header: map[string]string{"X-Leadstream-Token": token}, status: 200, received: 1, keys: []string{"4242"}},
		{name: "charset in content type", body: single, ctype: "application/json; charset=utf-8", basic: []string{user, pass}, status: 200, received: 1},
		{name: "empty batch", body: `[]`, basic: []string{user, pass}, status: 200, received: 0},
		{name: "no credentials", body: single, status: 401, code: CodeAuthentication},
		{name: "wrong password", body: single, basic: []string{user, "nope"}, status: 401, code: CodeAuthentication},
		{name: "wrong user", body: single, basic: []string{"someone", pass}, status: 401, code: CodeAuthentication},
		{name: "wrong token", target: "?token=nope", body: single, status: 401, code: CodeAuthentication},
		{name: "password as token", target: "?token=" + pass, body: single, status: 401, code: CodeAuthentication},
		{name: "not json content type", body: single, ctype: "text/plain", basic: []string{user, pass}, status: 415, code: CodeUnsupportedMediaType},
		{name: "missing content type", body: single, ctype: "-", basic: []string{user, pass}, status: 415, code: CodeUnsupportedMediaType},
		{name: "broken json", body: `{"id":`, basic: []string{user, pass}, status: 400, code: CodeInvalidJSON},
		{name: "scalar body", body: `"hello"`, basic: []string{user, pass}, status: 400, code: CodeValidation},
		{name: "array of scalars", body: `[1,2]`, basic: []string{user, pass}, status: 400, code: CodeValidation},
		{name: "too large", body: `{"id":"x","pad":"` + strings.Repeat("a", MaxWebhookBody) + `"}`, basic: []string{user, pass}, status: 413, code: CodePayloadTooLarge},
		{name: "broker down", body: single, basic: []string{user, pass}, prodErr: errors.New("no brokers"), status: 503, code: CodeServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prod := &fakeProducer{err: tc.prodErr}
			srv, err := New(Options{Producer: prod, Namespace: "ns", Webhook: WebhookAuth{User: user, Password: pass, Token: token},
				Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodPost, WebhookPath+tc.target, strings.NewReader(tc.body))
			switch tc.ctype {
			case "":
				req.Header.Set("Content-Type", "application/json")
			case "-":
			default:
				req.Header.Set("Content-Type", tc.ctype)
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			if tc.basic != nil {
				req.SetBasicAuth(tc.basic[0], tc.basic[1])
			}
			rw := httptest.NewRecorder()
			srv.ServeHTTP(rw, req)
			if rw.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rw.Code, tc.status, rw.Body)
			}
			if rw.Header().Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
			if tc.code != "" {
				var e struct {
					Error struct{ Code, Message string } `json:"error"`
				}
				if err := json.Unmarshal(rw.Body.Bytes(), &e); err != nil || e.Error.Code != tc.code || e.Error.Message == "" {
					t.Fatalf("error body %s, want code %s", rw.Body, tc.code)
				}
				if tc.prodErr == nil && len(prod.recs) != 0 {
					t.Fatalf("a refused request produced %d records", len(prod.recs))
				}
				return
			}
			var ok struct{ Received int }
			if err := json.Unmarshal(rw.Body.Bytes(), &ok); err != nil || ok.Received != tc.received {
				t.Fatalf("body %s, want received %d", rw.Body, tc.received)
			}
			if len(prod.recs) != tc.received {
				t.Fatalf("produced %d records, want %d", len(prod.recs), tc.received)
			}
			for i, r := range prod.recs {
				if r.Topic != pipeline.Namespace("ns").Topic(pipeline.TopicHaloInbound) {
					t.Errorf("topic %s", r.Topic)
				}
				if tc.keys != nil && string(r.Key) != tc.keys[i] {
					t.Errorf("record %d key %q, want %q", i, r.Key, tc.keys[i])
				}
				env, err := pipeline.DecodeEnvelope(r)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(env.TraceID, "halopsa:") || env.Source.Provider != "halopsa" || len(env.Inbound) == 0 || !json.Valid(env.Inbound) {
					t.Errorf("envelope %+v", env)
				}
			}
		})
	}
	for _, secret := range []string{pass, token} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("a secret reached the logs")
		}
	}
}

func TestWebhookWithoutCredentialsRefusesAll(t *testing.T) {
	prod := &fakeProducer{}
	srv, err := New(Options{Producer: prod, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{WebhookPath, WebhookPath + "?token="} {
		req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(single))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth("", "")
		rw := httptest.NewRecorder()
		srv.ServeHTTP(rw, req)
		if rw.Code != 401 {
			t.Errorf("%s: status %d, want 401", target, rw.Code)
		}
	}
}

func TestHealth(t *testing.T) {
	for _, tc := range []struct {
		name   string
		kafka  error
		status int
		want   string
	}{
		{"ok", nil, 200, "ok"},
		{"kafka down", errors.New("dial"), 503, "degraded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := New(Options{Producer: &fakeProducer{}, Version: "v-test", Logger: slog.New(slog.DiscardHandler),
				Kafka: func(context.Context) error { return tc.kafka }})
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodGet, "/health", nil)
			req.Header.Set("X-Request-Id", "req-1")
			rw := httptest.NewRecorder()
			srv.ServeHTTP(rw, req)
			var h struct {
				Status, Version string
				Checks          map[string]string
			}
			body, _ := io.ReadAll(rw.Body)
			if err := json.Unmarshal(body, &h); err != nil {
				t.Fatal(err)
			}
			if rw.Code != tc.status || h.Status != tc.want || h.Version != "v-test" || h.Checks["kafka"] == "" {
				t.Fatalf("%d %s", rw.Code, body)
			}
			if rw.Header().Get("X-Request-Id") != "req-1" {
				t.Errorf("X-Request-Id not echoed")
			}
		})
	}
}
