package halopsa_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/connectors/halopsa/halosandbox"
)

const (
	testID     = "0f8c3a52-5a0e-4c53-9c55-1b0c6a3e9f10"
	testSecret = "6b1e2f3a-1111-2222-3333-444455556666-9a8b7c6d-1111-2222-3333-444455556666"
)

type env struct {
	sb  *halosandbox.Server
	hs  *httptest.Server
	c   *halopsa.Client
	log *bytes.Buffer
}

// newEnv starts a sandbox and a client against it. The client defaults
// are shrunk so retries and pacing take milliseconds.
func newEnv(t *testing.T, so halosandbox.Options, co halopsa.Options) *env {
	t.Helper()
	if len(so.Apps) == 0 {
		so.Apps = []halosandbox.App{{ClientID: testID, ClientSecret: testSecret}}
	}
	sb := halosandbox.New(so)
	hs := httptest.NewServer(sb)
	t.Cleanup(hs.Close)
	var buf syncBuffer
	co.BaseURL = hs.URL
	if co.ClientID == "" {
		co.ClientID = testID
	}
	if co.ClientSecret == "" {
		co.ClientSecret = testSecret
	}
	if co.BackoffBase == 0 {
		co.BackoffBase = 5 * time.Millisecond
	}
	if co.BackoffMax == 0 {
		co.BackoffMax = 40 * time.Millisecond
	}
	if co.RateLimit == 0 {
		co.RateLimit = 10000
		co.RateWindow = time.Minute
	}
	co.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := halopsa.New(co)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &env{sb: sb, hs: hs, c: c, log: &buf.b}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestTokenCache(t *testing.T) {
	t.Parallel()
	t.Run("cached across calls", func(t *testing.T) {
		e := newEnv(t, halosandbox.Options{}, halopsa.Options{})
		ctx := ctxT(t)
		for range 5 {
			if _, err := e.c.TicketTypes(ctx, ""); err != nil {
				t.Fatal(err)
			}
		}
		if got := e.c.Stats().TokenRequests; got != 1 {
			t.Fatalf("token requests = %d, want 1", got)
		}
		if got := e.sb.Stats().TokensIssued; got != 1 {
			t.Fatalf("tokens issued = %d, want 1", got)
		}
	})
	t.Run("single flight", func(t *testing.T) {
		e := newEnv(t, halosandbox.Options{}, halopsa.Options{})
		ctx := ctxT(t)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for range 16 {
			wg.Go(func() {
				_, err := e.c.Statuses(ctx, 0)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if got := e.sb.Stats().TokenRequests; got != 1 {
			t.Fatalf("token requests = %d, want 1", got)
		}
	})
	t.Run("refreshed before expiry", func(t *testing.T) {
		// TTL 2 s: the client keeps it for at most half (margin 60 s > TTL),
		// so after 1.2 s it must fetch anew without ever seeing a 401.
		e := newEnv(t, halosandbox.Options{TokenTTL: 2 * time.Second}, halopsa.Options{})
		ctx := ctxT(t)
		if _, err := e.c.TicketTypes(ctx, ""); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1200 * time.Millisecond)
		if _, err := e.c.TicketTypes(ctx, ""); err != nil {
			t.Fatal(err)
		}
		st := e.sb.Stats()
		if st.TokenRequests != 2 || st.Unauthorized != 0 {
			t.Fatalf("token requests = %d, 401s = %d; want 2 and 0", st.TokenRequests, st.Unauthorized)
		}
	})
}

func TestRetryOnceOn401(t *testing.T) {
	tests := []struct {
		name      string
		hook      func(*halosandbox.Server)
		so        halosandbox.Options
		scope     string
		write     bool
		wantErr   error
		wantTok   int64
		want401   int
		wantTries int
	}{
		{name: "expired token", hook: (*halosandbox.Server).ExpireTokens, wantTok: 2, want401: 1, wantTries: 2},
		{name: "revoked token", hook: (*halosandbox.Server).RevokeTokens, wantTok: 2, want401: 1, wantTries: 2},
		{name: "missing scope gives up after one retry", so: halosandbox.Options{EnforceScopes: true},
			scope: "read:tickets", write: true, wantErr: halopsa.ErrUnauthorized, wantTok: 2, want401: 2, wantTries: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.so, halopsa.Options{Scope: tt.scope})
			ctx := ctxT(t)
			if _, err := e.c.TicketTypes(ctx, ""); err != nil {
				t.Fatal(err)
			}
			if tt.hook != nil {
				tt.hook(e.sb)
			}
			before := e.c.Stats().Requests
			var err error
			if tt.write {
				_, err = e.c.UpsertClients(ctx, halopsa.Area{Name: "Acme"})
			} else {
				_, err = e.c.TicketTypes(ctx, "")
			}
			if tt.wantErr == nil && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got := e.c.Stats().TokenRequests; got != tt.wantTok {
				t.Errorf("token requests = %d, want %d", got, tt.wantTok)
			}
			if got := e.sb.Stats().Unauthorized; got != tt.want401 {
				t.Errorf("401 answers = %d, want %d", got, tt.want401)
			}
			if got := e.c.Stats().Requests - before; got != int64(tt.wantTries) {
				t.Errorf("attempts = %d, want %d", got, tt.wantTries)
			}
		})
	}
}

func TestUpsertIdempotency(t *testing.T) {
	e := newEnv(t, halosandbox.Options{}, halopsa.Options{})
	ctx := ctxT(t)

	cl, err := e.c.UpsertClients(ctx, halopsa.Area{Name: "Acme Ltd", Website: "https://acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	if cl[0].ID == 0 || cl[0].MainSiteID == 0 {
		t.Fatalf("create echoed %+v, want id and main_site_id", cl[0])
	}
	clientID, siteID := cl[0].ID, cl[0].MainSiteID

	// Updates send the id and only the changed keys; repeating them is a no-op.
	for range 3 {
		got, err := e.c.UpsertRaw(ctx, halopsa.ResClient, []any{map[string]any{"id": clientID, "main_phonenumber": "+441234567890"}})
		if err != nil {
			t.Fatal(err)
		}
		var a halopsa.Area
		if err := json.Unmarshal(got[0], &a); err != nil {
			t.Fatal(err)
		}
		if a.ID != clientID || a.Name != "Acme Ltd" || a.Website != "https://acme.example" || a.MainPhoneNumber != "+441234567890" {
			t.Fatalf("merge lost fields: %+v", a)
		}
	}

	users, err := e.c.UpsertUsers(ctx,
		halopsa.User{ClientID: clientID, FirstName: "Jane", Surname: "Doe", EmailAddress: "jane@acme.example", Title: "CTO"},
		halopsa.User{ClientID: clientID, Name: "John Roe", EmailAddress: "john@acme.example"},
		halopsa.User{ClientID: clientID, SiteID: float64(siteID), Name: "Ann Poe", EmailAddress: "ann@acme.example"},
	)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 3 || users[0].Name != "Jane Doe" || users[1].Name != "John Roe" || users[2].Name != "Ann Poe" {
		t.Fatalf("users echoed out of order or without derived name: %+v", users)
	}
	if int(users[0].SiteID) != siteID {
		t.Fatalf("site_id = %v, want main site %d", users[0].SiteID, siteID)
	}

	tk, err := e.c.UpsertTickets(ctx, halopsa.Ticket{Summary: "Jane Doe - Acme Ltd", ClientID: clientID, UserID: users[0].ID,
		CustomFields: []halopsa.CustomField{{ID: 101, Value: "Apollo.io"}, {Name: "CF_102_services_offered", Value: "MSP"}}})
	if err != nil {
		t.Fatal(err)
	}
	// Re-type with a partial update; custom fields merge field by field.
	tk2, err := e.c.UpsertTickets(ctx, halopsa.Ticket{ID: tk[0].ID, TicketTypeID: 2, StatusID: 10,
		CustomFields: []halopsa.CustomField{{ID: 203, Value: "Jane Doe"}}})
	if err != nil {
		t.Fatal(err)
	}
	cf := map[int]any{}
	for _, f := range tk2[0].CustomFields {
		cf[f.ID] = f.Display
	}
	if cf[101] != "Apollo.io" || cf[102] != "MSP" || cf[203] != "Jane Doe" {
		t.Fatalf("custom fields after merge = %v", cf)
	}
	if tk2[0].Summary != "Jane Doe - Acme Ltd" || tk2[0].TicketTypeID != 2 {
		t.Fatalf("ticket after re-type = %+v", tk2[0])
	}

	counts := map[string]int{"Client": 1, "Site": 1, "Users": 3, "Tickets": 1}
	for res, want := range counts {
		if got := e.sb.Count(res); got != want {
			t.Errorf("%s count = %d, want %d", res, got, want)
		}
	}

	// Search-before-create finds the contact by exact email.
	found, err := e.c.FindUsersByEmail(ctx, clientID, "JANE@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0].ID != users[0].ID {
		t.Fatalf("FindUsersByEmail = %+v", found)
	}

	// Get by id returns the bare object; a gone id is ErrNotFound.
	var got halopsa.Ticket
	if err := e.c.Get(ctx, halopsa.ResTickets, tk[0].ID, &got); err != nil || got.ID != tk[0].ID {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if err := e.c.Delete(ctx, halopsa.ResTickets, tk[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := e.c.Get(ctx, halopsa.ResTickets, tk[0].ID, &got); !errors.Is(err, halopsa.ErrNotFound) {
		t.Fatalf("Get after delete: %v, want ErrNotFound", err)
	}
}

func TestUnknownFieldsDropped(t *testing.T) {
	e := newEnv(t, halosandbox.Options{}, halopsa.Options{})
	ctx := ctxT(t)
	cl, err := e.c.UpsertClients(ctx, halopsa.Area{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.c.UpsertRaw(ctx, halopsa.ResUsers, []any{map[string]any{
		"client_id": cl[0].ID, "name": "Jane Doe", "title": "CTO", "jobtitle": "CTO", "not_a_field": 1,
		"customfields": []any{map[string]any{"id": 9999, "value": "x"}, map[string]any{"name": "CFNope", "value": "y"}},
	}})
	if err != nil {
		t.Fatalf("unknown fields must not fail the write: %v", err)
	}
	var echoed map[string]any
	if err := json.Unmarshal(out[0], &echoed); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"jobtitle", "not_a_field"} {
		if _, ok := echoed[k]; ok {
			t.Errorf("%s was stored", k)
		}
	}
	if echoed["title"] != "CTO" {
		t.Errorf("title = %v", echoed["title"])
	}
	for _, f := range echoed["customfields"].([]any) {
		if id := f.(map[string]any)["id"].(float64); id == 9999 {
			t.Errorf("unknown custom field stored")
		}
	}
}

func TestBadRequestShapes(t *testing.T) {
	e := newEnv(t, halosandbox.Options{}, halopsa.Options{})
	ctx := ctxT(t)
	a, err := e.c.UpsertClients(ctx, halopsa.Area{Name: "A"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.c.UpsertClients(ctx, halopsa.Area{Name: "B"})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := e.c.UpsertTickets(ctx, halopsa.Ticket{Summary: "x"})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		call  func() error
		check func(t *testing.T, err error)
	}{
		{
			name: "type mismatch is model state",
			call: func() error {
				_, err := e.c.UpsertRaw(ctx, halopsa.ResActions, []any{map[string]any{"ticket_id": tk[0].ID, "outcome_id": "abc"}})
				return err
			},
			check: func(t *testing.T, err error) {
				var ve *halopsa.ValidationError
				if !errors.As(err, &ve) || len(ve.Fields["[0].outcome_id"]) == 0 ||
					!strings.Contains(ve.Fields["[0].outcome_id"][0], "Could not convert string to integer: abc") {
					t.Fatalf("err = %#v", err)
				}
			},
		},
		{
			name: "missing required field is model state",
			call: func() error { _, err := e.c.UpsertClients(ctx, halopsa.Area{Website: "x"}); return err },
			check: func(t *testing.T, err error) {
				var ve *halopsa.ValidationError
				if !errors.As(err, &ve) || ve.Fields["[0].name"] == nil {
					t.Fatalf("err = %v", err)
				}
			},
		},
		{
			name: "non-integer path id is model state",
			call: func() error { return e.c.Do(ctx, "GET", "Tickets/probe", nil, nil, nil) },
			check: func(t *testing.T, err error) {
				var ve *halopsa.ValidationError
				if !errors.As(err, &ve) || ve.Fields["id"][0] != "The value 'probe' is not valid." {
					t.Fatalf("err = %v", err)
				}
			},
		},
		{
			name: "business rule is a .NET exception",
			call: func() error {
				_, err := e.c.UpsertUsers(ctx, halopsa.User{ClientID: a[0].ID, SiteID: float64(b[0].MainSiteID), Name: "X"})
				return err
			},
			check: func(t *testing.T, err error) {
				var ee *halopsa.ExceptionError
				if !errors.As(err, &ee) || ee.ClassName != "System.Exception" || ee.Message == "" {
					t.Fatalf("err = %v", err)
				}
			},
		},
		{
			name: "missing query parameter is a bare string",
			call: func() error { return e.c.Do(ctx, "GET", "Lookup", nil, nil, nil) },
			check: func(t *testing.T, err error) {
				var me *halopsa.MessageError
				if !errors.As(err, &me) || me.Message != "lookupid must be specified" {
					t.Fatalf("err = %v", err)
				}
			},
		},
		{
			name: "unknown id on update is 404",
			call: func() error { _, err := e.c.UpsertTickets(ctx, halopsa.Ticket{ID: 987654, Summary: "x"}); return err },
			check: func(t *testing.T, err error) {
				if !errors.Is(err, halopsa.ErrNotFound) {
					t.Fatalf("err = %v", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatal("want error")
			}
			if !errors.Is(err, halopsa.ErrBadRequest) && !errors.Is(err, halopsa.ErrNotFound) {
				t.Errorf("%v does not match ErrBadRequest", err)
			}
			var ae *halopsa.APIError
			if !errors.As(err, &ae) {
				t.Errorf("%v does not unwrap to *APIError", err)
			}
			tt.check(t, err)
		})
	}
	if got := e.sb.Count("Users"); got != 0 {
		t.Errorf("failed writes stored %d users", got)
	}
}

func TestPacerStaysUnderLimit(t *testing.T) {
	t.Parallel()
	// The tenant allows 10 requests per rolling second; the client's pacer
	// is configured at exactly that limit and must never trip it.
	const limit, window, total = 10, time.Second, 25
	e := newEnv(t, halosandbox.Options{RateLimit: limit, RateWindow: window, CountTokenRequests: true},
		halopsa.Options{RateLimit: limit, RateWindow: window})
	ctx := ctxT(t)
	var wg sync.WaitGroup
	errs := make(chan error, total)
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < total; i += 4 {
				_, err := e.c.TicketTypes(ctx, "")
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st := e.sb.Stats()
	if st.RateLimited != 0 {
		t.Fatalf("server answered %d 429s", st.RateLimited)
	}
	if st.PeakInWindow > limit {
		t.Fatalf("peak %d requests in a window, limit %d", st.PeakInWindow, limit)
	}
	if st.APIRequests != total {
		t.Fatalf("api requests = %d, want %d", st.APIRequests, total)
	}
}

func TestRateLimit429Recovery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mode halosandbox.RetryAfterMode
	}{
		{"with Retry-After", halosandbox.RetryAfterOldest},
		{"without Retry-After", halosandbox.RetryAfterOff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The client's pacer is misconfigured above the tenant's limit, so
			// it meets real 429s and must slow down and finish anyway.
			e := newEnv(t, halosandbox.Options{RateLimit: 4, RateWindow: 500 * time.Millisecond, RetryAfter: tt.mode},
				halopsa.Options{BackoffBase: 40 * time.Millisecond, BackoffMax: 200 * time.Millisecond, Max429Tries: 10})
			ctx := ctxT(t)
			for i := range 8 {
				if _, err := e.c.Statuses(ctx, 0); err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
			}
			st := e.sb.Stats()
			if st.RateLimited == 0 {
				t.Fatal("expected the tenant limit to be hit")
			}
			if got := e.c.Stats().RateLimited; got != int64(st.RateLimited) {
				t.Fatalf("client saw %d 429s, server sent %d", got, st.RateLimited)
			}
			if _, pen := e.c.Pacer().Stats(); pen == 0 {
				t.Fatal("pacer was not penalised")
			}
		})
	}
	t.Run("injected 429 honours Retry-After then succeeds", func(t *testing.T) {
		e := newEnv(t, halosandbox.Options{}, halopsa.Options{})
		ctx := ctxT(t)
		e.sb.InjectFaults("Status", halosandbox.Fault{Status: 429, RetryAfter: "0.05"}, halosandbox.Fault{Status: 429})
		if _, err := e.c.Statuses(ctx, 0); err != nil {
			t.Fatal(err)
		}
		if got := e.c.Stats().Retries; got != 2 {
			t.Fatalf("retries = %d, want 2", got)
		}
	})
	t.Run("gives up after Max429Tries", func(t *testing.T) {
		e := newEnv(t, halosandbox.Options{}, halopsa.Options{Max429Tries: 3})
		ctx := ctxT(t)
		for range 5 {
			e.sb.InjectFaults("Status", halosandbox.Fault{Status: 429, RetryAfter: "0"})
		}
		_, err := e.c.Statuses(ctx, 0)
		var re *halopsa.RetriesExhaustedError
		if !errors.As(err, &re) || !errors.Is(err, halopsa.ErrRateLimited) || re.Attempts != 3 {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestServerErrorRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		faults     []halosandbox.Fault
		wantErr    bool
		wantTries  int64
		reqTimeout time.Duration
	}{
		{name: "500 then success", faults: []halosandbox.Fault{{Status: 500}, {Status: 502}}, wantTries: 3},
		{name: "timeout then success", faults: []halosandbox.Fault{{Status: 504, Delay: 400 * time.Millisecond}},
			wantTries: 2, reqTimeout: 100 * time.Millisecond},
		{name: "gives up after 3 retries", faults: []halosandbox.Fault{{Status: 503}, {Status: 503}, {Status: 500}, {Status: 504}, {Status: 500}},
			wantErr: true, wantTries: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, halosandbox.Options{}, halopsa.Options{RequestTimeout: tt.reqTimeout})
			ctx := ctxT(t)
			if _, err := e.c.TicketTypes(ctx, ""); err != nil { // warm the token
				t.Fatal(err)
			}
			before := e.c.Stats().Requests
			e.sb.InjectFaults("Tickets", tt.faults...)
			_, err := e.c.UpsertTickets(ctx, halopsa.Ticket{Summary: "retry me"})
			if tt.wantErr {
				var re *halopsa.RetriesExhaustedError
				if !errors.As(err, &re) || !errors.Is(err, halopsa.ErrServer) {
					t.Fatalf("err = %v, want RetriesExhaustedError matching ErrServer", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if got := e.c.Stats().Requests - before; got != tt.wantTries {
				t.Fatalf("attempts = %d, want %d", got, tt.wantTries)
			}
		})
	}
}

func TestPaging(t *testing.T) {
	e := newEnv(t, halosandbox.Options{}, halopsa.Options{PageSize: 5})
	ctx := ctxT(t)
	cl, err := e.c.UpsertClients(ctx, halopsa.Area{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	var in []halopsa.User
	for i := range 25 {
		in = append(in, halopsa.User{ClientID: cl[0].ID, Name: "User " + strconv.Itoa(i)})
	}
	if _, err := e.c.UpsertUsers(ctx, in...); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		query     url.Values
		wantRows  int
		wantPages int
	}{
		{"all rows, last page full", url.Values{"client_id": {strconv.Itoa(cl[0].ID)}}, 25, 5},
		{"search", url.Values{"search": {"user 1"}}, 11, 3}, // "User 1", "User 10".."User 19"
		{"short last page", url.Values{"search": {"user 2"}}, 6, 2},
		{"no match", url.Values{"search": {"nobody"}}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.sb.RequestLog())
			users, err := halopsa.ListAll[halopsa.User](ctx, e.c, halopsa.ResUsers, tt.query)
			if err != nil {
				t.Fatal(err)
			}
			if len(users) != tt.wantRows {
				t.Fatalf("rows = %d, want %d", len(users), tt.wantRows)
			}
			seen := map[int]bool{}
			for _, u := range users {
				if seen[u.ID] {
					t.Fatalf("duplicate row %d", u.ID)
				}
				seen[u.ID] = true
			}
			if got := len(e.sb.RequestLog()) - before; got != tt.wantPages {
				t.Fatalf("pages fetched = %d, want %d", got, tt.wantPages)
			}
		})
	}
	// Bare-array resources are accepted and end the listing.
	fi, err := halopsa.ListAll[halopsa.FieldInfo](ctx, e.c, halopsa.ResFieldInfo, url.Values{"typeid": {"1"}})
	if err != nil || len(fi) != 25 {
		t.Fatalf("FieldInfo rows = %d, %v", len(fi), err)
	}
}

func TestFieldInfoLookup(t *testing.T) {
	e := newEnv(t, halosandbox.Options{}, halopsa.Options{})
	ctx := ctxT(t)
	tests := []struct {
		name    string
		typeID  int
		lookup  string
		want    int
		wantErr error
	}{
		{"exact name", 1, "CF_101_lead_source", 101, nil},
		{"case-insensitive", 1, "cf_206_FIT_SCORE", 206, nil},
		{"without CF prefix", 1, "305_promoted_from_prospect", 305, nil},
		{"by label", 1, "Decision Maker", 203, nil},
		{"other entity", 2, "CFLeadstreamOrgID", 401, nil},
		{"missing", 1, "CF_999_nope", 0, halopsa.ErrFieldNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := e.c.FieldID(ctx, tt.typeID, tt.lookup)
			if !errors.Is(err, tt.wantErr) || id != tt.want {
				t.Fatalf("FieldID = %d, %v; want %d, %v", id, err, tt.want, tt.wantErr)
			}
		})
	}
	f, err := e.c.FieldByName(ctx, 1, "CF_108_employee_count_range")
	if err != nil || len(f.Values) != 6 {
		t.Fatalf("dropdown values = %+v, %v", f.Values, err)
	}
	calls := 0
	for _, r := range e.sb.RequestLog() {
		if strings.EqualFold(r.Path, "/api/FieldInfo") {
			calls++
		}
	}
	if calls != 2 { // one per typeid, then cached
		t.Fatalf("FieldInfo fetched %d times, want 2", calls)
	}
}

func TestAuthFailuresAndTenant(t *testing.T) {
	tests := []struct {
		name     string
		so       halosandbox.Options
		co       halopsa.Options
		wantCode string
	}{
		{"bad secret", halosandbox.Options{}, halopsa.Options{ClientSecret: "wrong"}, "invalid_client"},
		{"unknown scope", halosandbox.Options{}, halopsa.Options{Scope: "read:actions"}, "invalid_scope"},
		{"missing tenant", halosandbox.Options{Tenant: "acme"}, halopsa.Options{}, "invalid_request"},
		{"tenant sent", halosandbox.Options{Tenant: "acme"}, halopsa.Options{Tenant: "acme"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.so, tt.co)
			_, err := e.c.TicketTypes(ctxT(t), "")
			if tt.wantCode == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var te *halopsa.TokenError
			if !errors.As(err, &te) || te.Code != tt.wantCode || !errors.Is(err, halopsa.ErrAuth) {
				t.Fatalf("err = %v, want token error %s", err, tt.wantCode)
			}
			if got := e.c.Stats().TokenRequests; got != 1 {
				t.Fatalf("token requests = %d, want 1 (no retry on refusal)", got)
			}
		})
	}
}

func TestLogsHaveNoSecrets(t *testing.T) {
	e := newEnv(t, halosandbox.Options{}, halopsa.Options{})
	ctx := ctxT(t)
	cl, err := e.c.UpsertClients(ctx, halopsa.Area{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.FindUsersByEmail(ctx, cl[0].ID, "secret.person@acme.example"); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.UpsertUsers(ctx, halopsa.User{ClientID: cl[0].ID, SiteID: 999, Name: "x", EmailAddress: "secret.person@acme.example"})
	if err == nil {
		t.Fatal("want business-rule error")
	}
	e.sb.RevokeTokens()
	if _, err := e.c.TicketTypes(ctx, ""); err != nil {
		t.Fatal(err)
	}
	logs := e.log.String()
	if logs == "" {
		t.Fatal("no logs captured")
	}
	for _, secret := range []string{testSecret, "secret.person", "Bearer "} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q", secret)
		}
	}
	if strings.Contains(err.Error(), "secret.person") {
		t.Errorf("error text contains an email: %v", err)
	}
}

func TestUpsertIsolatedBisects(t *testing.T) {
	e := newEnv(t, halosandbox.Options{}, halopsa.Options{BatchSize: 4})
	ctx := ctxT(t)
	cl, err := e.c.UpsertClients(ctx, halopsa.Area{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	var items []any
	for i := range 7 {
		u := map[string]any{"client_id": cl[0].ID, "name": "U" + strconv.Itoa(i)}
		if i == 2 || i == 5 {
			u["client_id"] = "not-a-number"
		}
		items = append(items, u)
	}
	res, failed, err := e.c.UpsertIsolated(ctx, halopsa.ResUsers, items)
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) != 2 || failed[0].Index != 2 || failed[1].Index != 5 {
		t.Fatalf("failed = %+v", failed)
	}
	var ve *halopsa.ValidationError
	if !errors.As(failed[0].Err, &ve) {
		t.Fatalf("failure is %T, want *ValidationError", failed[0].Err)
	}
	for i, r := range res {
		if (r == nil) != (i == 2 || i == 5) {
			t.Fatalf("result %d = %s", i, r)
		}
	}
	if got := e.sb.Count("Users"); got != 5 {
		t.Fatalf("users stored = %d, want 5", got)
	}
}

func TestWriteVerificationAndResolution(t *testing.T) {
	e := newEnv(t, halosandbox.Options{}, halopsa.Options{})
	ctx := ctxT(t)
	sent := []halopsa.CustomField{{ID: 101, Value: "Apollo.io"}, {ID: 112, Value: 1999}, {ID: 9999, Value: "dropped"},
		{Name: "CF_113_location_hq", Value: "1 Main Street"}}
	tk, err := e.c.UpsertTickets(ctx, halopsa.Ticket{Summary: "x", CustomFields: sent})
	if err != nil {
		t.Fatal(err)
	}
	if got := halopsa.CustomFieldMismatches(sent, tk[0].CustomFields); len(got) != 1 || got[0] != "9999" {
		t.Fatalf("mismatches = %v, want [9999]", got)
	}
	tests := []struct {
		name string
		fn   func() (int, error)
		want int
	}{
		{"ticket type", func() (int, error) { return e.c.TicketTypeID(ctx, "prospect") }, 2},
		{"status in type", func() (int, error) { return e.c.StatusID(ctx, 32, "Opportunity - Won") }, 23},
		{"missing type", func() (int, error) { return e.c.TicketTypeID(ctx, "Lead2") }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.fn()
			if got != tt.want || (tt.want == 0) != errors.Is(err, halopsa.ErrNotFound) {
				t.Fatalf("got %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}

func TestRedaction(t *testing.T) {
	o := halopsa.Options{BaseURL: "https://acme.halopsa.com", ClientID: testID, ClientSecret: testSecret}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("opts", "opts", o)
	for _, s := range []string{o.String(), fmtV(o), buf.String()} {
		if strings.Contains(s, testSecret) {
			t.Fatalf("secret leaked: %s", s)
		}
	}
	// Transport errors must not echo a query that holds an email.
	e := newEnv(t, halosandbox.Options{}, halopsa.Options{Max5xxRetries: -1, RequestTimeout: 50 * time.Millisecond})
	ctx := ctxT(t)
	e.sb.InjectFaults("Users", halosandbox.Fault{Status: 504, Delay: 200 * time.Millisecond})
	_, err := e.c.FindUsersByEmail(ctx, 0, "hidden.person@acme.example")
	if err == nil || strings.Contains(err.Error(), "hidden.person") || strings.Contains(e.log.String(), "hidden.person") {
		t.Fatalf("err = %v; logs:\n%s", err, e.log.String())
	}
}

func fmtV(v any) string { return fmt.Sprintf("%v %+v", v, v) }

// TestCreatesAreNotResentWhenTheOutcomeIsUnknown: a create answered 500
// or 504 after HaloPSA applied it is not sent again by CreateIsolated
// (which says the outcome is unknown), while an update is retried, and a
// fault before the write leaves nothing behind.
func TestCreatesAreNotResentWhenTheOutcomeIsUnknown(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fault     halosandbox.Fault
		wantUsers int
	}{
		{"applied then 500", halosandbox.Fault{Status: 500, Commit: true}, 1},
		{"applied then late 504", halosandbox.Fault{Status: 504, Commit: true, Delay: 20 * time.Millisecond}, 1},
		{"500 before applying", halosandbox.Fault{Status: 500}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, halosandbox.Options{}, halopsa.Options{})
			ctx := context.Background()
			cl, err := e.c.UpsertClients(ctx, halopsa.Area{Name: "Acme"})
			if err != nil {
				t.Fatal(err)
			}
			e.sb.InjectFaults("Users", tc.fault)
			res, failed, err := e.c.CreateIsolated(ctx, halopsa.ResUsers, []any{map[string]any{"name": "Ann", "client_id": cl[0].ID}})
			if !errors.Is(err, halopsa.ErrOutcomeUnknown) || len(failed) != 0 || res[0] != nil {
				t.Fatalf("err %v, failed %v, result %s; want the outcome unknown", err, failed, res[0])
			}
			if n := e.sb.Count("Users"); n != tc.wantUsers {
				t.Errorf("%d users, want %d (nothing sent twice)", n, tc.wantUsers)
			}
			// An update with the same fault is retried and lands.
			e.sb.InjectFaults("Client", tc.fault)
			if _, _, err := e.c.UpsertIsolated(ctx, halopsa.ResClient, []any{map[string]any{"id": cl[0].ID, "notes": "x"}}); err != nil {
				t.Errorf("update: %v", err)
			}
		})
	}
}
