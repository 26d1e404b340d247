package api

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
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
	batch  = `[{"id":"d-2","event":"ticket updated","object_id":7,"timestamp":"2026-09-25T06:40:00.0000000Z"},{"id":"d-3","event":"new ticket logged","object_id":"8","timestamp":"2026-09-25T06:41:00Z"}]`
)

// deliveredAt is the tests' clock: a few minutes after single's timestamp.
var deliveredAt = time.Date(2026, 9, 25, 6, 45, 0, 0, time.UTC)

func TestWebhook(t *testing.T) {
	var logs bytes.Buffer
	for _, tc := range []struct {
		name     string
		target   string
		body     string
		ctype    string
		header   map[string]string
		basic    []string
		inQuery  bool // Options.TokenInQuery
		prodErr  error
		status   int
		code     string
		received int
		stale    int
		keys     []string
	}{
		{name: "basic auth, one envelope", body: single, basic: []string{user, pass}, status: 200, received: 1, keys: []string{"4242"}},
		{name: "token query, batch", target: "?token=" + token, inQuery: true, body: batch, status: 200, received: 2, keys: []string{"7", "8"}},
		{name: "token query refused by default", target: "?token=" + token, body: single, status: 401, code: CodeAuthentication},
		{name: "replayed delivery from 2020", body: strings.Replace(single, "2026-09-25T06:41:08", "2020-01-01T00:00:00", 1), basic: []string{user, pass}, status: 400, code: CodeValidation, stale: 1},
		{name: "delivery just outside the window", body: strings.Replace(single, "2026-09-25T06:41:08", "2026-09-25T05:44:59", 1), basic: []string{user, pass}, status: 400, code: CodeValidation, stale: 1},
		{name: "delivery from the future", body: strings.Replace(single, "2026-09-25T06:41:08", "2026-09-25T07:00:00", 1), basic: []string{user, pass}, status: 400, code: CodeValidation, stale: 1},
		{name: "delivery without a timestamp", body: `{"id":"d-9","event":"ticket updated","object_id":9}`, basic: []string{user, pass}, status: 400, code: CodeValidation, stale: 1},
		{name: "batch with one replay", body: `[` + single + `,{"id":"d-8","event":"ticket updated","object_id":8,"timestamp":"2020-01-01T00:00:00.0000000Z"}]`, basic: []string{user, pass}, status: 200, received: 1, stale: 1, keys: []string{"4242"}},
		{name: "zone-less timestamp", body: strings.Replace(single, "08.7895915Z", "08.7895915", 1), basic: []string{user, pass}, status: 200, received: 1},
		{name: "token header", body: single, header: map[string]string{"X-Leadstream-Token": token}, status: 200, received: 1, keys: []string{"4242"}},
		{name: "charset in content type", body: single, ctype: "application/json; charset=utf-8", basic: []string{user, pass}, status: 200, received: 1},
		{name: "empty batch", body: `[]`, basic: []string{user, pass}, status: 200, received: 0},
		{name: "no credentials", body: single, status: 401, code: CodeAuthentication},
		{name: "wrong password", body: single, basic: []string{user, "nope"}, status: 401, code: CodeAuthentication},
		{name: "wrong user", body: single, basic: []string{"someone", pass}, status: 401, code: CodeAuthentication},
		{name: "wrong token", target: "?token=nope", inQuery: true, body: single, status: 401, code: CodeAuthentication},
		{name: "password as token", target: "?token=" + pass, inQuery: true, body: single, status: 401, code: CodeAuthentication},
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
			reg := prometheus.NewRegistry()
			srv, err := New(Options{Producer: prod, Namespace: "ns", Webhook: WebhookAuth{User: user, Password: pass, Token: token},
				TokenInQuery: tc.inQuery, Now: func() time.Time { return deliveredAt }, Registerer: reg,
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
			if got := counterSum(t, reg, "leadstream_webhook_inbound_total", "result", "stale"); got != float64(tc.stale) {
				t.Errorf("stale deliveries counted %v, want %d", got, tc.stale)
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

func TestWebhookRateLimitAndMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	now := deliveredAt
	srv, err := New(Options{Producer: &fakeProducer{}, Webhook: WebhookAuth{Token: token}, WebhookRate: 2, TokenInQuery: true,
		Registerer: reg, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	post := func(remote, tok string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, WebhookPath+"?token="+tok, strings.NewReader(single))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = remote
		rw := httptest.NewRecorder()
		srv.ServeHTTP(rw, req)
		return rw
	}
	for i, tc := range []struct {
		remote, tok string
		advance     time.Duration
		status      int
	}{
		{"10.0.0.1:1000", token, 0, 200},
		{"10.0.0.1:1001", "wrong", 0, 401}, // refused requests count too
		{"10.0.0.1:1002", token, 0, 429},
		{"10.0.0.2:1000", token, 0, 200}, // another source has its own window
		{"10.0.0.1:1003", token, 61 * time.Second, 200},
	} {
		now = now.Add(tc.advance)
		rw := post(tc.remote, tc.tok)
		if rw.Code != tc.status {
			t.Fatalf("request %d: status %d, want %d", i, rw.Code, tc.status)
		}
		if tc.status == 429 && (rw.Header().Get("Retry-After") == "" || !strings.Contains(rw.Body.String(), CodeRateLimitExceeded)) {
			t.Fatalf("429 without Retry-After or code: %v %s", rw.Header(), rw.Body)
		}
	}
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"leadstream_webhook_inbound_total", map[string]string{"event": "ticket status changed", "result": "accepted"}, 3},
		{"leadstream_webhook_inbound_total", map[string]string{"event": "", "result": "unauthorized"}, 1},
		{"leadstream_webhook_inbound_total", map[string]string{"event": "", "result": "rate_limited"}, 1},
		{"leadstream_api_requests_total", map[string]string{"route": "POST " + WebhookPath, "code": "200"}, 3},
	} {
		if got := counterValue(t, reg, tc.name, tc.labels); got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
}

// counterValue reads one counter from a registry.
func counterValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func TestStartServesTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := Start(ctx, "127.0.0.1:0", Options{Producer: &fakeProducer{}, TLSCertFile: certFile}); err == nil {
		t.Fatal("a certificate without a key was accepted")
	}
	addr, err := Start(ctx, "127.0.0.1:0", Options{Producer: &fakeProducer{}, Webhook: WebhookAuth{Token: token},
		TLSCertFile: certFile, TLSKeyFile: keyFile, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return deliveredAt }})
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(must(x509.ParseCertificate(der)))
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 5 * time.Second}
	req, _ := http.NewRequest(http.MethodPost, "https://"+addr+WebhookPath, strings.NewReader(single))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Leadstream-Token", token)
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d over TLS", resp.StatusCode)
	}
}

// counterSum adds the samples of a counter whose label has the value.
func counterSum(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					sum += m.GetCounter().GetValue()
				}
			}
		}
	}
	return sum
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
