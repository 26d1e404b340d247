package halosandbox

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

type harness struct {
	t   *testing.T
	sb  *Server
	hs  *httptest.Server
	tok string
}

func newHarness(t *testing.T, o Options) *harness {
	t.Helper()
	sb := New(o)
	hs := httptest.NewServer(sb)
	t.Cleanup(hs.Close)
	h := &harness{t: t, sb: sb, hs: hs}
	status, body, _ := h.token(url.Values{"grant_type": {"client_credentials"}, "client_id": {"sandbox-client"},
		"client_secret": {"sandbox-secret"}, "tenant": {o.Tenant}}, "")
	if status != 200 {
		t.Fatalf("token: %d %s", status, body)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal([]byte(body), &tr)
	h.tok = tr.AccessToken
	return h
}

func (h *harness) token(form url.Values, query string) (int, string, http.Header) {
	resp, err := http.Post(h.hs.URL+"/auth/token"+query, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func (h *harness) do(method, path, body string, hdr ...string) (int, string, http.Header) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.hs.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+h.tok)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("decoding %q: %v", s, err)
	}
	return v
}

func TestTokenEndpoint(t *testing.T) {
	h := newHarness(t, Options{Tenant: "acme"})
	good := url.Values{"grant_type": {"client_credentials"}, "client_id": {"sandbox-client"}, "client_secret": {"sandbox-secret"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range good {
			f[kk] = vv
		}
		f.Set(k, v)
		return f
	}
	tests := []struct {
		name   string
		form   url.Values
		query  string
		status int
		want   string
	}{
		{"tenant as query", good, "?tenant=acme", 200, `"token_type":"Bearer"`},
		{"tenant as form field", with("tenant", "acme"), "", 200, `"expires_in":3600`},
		{"missing tenant", good, "", 400, `{"error":"invalid_request"}`},
		{"wrong grant", with("grant_type", "password"), "?tenant=acme", 400, `{"error":"unsupported_grant_type"}`},
		{"bad secret", with("client_secret", "x"), "?tenant=acme", 400, `{"error":"invalid_client"}`},
		{"read:actions is no scope", with("scope", "read:actions"), "?tenant=acme", 400, `{"error":"invalid_scope"}`},
		{"scope echoed", with("scope", "read:tickets edit:customers"), "?tenant=acme", 200, `"scope":"read:tickets edit:customers"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, _ := h.token(tt.form, tt.query)
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Fatalf("got %d %s, want %d containing %s", status, body, tt.status, tt.want)
			}
			if strings.Contains(body, "refresh_token") {
				t.Fatal("no refresh_token expected")
			}
		})
	}
}

func TestRoutingAndErrors(t *testing.T) {
	h := newHarness(t, Options{})
	status, body, _ := h.do("POST", "/api/client", `[{"name":"Acme","bogus":true}]`)
	if status != 200 {
		t.Fatalf("create: %d %s", status, body)
	}
	obj := decode(t, body).(map[string]any)
	if obj["id"].(float64) != 1 || obj["main_site_id"].(float64) != 1 || obj["bogus"] != nil {
		t.Fatalf("create echo = %v", obj)
	}
	tests := []struct {
		name, method, path, body string
		hdr                      []string
		status                   int
		want                     string
	}{
		{"case-insensitive GET by id", "GET", "/api/CLIENT/1", "", nil, 200, `"name":"Acme"`},
		{"full object has customfields", "GET", "/api/Client/1", "", nil, 200, `"customfields":[{`},
		{"non-integer id", "GET", "/api/Client/probe", "", nil, 400, `{"id":["The value 'probe' is not valid."]}`},
		{"unknown id", "GET", "/api/Client/99", "", nil, 404, ``},
		{"object instead of array", "POST", "/api/Client", `{"name":"x"}`, nil, 400, `{"":["Cannot deserialize`},
		{"wrong content type", "POST", "/api/Client", `[{"name":"x"}]`, []string{"Content-Type", "text/plain"}, 415, `"status":415`},
		{"type mismatch", "POST", "/api/Tickets", `[{"summary":"x","status_id":"abc"}]`, nil, 400,
			`{"[0].status_id":["Could not convert string to integer: abc. Path '[0].status_id'."]}`},
		{"numeric string converts", "POST", "/api/Tickets", `[{"summary":"x","status_id":"2"}]`, nil, 200, `"status_id":2`},
		{"required field", "POST", "/api/Site", `[{"name":"x"}]`, nil, 400, `"[0].client_id":["The client_id field is required."]`},
		{"business rule", "POST", "/api/Users", `[{"client_id":1,"site_id":77,"name":"x"}]`, nil, 400, `"ClassName":"System.Exception"`},
		{"lookup without id", "GET", "/api/Lookup", "", nil, 400, `"lookupid must be specified"`},
		{"lookup", "GET", "/api/Lookup?lookupid=1008", "", nil, 200, `"name":"51-200"`},
		{"unknown id on update", "POST", "/api/Client", `[{"id":42,"name":"x"}]`, nil, 404, ``},
		{"no token", "GET", "/api/Client", "", []string{"Authorization", ""}, 401, ``},
		{"bad token", "GET", "/api/Client", "", []string{"Authorization", "Bearer nope"}, 401, ``},
		{"ticket types bare array", "GET", "/api/TicketType?domain=opps", "", nil, 200, `[{"id":32,"name":"Opportunity","use":"opps","sequence":10}]`},
		{"toplevel envelope", "GET", "/api/TopLevel", "", nil, 200, `"tree":[`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, _ := h.do(tt.method, tt.path, tt.body, tt.hdr...)
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Fatalf("got %d %s, want %d containing %s", status, body, tt.status, tt.want)
			}
			if (status == 401 || status == 404) && body != "" {
				t.Fatalf("%d must have an empty body, got %q", status, body)
			}
		})
	}
	if h.sb.Count("Client") != 1 || h.sb.Count("Users") != 0 {
		t.Fatalf("failed writes changed state: clients %d users %d", h.sb.Count("Client"), h.sb.Count("Users"))
	}
	// Delete then 404.
	if status, body, _ := h.do("DELETE", "/api/Tickets/1?reason=dup", ""); status != 200 || !strings.Contains(body, `"id":1`) {
		t.Fatalf("delete: %d %s", status, body)
	}
	if status, _, _ := h.do("GET", "/api/Tickets/1", ""); status != 404 {
		t.Fatalf("after delete: %d", status)
	}
}

func TestUpsertSemantics(t *testing.T) {
	h := newHarness(t, Options{})
	h.do("POST", "/api/Client", `[{"name":"Acme"}]`)
	// Batch create returns an array in input order; one element returns an object.
	status, body, _ := h.do("POST", "/api/Opportunities", `[{"summary":"a","oppvalue":100,"customfields":[{"name":"CF_108_employee_count_range","value":"51-200"}]},{"summary":"b","name":"not real"}]`)
	if status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	arr := decode(t, body).([]any)
	if len(arr) != 2 || arr[0].(map[string]any)["summary"] != "a" || arr[1].(map[string]any)["summary"] != "b" {
		t.Fatalf("batch echo = %s", body)
	}
	first := arr[0].(map[string]any)
	if first["tickettype_id"].(float64) != 32 || first["name"] != nil {
		t.Fatalf("opportunity defaults/unknown field: %v", first)
	}
	var cf108 map[string]any
	for _, f := range first["customfields"].([]any) {
		if m := f.(map[string]any); m["id"].(float64) == 108 {
			cf108 = m
		}
	}
	if cf108["value"].(float64) != 100803 || cf108["display"] != "51-200" {
		t.Fatalf("dropdown stored as %v", cf108)
	}
	// Merge: only sent keys change; custom fields by bare name without CF.
	status, body, _ = h.do("POST", "/api/Opportunities", `[{"id":1,"status_id":21,"customfields":[{"name":"305_promoted_from_prospect","value":"7"}]}]`)
	if status != 200 || !strings.Contains(body, `"summary":"a"`) || !strings.Contains(body, `"display":"51-200"`) || !strings.Contains(body, `"display":"7"`) {
		t.Fatalf("merge: %d %s", status, body)
	}
	// Lists: no customfields by default; exactly the requested ones otherwise.
	_, body, _ = h.do("GET", "/api/Opportunities", "")
	if strings.Contains(body, "customfields") {
		t.Fatalf("list rows carry customfields: %s", body)
	}
	_, body, _ = h.do("GET", "/api/Opportunities?include_custom_fields=305&search_oppcompanyname=&pageinate=true", "")
	env := decode(t, body).(map[string]any)
	rows := env["tickets"].([]any)
	cfs := rows[0].(map[string]any)["customfields"].([]any)
	if len(cfs) != 1 || cfs[0].(map[string]any)["id"].(float64) != 305 {
		t.Fatalf("include_custom_fields rows = %v", rows[0])
	}
	// Tickets and Opportunities are separate lists over one id space.
	_, body, _ = h.do("GET", "/api/Tickets", "")
	if n := decode(t, body).(map[string]any)["record_count"].(float64); n != 0 {
		t.Fatalf("tickets list shows %v opportunities", n)
	}
}

func TestListPagingAndFilters(t *testing.T) {
	h := newHarness(t, Options{})
	h.do("POST", "/api/Client", `[{"name":"Beta"},{"name":"alpha"},{"name":"Gamma","inactive":true}]`)
	tests := []struct {
		name, query string
		count       float64
		names       []string
		paged       bool
	}{
		{"default excludes inactive", "", 2, []string{"Beta", "alpha"}, false},
		{"includeinactive", "?includeinactive=true", 3, []string{"Beta", "alpha", "Gamma"}, false},
		{"search", "?search=ALP", 1, []string{"alpha"}, false},
		{"order", "?order=name&includeinactive=true", 3, []string{"alpha", "Beta", "Gamma"}, false},
		{"orderdesc", "?order=name&orderdesc=true", 2, []string{"Beta", "alpha"}, false},
		{"page 2", "?pageinate=true&page_size=1&page_no=2", 2, []string{"alpha"}, true},
		{"past the end", "?pageinate=true&page_size=5&page_no=3", 2, []string{}, true},
		{"count", "?count=1", 1, []string{"Beta"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, _ := h.do("GET", "/api/Client"+tt.query, "")
			if status != 200 {
				t.Fatalf("%d %s", status, body)
			}
			env := decode(t, body).(map[string]any)
			if env["record_count"].(float64) != tt.count {
				t.Fatalf("record_count = %v, want %v", env["record_count"], tt.count)
			}
			if _, ok := env["page_no"]; ok != tt.paged {
				t.Fatalf("page_no present = %v", ok)
			}
			var got []string
			for _, r := range env["clients"].([]any) {
				got = append(got, r.(map[string]any)["name"].(string))
			}
			if strings.Join(got, ",") != strings.Join(tt.names, ",") {
				t.Fatalf("names = %v, want %v", got, tt.names)
			}
		})
	}
}

func TestRateLimiter(t *testing.T) {
	tests := []struct {
		name      string
		o         Options
		wantRetry string
	}{
		{"default message, no Retry-After", Options{RateLimit: 3}, ""},
		{"fixed Retry-After", Options{RateLimit: 3, RetryAfter: RetryAfterFixed, RetryAfterFixed: 7 * time.Second}, "7"},
		{"oldest Retry-After", Options{RateLimit: 3, RetryAfter: RetryAfterOldest}, "300"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.o)
			for range 3 {
				if s, _, _ := h.do("GET", "/api/Status", ""); s != 200 {
					t.Fatalf("status %d before the limit", s)
				}
			}
			status, body, hdr := h.do("GET", "/api/Status", "")
			if status != 429 || body != `{"error":"Rate Limit Reached - 3 Requests per rolling 5 minute window"}` {
				t.Fatalf("got %d %s", status, body)
			}
			if hdr.Get("Content-Type") == "" || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
				t.Fatalf("content type %q", hdr.Get("Content-Type"))
			}
			if got := hdr.Get("Retry-After"); got != tt.wantRetry {
				t.Fatalf("Retry-After = %q, want %q", got, tt.wantRetry)
			}
			st := h.sb.Stats()
			if st.RateLimited != 1 || st.PeakInWindow != 3 {
				t.Fatalf("stats = %+v", st)
			}
		})
	}
	t.Run("window rolls", func(t *testing.T) {
		h := newHarness(t, Options{RateLimit: 2, RateWindow: 200 * time.Millisecond})
		h.do("GET", "/api/Status", "")
		h.do("GET", "/api/Status", "")
		if s, _, _ := h.do("GET", "/api/Status", ""); s != 429 {
			t.Fatalf("third request: %d", s)
		}
		time.Sleep(250 * time.Millisecond)
		if s, _, _ := h.do("GET", "/api/Status", ""); s != 200 {
			t.Fatalf("after the window: %d", s)
		}
	})
}

func TestWebhooks(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	var auths []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		if strings.Contains(string(b), "fail-me") {
			w.WriteHeader(500)
		}
	}))
	t.Cleanup(recv.Close)

	h := newHarness(t, Options{})
	h.sb.AddWebhook(Webhook{URL: recv.URL, Username: "halo", Password: "pw", PayloadType: PayloadFull,
		Events: []string{"new ticket logged", "ticket status changed", "ticket updated"}})
	h.sb.AddWebhook(Webhook{URL: recv.URL, PayloadType: PayloadEventOnly, Batch: true, Events: []string{"new user created"}})

	h.do("POST", "/api/Client", `[{"name":"Acme"}]`)
	h.do("POST", "/api/Tickets", `[{"summary":"lead","client_id":1}]`)
	h.do("POST", "/api/Tickets", `[{"id":1,"status_id":2}]`)
	h.do("POST", "/api/Tickets", `[{"id":1,"details":"fail-me"}]`)
	h.do("POST", "/api/Users", `[{"client_id":1,"name":"A"},{"client_id":1,"name":"B"}]`)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.sb.FlushWebhooks(ctx); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 4 {
		t.Fatalf("deliveries = %d, want 4: %v", len(bodies), bodies)
	}
	events := map[string]map[string]any{}
	var batch []any
	for i, b := range bodies {
		switch v := decode(t, b).(type) {
		case map[string]any:
			events[v["event"].(string)] = v
			if !strings.HasPrefix(auths[i], "Basic ") {
				t.Errorf("missing basic auth on %s", v["event"])
			}
		case []any:
			batch = v
		}
	}
	created := events["new ticket logged"]
	if created == nil || created["notification_id"].(float64) != 3 || created["object_id"].(float64) != 1 {
		t.Fatalf("new ticket event = %v", created)
	}
	if ts := created["timestamp"].(string); len(ts) != len("2026-09-25T06:41:08.7895915Z") {
		t.Fatalf("timestamp %q lacks 7 fractional digits", ts)
	}
	if tk := created["ticket"].(map[string]any); tk["customfields"] == nil || tk["summary"] != "lead" {
		t.Fatalf("embedded ticket = %v", tk)
	}
	if events["ticket status changed"] == nil || events["ticket updated"] == nil {
		t.Fatalf("events = %v", events)
	}
	if len(batch) != 2 || batch[0].(map[string]any)["user"] != nil {
		t.Fatalf("batched event-only body = %v", batch)
	}
	// The delivery log records failures and is served at /api/WebhookEvent.
	failed := 0
	for _, d := range h.sb.Deliveries() {
		if d.Status == "Failed" {
			failed++
		}
	}
	if failed != 1 {
		t.Fatalf("failed deliveries = %d, want 1", failed)
	}
	_, body, _ := h.do("GET", "/api/WebhookEvent", "")
	if env := decode(t, body).(map[string]any); env["record_count"].(float64) != 4 {
		t.Fatalf("WebhookEvent = %s", body)
	}
}

func TestScopes(t *testing.T) {
	h := newHarness(t, Options{EnforceScopes: true})
	status, body, _ := h.token(url.Values{"grant_type": {"client_credentials"}, "client_id": {"sandbox-client"},
		"client_secret": {"sandbox-secret"}, "scope": {"read:customers"}}, "")
	if status != 200 {
		t.Fatal(body)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal([]byte(body), &tr)
	h.tok = tr.AccessToken
	if s, _, _ := h.do("GET", "/api/Client", ""); s != 200 {
		t.Fatalf("read with read scope: %d", s)
	}
	if s, _, _ := h.do("POST", "/api/Client", `[{"name":"x"}]`); s != 401 {
		t.Fatalf("write with read scope: %d", s)
	}
	if s, _, _ := h.do("GET", "/api/Tickets", ""); s != 401 {
		t.Fatalf("other area: %d", s)
	}
}
