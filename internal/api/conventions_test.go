package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/segmentio/encoding/json"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/internal/api"
	"github.com/leadstream/leadstream/internal/api/openapitest"
	"github.com/leadstream/leadstream/internal/apikey"
	"github.com/leadstream/leadstream/pipeline"
)

type producer struct {
	mu   sync.Mutex
	recs []*kgo.Record
}

func (p *producer) ProduceSync(_ context.Context, rs ...*kgo.Record) kgo.ProduceResults {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.recs = append(p.recs, rs...)
	var out kgo.ProduceResults
	for _, r := range rs {
		out = append(out, kgo.ProduceResult{Record: r})
	}
	return out
}

// client calls a handler and checks every answer against the OpenAPI
// document.
type client struct {
	t   *testing.T
	h   http.Handler
	doc *openapitest.Validator
}

func (c *client) do(method, target string, header map[string]string, body []byte) (*httptest.ResponseRecorder, map[string]any) {
	c.t.Helper()
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	vreq := httptest.NewRequest(method, target, bytes.NewReader(body))
	for k, v := range header {
		vreq.Header.Set(k, v)
	}
	if err := c.doc.Check(context.Background(), vreq, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
		c.t.Errorf("%v\nbody: %s", err, rec.Body.String())
	}
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec, out
}

func errCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func newClient(t *testing.T, opts api.Options) (*client, map[string]string) {
	t.Helper()
	store := apikey.Open(apikey.Path(t.TempDir()))
	keys := map[string]string{}
	for _, role := range apikey.Roles {
		k, _, err := store.Create(role+" key", role)
		if err != nil {
			t.Fatal(err)
		}
		keys[role] = k
	}
	opts.Keys = store
	if opts.Producer == nil {
		opts.Producer = &producer{}
	}
	h, err := api.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapitest.New(context.Background(), api.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, h: h, doc: doc}, keys
}

func bulkBody(n int, extra ...string) []byte {
	var leads []string
	for i := range n {
		leads = append(leads, fmt.Sprintf(`{"first_name":"Ada%d","last_name":"Byron","email":"ada%d@analytical.example","company":"Analytical Engines","employee_count":{"min":10,"max":50},"technologies":["Go","Kafka"],"hq_address":{"city":"London","country":"GB"},"do_not_contact":false}`, i, i))
	}
	leads = append(leads, extra...)
	return []byte(`{"source":"apollo","leads":[` + strings.Join(leads, ",") + `]}`)
}

