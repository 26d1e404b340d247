package halosandbox

import (
	crand "crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Server is the HaloPSA emulator. Create it with New; it is safe for
// concurrent use.
type Server struct {
	opts Options
	log  *slog.Logger

	mu       sync.Mutex
	tokens   map[string]*token
	tables   map[string]*table
	windows  map[string][]time.Time
	faults   map[string][]Fault
	rng      *rand.Rand // random faults (Options.FaultRate), under mu
	reqLog   []LoggedRequest
	stats    Stats
	webhooks []*Webhook
	events   []Delivery
	// pending counts deliveries in flight (under mu). A WaitGroup would
	// race when writes start deliveries while a test flushes.
	pending int
}

type token struct {
	clientID string
	scopes   map[string]bool
	expiry   time.Time
	revoked  bool
}

// Fault is one scripted answer injected before normal handling.
type Fault struct {
	// Status to answer (e.g. 429, 500, 503, 504); its body is empty, except
	// 429 which carries Halo's rate-limit body.
	Status int
	// Delay before answering (e.g. a slow gateway 504).
	Delay time.Duration
	// RetryAfter, when set, is sent as the Retry-After header.
	RetryAfter string
	// Commit applies the request first (a POST's write is stored) and then
	// answers Status: a gateway that timed out on a write the tenant made,
	// or a 500 raised after the commit. The caller cannot tell it from a
	// failed write.
	Commit bool
	// Method limits the fault to requests of that method ("POST"); other
	// requests pass it by and it waits for the next one that matches.
	Method string
}

// LoggedRequest is one entry of the request log.
type LoggedRequest struct {
	Method string
	Path   string
	Query  string
	Body   string
	Status int
	Time   time.Time
}

// Stats are the server's counters.
type Stats struct {
	Requests      int         // every request, /auth/token included
	APIRequests   int         // requests to /api/*
	TokenRequests int         // requests to /auth/token
	TokensIssued  int         // successful token grants
	RateLimited   int         // 429 answers from the limiter (injected faults excluded)
	Unauthorized  int         // 401 answers
	Injected      int         // injected faults answered
	Committed     int         // of those, faults answered after the write was applied
	PeakInWindow  int         // most accepted requests seen in one rolling window (any key)
	ByStatus      map[int]int // answers by status code
}

// New returns a Server with opts' defaults filled in.
func New(opts Options) *Server {
	opts.fill()
	s := &Server{
		opts:    opts,
		log:     opts.Logger.With("component", "halosandbox"),
		tokens:  map[string]*token{},
		tables:  map[string]*table{},
		windows: map[string][]time.Time{},
		faults:  map[string][]Fault{},
		stats:   Stats{ByStatus: map[int]int{}},
		rng:     rand.New(rand.NewPCG(opts.FaultSeed, opts.FaultSeed^0x5deece66d)),
	}
	for _, e := range entities {
		if _, ok := s.tables[e.table]; !ok {
			s.tables[e.table] = &table{rows: map[int]*record{}}
		}
	}
	for res, off := range opts.IDOffsets {
		if e, ok := entities[strings.ToLower(res)]; ok {
			s.tables[e.table].next = max(s.tables[e.table].next, off)
		}
	}
	if opts.SeedClients > 0 {
		s.SeedTenant(opts.SeedClients, opts.FaultSeed)
	}
	return s
}

// ---- test hooks -----------------------------------------------------------

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.ByStatus = make(map[int]int, len(s.stats.ByStatus))
	for k, v := range s.stats.ByStatus {
		st.ByStatus[k] = v
	}
	return st
}

// Count returns how many live records a resource holds ("Client", "Site",
// "Users", "Tickets", "Opportunities", "Actions", "CRMNote").
func (s *Server) Count(resource string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := entities[strings.ToLower(resource)]
	if !ok {
		return 0
	}
	n := 0
	for _, r := range s.tables[e.table].rows {
		if e.table != "faults" || r.opp == (e.name == "Opportunities") {
			n++
		}
	}
	return n
}

// Record returns the stored object as GET /api/<resource>/<id> would.
func (s *Server) Record(resource string, id int) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := entities[strings.ToLower(resource)]
	if !ok {
		return nil, false
	}
	r, ok := s.tables[e.table].rows[id]
	if !ok {
		return nil, false
	}
	return s.render(e, r, true, nil), true
}

// RequestLog returns a copy of the request log.
func (s *Server) RequestLog() []LoggedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]LoggedRequest(nil), s.reqLog...)
}

// ExpireTokens makes every issued token expired (401 on next use).
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	past := time.Now().Add(-time.Second)
	for _, t := range s.tokens {
		t.expiry = past
	}
}

// RevokeTokens forgets every issued token.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]*token{}
}