func TestConventions(t *testing.T) {
	prod := &producer{}
	c, keys := newClient(t, api.Options{Producer: prod, KeyRate: 1000})
	js := map[string]string{"Content-Type": "application/json"}
	with := func(h map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range h {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	tests := []struct {
		name         string
		method, path string
		header       map[string]string
		body         []byte
		status       int
		code         string
	}{
		{"no key", "GET", "/api/leads", nil, nil, 401, api.CodeAuthentication},
		{"unknown key", "GET", "/api/leads", map[string]string{"X-API-Key": "lsk_00_nope"}, nil, 401, api.CodeAuthentication},
		{"two different keys", "GET", "/api/whoami", map[string]string{"X-API-Key": keys["viewer"], "Authorization": "Bearer " + keys["admin"]}, nil, 401, api.CodeAuthentication},
		{"the same key twice", "GET", "/api/whoami", map[string]string{"X-API-Key": keys["viewer"], "Authorization": "Bearer " + keys["viewer"]}, nil, 200, ""},
		{"bearer", "GET", "/api/whoami", map[string]string{"Authorization": "Bearer " + keys["operator"]}, nil, 200, ""},
		{"viewer may not bulk", "POST", "/api/sync/leads/bulk", with(js, "X-API-Key", keys["viewer"]), bulkBody(1), 403, api.CodeAuthorization},
		{"operator may not erase", "DELETE", "/api/leads/ld_1", map[string]string{"X-API-Key": keys["operator"]}, nil, 403, api.CodeAuthorization},
		{"not json", "POST", "/api/sync/leads/bulk", map[string]string{"X-API-Key": keys["operator"], "Content-Type": "text/csv"}, bulkBody(1), 415, api.CodeUnsupportedMediaType},
		{"body over 5 MiB", "POST", "/api/sync/leads/bulk", with(js, "X-API-Key", keys["operator"]), bytes.Repeat([]byte(" "), 5<<20+1), 413, api.CodePayloadTooLarge},
		{"1001 leads", "POST", "/api/sync/leads/bulk", with(js, "X-API-Key", keys["operator"]), bulkBody(1001), 413, api.CodePayloadTooLarge},
		{"unknown source", "POST", "/api/sync/leads/bulk", with(js, "X-API-Key", keys["operator"]), []byte(`{"source":"myspace","leads":[]}`), 400, api.CodeValidation},
		{"broken json", "POST", "/api/sync/leads/bulk", with(js, "X-API-Key", keys["operator"]), []byte(`{"source":`), 400, api.CodeInvalidJSON},
		{"decision over 64 KiB", "POST", "/api/review/x/decision", with(js, "X-API-Key", keys["operator"]), bytes.Repeat([]byte(" "), 64<<10+1), 413, api.CodePayloadTooLarge},
		{"no view", "GET", "/api/leads", map[string]string{"X-API-Key": keys["viewer"]}, nil, 503, api.CodeServiceUnavailable},
		{"no review queue", "GET", "/api/review?limit=500", map[string]string{"X-API-Key": keys["viewer"]}, nil, 503, api.CodeServiceUnavailable},
		{"unknown route", "GET", "/api/nothing", map[string]string{"X-API-Key": keys["viewer"]}, nil, 404, api.CodeNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			var rec *httptest.ResponseRecorder
			var out map[string]any
			if tc.path == "/api/nothing" {
				req := httptest.NewRequest(tc.method, tc.path, nil)
				rec = httptest.NewRecorder()
				c.h.ServeHTTP(rec, req)
				_ = json.Unmarshal(rec.Body.Bytes(), &out)
			} else {
				rec, out = c.do(tc.method, tc.path, tc.header, tc.body)
			}
			if rec.Code != tc.status || errCode(out) != tc.code {
				t.Fatalf("status %d code %q, want %d %q: %s", rec.Code, errCode(out), tc.status, tc.code, rec.Body.String())
			}
			if rec.Header().Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
			if tc.status != 401 && tc.status != 404 && rec.Header().Get("X-RateLimit-Remaining") == "" {
				t.Error("no rate-limit headers")
			}
		})
	}
	c.t = t

	// 1000 leads in one request, one more refused on its own.
	rec, out := c.do("POST", "/api/sync/leads/bulk", with(js, "X-API-Key", keys["operator"], "X-Request-Id", "req-42"),
		bulkBody(999, `{"first_name":"Bad","email":42}`))
	if rec.Code != 202 || out["accepted"] != float64(999) || rec.Header().Get("X-Request-Id") != "req-42" {
		t.Fatalf("bulk: %d %v", rec.Code, out)
	}
	rej := out["rejected"].([]any)
	if len(rej) != 1 || rej[0].(map[string]any)["index"] != float64(999) {
		t.Fatalf("rejected %v", rej)
	}
	if len(prod.recs) != 999 {
		t.Fatalf("produced %d records", len(prod.recs))
	}
	env, err := pipeline.DecodeEnvelope(prod.recs[3])
	if err != nil || env.Raw["email"] != "ada3@analytical.example" || env.Raw["employee_count"] != "10-50" ||
		env.Raw["hq_city"] != "London" || env.Source.Provider != "apollo" || !strings.HasSuffix(env.Source.RecordID, ":3") ||
		string(prod.recs[3].Key) != env.TraceID || prod.recs[3].Topic != pipeline.TopicRaw {
		t.Fatalf("record: %+v %v", env, err)
	}
}

func TestRateLimits(t *testing.T) {
	c, keys := newClient(t, api.Options{KeyRate: 3, BulkRate: 1})
	js := map[string]string{"Content-Type": "application/json", "X-API-Key": keys["operator"]}
	if rec, _ := c.do("POST", "/api/sync/leads/bulk", js, bulkBody(1)); rec.Code != 202 {
		t.Fatalf("first bulk: %d", rec.Code)
	}
	rec, out := c.do("POST", "/api/sync/leads/bulk", js, bulkBody(1))
	if rec.Code != 429 || errCode(out) != api.CodeRateLimitExceeded || rec.Header().Get("Retry-After") == "" || rec.Header().Get("X-RateLimit-Limit") != "1" {
		t.Fatalf("second bulk: %d %v %v", rec.Code, out, rec.Header())
	}
	// Both counted toward the general limit of 3: one request is left.
	if rec, _ := c.do("GET", "/api/whoami", map[string]string{"X-API-Key": keys["operator"]}, nil); rec.Code != 200 || rec.Header().Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("whoami: %d remaining %s", rec.Code, rec.Header().Get("X-RateLimit-Remaining"))
	}
	if rec, _ := c.do("GET", "/api/whoami", map[string]string{"X-API-Key": keys["operator"]}, nil); rec.Code != 429 {
		t.Fatalf("over the limit: %d", rec.Code)
	}
	// Another key has its own budget.
	if rec, _ := c.do("GET", "/api/whoami", map[string]string{"X-API-Key": keys["viewer"]}, nil); rec.Code != 200 {
		t.Fatalf("other key: %d", rec.Code)
	}
}

func TestHealthAndOpenAPI(t *testing.T) {
	c, _ := newClient(t, api.Options{Kafka: func(context.Context) error { return nil }})
	rec, out := c.do("GET", "/health", nil, nil)
	checks, _ := out["checks"].(map[string]any)
	if rec.Code != 200 || checks["kafka"] != "ok" || checks["halopsa"] != "not_configured" {
		t.Fatalf("health: %d %v", rec.Code, out)
	}
	c2, _ := newClient(t, api.Options{Halo: func(context.Context) error { return io.ErrUnexpectedEOF }})
	if rec, out := c2.do("GET", "/health", nil, nil); rec.Code != 503 || out["status"] != "degraded" {
		t.Fatalf("degraded health: %d %v", rec.Code, out)
	}
	if rec, _ := c.do("GET", "/api/openapi.json", nil, nil); rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), api.OpenAPI()) {
		t.Fatalf("openapi: %d", rec.Code)
	}
	req := httptest.NewRequest("GET", "/", nil)
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, req)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "leadstream") {
		t.Fatalf("web page: %d", w.Code)
	}
}