// InjectFaults queues scripted answers for a route: resource is a route
// name such as "Tickets" (case-insensitive), "auth/token", or "*" for any
// /api route. Faults are consumed in order, one per matching request,
// after authentication and rate limiting.
func (s *Server) InjectFaults(resource string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := strings.ToLower(strings.Trim(resource, "/"))
	s.faults[k] = append(s.faults[k], faults...)
}

// ---- HTTP -----------------------------------------------------------------

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w}
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, s.opts.MaxBodyBytes+1))
		if err != nil {
			http.Error(sw, "", http.StatusBadRequest)
			return
		}
		if int64(len(b)) > s.opts.MaxBodyBytes {
			sw.WriteHeader(http.StatusRequestEntityTooLarge)
			s.logRequest(r, b[:0], sw.status)
			return
		}
		body = b
	}
	s.route(sw, r, body)
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	s.logRequest(r, body, sw.status)
}

func (s *Server) logRequest(r *http.Request, body []byte, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Requests++
	s.stats.ByStatus[status]++
	if status == http.StatusUnauthorized {
		s.stats.Unauthorized++
	}
	if len(s.reqLog) >= s.opts.MaxLoggedRequests {
		s.reqLog = s.reqLog[1:]
	}
	if len(body) > 4096 {
		body = body[:4096]
	}
	s.reqLog = append(s.reqLog, LoggedRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Body: string(body), Status: status, Time: time.Now()})
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, body []byte) {
	p := strings.TrimRight(r.URL.Path, "/")
	lp := strings.ToLower(p)
	switch {
	case lp == "/auth/token":
		s.handleToken(w, r, body)
	case lp == "/auth/.well-known/openid-configuration":
		base := "http://" + r.Host
		writeJSON(w, 200, map[string]any{"issuer": base + "/auth", "token_endpoint": base + "/auth/token",
			"grant_types_supported": []string{"client_credentials"}})
	case strings.HasPrefix(lp, "/api/"):
		s.handleAPI(w, r, strings.Split(strings.TrimPrefix(p, "/api/"), "/"), body)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// ---- token endpoint --------------------------------------------------------

var knownScopes = func() map[string]bool {
	m := map[string]bool{"all": true, "all:standard": true, "admin": true,
		"editmine:timesheets": true, "access:chat": true, "access:adpasswordreset": true}
	for _, a := range []string{"tickets", "calendar", "customers", "crm", "timesheets", "contracts", "suppliers",
		"items", "projects", "sales", "quotes", "sos", "pos", "invoices", "reporting", "software",
		"softwarelicensing", "kb", "assets"} {
		m["read:"+a] = true
		m["edit:"+a] = true
	}
	return m
}()

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request, body []byte) {
	s.mu.Lock()
	s.stats.TokenRequests++
	s.mu.Unlock()
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	form, err := url.ParseQuery(string(body))
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "application/x-www-form-urlencoded" {
		writeJSON(w, 400, map[string]string{"error": "invalid_request"})
		return
	}
	clientID := form.Get("client_id")
	if s.opts.CountTokenRequests {
		if !s.admit(w, s.rateKey(clientID)) {
			return
		}
	}
	if f, ok := s.nextFault("auth/token", r.Method); ok {
		s.answerFault(w, f)
		return
	}
	tenant := r.URL.Query().Get("tenant")
	if tenant == "" {
		tenant = form.Get("tenant")
	}
	if s.opts.Tenant != "" && !strings.EqualFold(tenant, s.opts.Tenant) {
		writeJSON(w, 400, map[string]string{"error": "invalid_request"})
		return
	}
	if form.Get("grant_type") != "client_credentials" {
		writeJSON(w, 400, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	if !s.validApp(clientID, form.Get("client_secret")) {
		writeJSON(w, 400, map[string]string{"error": "invalid_client"})
		return
	}
	scope := strings.TrimSpace(form.Get("scope"))
	if scope == "" {
		scope = "all"
	}
	scopes := map[string]bool{}
	for _, sc := range strings.Fields(scope) {
		if !knownScopes[strings.ToLower(sc)] {
			writeJSON(w, 400, map[string]string{"error": "invalid_scope"})
			return
		}
		scopes[strings.ToLower(sc)] = true
	}
	tok := newOpaque(32)
	s.mu.Lock()
	s.tokens[tok] = &token{clientID: clientID, scopes: scopes, expiry: time.Now().Add(s.opts.TokenTTL)}
	s.stats.TokensIssued++
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{"access_token": tok, "token_type": "Bearer",
		"expires_in": int64(math.Ceil(s.opts.TokenTTL.Seconds())), "scope": scope})
}

func (s *Server) validApp(id, secret string) bool {
	ok := false
	for _, a := range s.opts.Apps {
		idOK := subtle.ConstantTimeCompare([]byte(a.ClientID), []byte(id)) == 1
		secOK := subtle.ConstantTimeCompare([]byte(a.ClientSecret), []byte(secret)) == 1
		if idOK && secOK {
			ok = true
		}
	}
	return ok
}

// ---- rate limiting ---------------------------------------------------------

func (s *Server) rateKey(clientID string) string {
	if s.opts.RateLimitPerTenant {
		return "tenant"
	}
	return "app:" + clientID
}

// admit counts a request against key's rolling window, answering 429 when
// it is full. It reports whether the request may proceed.
func (s *Server) admit(w http.ResponseWriter, key string) bool {
	if s.opts.RateLimit < 0 {
		return true
	}
	s.mu.Lock()
	now := time.Now()
	cut := now.Add(-s.opts.RateWindow)
	win := s.windows[key]
	i := 0
	for i < len(win) && !win[i].After(cut) {
		i++
	}
	win = win[i:]
	if len(win) >= s.opts.RateLimit {
		if s.opts.CountRejected {
			win = append(win, now)
		}
		s.windows[key] = win
		s.stats.RateLimited++
		retry := ""
		switch s.opts.RetryAfter {
		case RetryAfterOldest:
			d := win[0].Add(s.opts.RateWindow).Sub(now)
			retry = fmt.Sprint(int64(math.Ceil(d.Seconds())))
		case RetryAfterFixed:
			retry = fmt.Sprint(int64(math.Ceil(s.opts.RetryAfterFixed.Seconds())))
		}
		s.mu.Unlock()
		if retry != "" {
			w.Header().Set("Retry-After", retry)
		}
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": s.rateLimitMessage()})
		return false
	}
	win = append(win, now)
	s.windows[key] = win
	if len(win) > s.stats.PeakInWindow {
		s.stats.PeakInWindow = len(win)
	}
	s.mu.Unlock()
	return true
}

func (s *Server) rateLimitMessage() string {
	win := s.opts.RateWindow
	unit := fmt.Sprintf("%d minute", int(win/time.Minute))
	if win%time.Minute != 0 {
		unit = fmt.Sprintf("%d second", int(win/time.Second))
	}
	return fmt.Sprintf("Rate Limit Reached - %d Requests per rolling %s window", s.opts.RateLimit, unit)
}

// ---- faults ----------------------------------------------------------------

// nextFault takes the first scripted fault queued for res (or "*") that
// applies to method, else draws a random one (Options.FaultRate) for an
// entity route.
func (s *Server) nextFault(res, method string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range []string{res, "*"} {
		if k == "*" && res == "auth/token" {
			continue
		}
		for i, f := range s.faults[k] {
			if f.Method != "" && !strings.EqualFold(f.Method, method) {
				continue
			}
			s.faults[k] = append(s.faults[k][:i:i], s.faults[k][i+1:]...)
			s.stats.Injected++
			return f, true
		}
	}
	if s.opts.FaultRate <= 0 || entities[res] == nil || s.rng.Float64() >= s.opts.FaultRate {
		return Fault{}, false
	}
	f := Fault{Status: http.StatusInternalServerError}
	if s.rng.IntN(2) == 1 {
		f = Fault{Status: http.StatusGatewayTimeout, Delay: s.opts.FaultDelay}
	}
	f.Commit = method == http.MethodPost && s.rng.Float64() < s.opts.FaultCommitShare
	s.stats.Injected++
	return f, true
}

func (s *Server) answerFault(w http.ResponseWriter, f Fault) {
	if f.Commit {
		s.mu.Lock()
		s.stats.Committed++
		s.mu.Unlock()
	}
	if f.Delay > 0 {
		time.Sleep(f.Delay)
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	if f.Status == http.StatusTooManyRequests {
		writeJSON(w, f.Status, map[string]string{"error": s.rateLimitMessage()})
		return
	}
	w.WriteHeader(f.Status)
}

// discardWriter swallows the answer to a write a committed fault replaces.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header {
	if d.h == nil {
		d.h = http.Header{}
	}
	return d.h
}
func (*discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (*discardWriter) WriteHeader(int)             {}

// ---- helpers ---------------------------------------------------------------

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func newOpaque(n int) string {
	b := make([]byte, n)
	_, _ = crand.Read(b)
	return hex.EncodeToString(b)
}

func newGUID() string {
	b := make([]byte, 16)
	_, _ = crand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func isJSONContentType(v string) bool {
	ct, _, err := mime.ParseMediaType(v)
	return err == nil && (ct == "application/json" || strings.HasSuffix(ct, "+json") || ct == "text/json")
}
