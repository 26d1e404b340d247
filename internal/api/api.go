// Package api is leadstream's REST API (crm.md §9) and the web page at /.
//
// Every /api route but the webhook takes an API key (X-API-Key or
// Authorization: Bearer; package apikey) whose role must include the
// route's: viewer for reads, operator for bulk sync and review decisions,
// admin for erasure. Each key may make 1000 requests an hour, 10 of them
// bulk operations (X-RateLimit-* headers on every answer, Retry-After on a
// 429). Bodies must be application/json (415) within 64 KiB, 5 MiB for
// bulk (413). Errors use the envelope {"error": {"code", "message",
// "details"}}; every answer carries X-Request-Id. GET /api/openapi.json
// describes it all (OpenAPI 3.1).
//
// Reads of leads come from this process's leads view (package leadsview),
// the review queue from the review stage's changelog, analytics from the
// transition log; writes are records on the pipeline's topics (bulk leads
// on leads.raw, decisions on leads.review), except erasure (package
// erasure), which also removes data in place.
//
// The HaloPSA webhook receiver authenticates HaloPSA with HTTP Basic credentials, or a
// secret token in the X-Leadstream-Token header (in the `token` query
// parameter only with Options.TokenInQuery, since URLs end up in proxy and
// access logs), compared in constant time. A delivery whose timestamp is
// older than Options.ReplayWindow (or missing, or too far in the future)
// is refused and counted as "stale": a captured delivery cannot be
// replayed later. It accepts one Halo envelope or a
// JSON array of them (batched webhooks), wraps each in a pipeline envelope
// and produces it to halopsa.inbound, keyed by the Halo object id, waiting
// for the broker's acknowledgement before it answers 200 {"received": n}.
// All processing happens later, in the crm stage. Each source address may
// send 1000 webhook requests a minute (429 beyond). Errors use the §9.1
// envelope {"error": {"code", "message", "details"}}. Credentials and
// tokens are never logged.
package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/internal/analytics"
	"github.com/leadstream/leadstream/internal/apikey"
	"github.com/leadstream/leadstream/pipeline"
)

// DefaultAddr is where the API listens by default (crm.md §9.1: port 3000).
const DefaultAddr = "127.0.0.1:3000"

// MaxWebhookBody is the largest webhook body accepted (crm.md §9.1).
const MaxWebhookBody = 5 << 20

// DefaultReplayWindow is how old a delivery's timestamp may be. Halo
// sends deliveries as events happen; what a refusal misses, the crm
// stage's poll of changed tickets finds.
const DefaultReplayWindow = time.Hour

// MaxClockSkew is how far in the future a delivery's timestamp may be.
const MaxClockSkew = 5 * time.Minute

// WebhookPath is the HaloPSA webhook route.
const WebhookPath = "/api/webhooks/halopsa"

// Error codes of crm.md §9.1.
const (
	CodeInvalidJSON          = "INVALID_JSON"
	CodeValidation           = "VALIDATION_ERROR"
	CodeAuthentication       = "AUTHENTICATION_ERROR"
	CodePayloadTooLarge      = "PAYLOAD_TOO_LARGE"
	CodeUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
	CodeServiceUnavailable   = "SERVICE_UNAVAILABLE"
	CodeRateLimitExceeded    = "RATE_LIMIT_EXCEEDED"
)

// Producer produces records and waits for the broker's acknowledgement; a
// *kgo.Client (acks=all by default) is one.
type Producer interface {
	ProduceSync(ctx context.Context, rs ...*kgo.Record) kgo.ProduceResults
}

// WebhookAuth holds the credentials HaloPSA's webhook presents. Basic
// credentials count when Password is set; the token when Token is set.
// With neither, every delivery is refused.
type WebhookAuth struct {
	User     string
	Password string
	Token    string
}

// Configured reports whether any credential is set.
func (a WebhookAuth) Configured() bool { return a.Password != "" || a.Token != "" }

// Options configures the API server.
type Options struct {
	// Producer sends deliveries to halopsa.inbound. Required.
	Producer Producer
	// Sealer seals the personal data of the leads POSTed in bulk
	// (internal/keyring; nil: sent in clear). The Producer must make the
	// keys durable before it produces (system.System.ProduceSync does).
	Sealer pipeline.Sealer
	// Namespace prefixes the topic.
	Namespace pipeline.Namespace
	// Webhook are the accepted HaloPSA webhook credentials.
	Webhook WebhookAuth
	// Version is reported by /health.
	Version string
	// Kafka reports nil when the broker is reachable (nil: not checked).
	Kafka func(context.Context) error
	// Logger (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// WebhookRate limits webhook requests per source address and minute
	// (default DefaultWebhookRate; negative: no limit).
	WebhookRate int
	// Registerer receives the API's metrics (nil: unregistered).
	Registerer prometheus.Registerer
	// TokenInQuery also accepts the token as the `token` query parameter,
	// for tenants whose webhooks cannot send a custom header. URLs are
	// logged by proxies, so it is off by default.
	TokenInQuery bool
	// ReplayWindow is how old a delivery's timestamp may be (default
	// DefaultReplayWindow; negative: not checked).
	ReplayWindow time.Duration
	// Keys authenticates the /api routes (nil: they answer 401).
	Keys *apikey.Store
	// Leads is this process's leads view (nil: the lead routes answer 503).
	Leads LeadsView
	// Review reads and decides the review queue (nil: 503).
	Review ReviewQueue
	// Transitions reads the transition log (nil: 503).
	Transitions func(context.Context) ([]analytics.Transition, error)
	// Workflow is the workflow's status model (nil: the default).
	Workflow *analytics.Model
	// Eraser forgets a lead (nil: DELETE answers 503).
	Eraser Eraser
	// Halo reports whether HaloPSA answers (nil: not configured).
	Halo func(context.Context) error
	// KeyRate and BulkRate limit each key per rolling hour (0: the
	// defaults, 1000 and 10).
	KeyRate, BulkRate int
	// TLSCertFile and TLSKeyFile, when both are set, make Start serve
	// HTTPS (HaloPSA posts webhooks over TLS; without these a proxy in
	// front must terminate it).
	TLSCertFile, TLSKeyFile string
}

// Server is the API's http.Handler.
type Server struct {
	opts Options
	log  *slog.Logger
	mux  *http.ServeMux
	lim  *limiter // nil: no limit
	met  *metrics
	// keyLim and bulkLim are the per-key limits.
	keyLim, bulkLim *limiter
	decided         *decidedSet
	// user, pass and token are SHA-256 digests, so comparisons take the
	// same time whatever the lengths.
	user, pass, token [32]byte
}

// New returns the API handler.
func New(opts Options) (*Server, error) {
	if opts.Producer == nil {
		return nil, errors.New("api: no producer")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.WebhookRate == 0 {
		opts.WebhookRate = DefaultWebhookRate
	}
	if opts.ReplayWindow == 0 {
		opts.ReplayWindow = DefaultReplayWindow
	}
	s := &Server{opts: opts, log: opts.Logger.With("component", "api"), mux: http.NewServeMux(),
		user: sha256.Sum256([]byte(opts.Webhook.User)), pass: sha256.Sum256([]byte(opts.Webhook.Password)),
		token: sha256.Sum256([]byte(opts.Webhook.Token))}
	if opts.WebhookRate > 0 {
		s.lim = newLimiter(opts.WebhookRate, time.Minute)
	}
	s.met = newMetrics(opts.Registerer)
	if opts.KeyRate <= 0 {
		opts.KeyRate = DefaultKeyRate
	}
	if opts.BulkRate <= 0 {
		opts.BulkRate = DefaultBulkRate
	}
	if opts.Workflow == nil {
		m, err := analytics.DefaultModel()
		if err != nil {
			return nil, err
		}
		opts.Workflow = m
	}
	s.opts = opts
	s.keyLim, s.bulkLim = newLimiter(opts.KeyRate, time.Hour), newLimiter(opts.BulkRate, time.Hour)
	s.decided = newDecidedSet()
	s.mux.HandleFunc("GET /health", s.health)
	s.mux.HandleFunc("POST "+WebhookPath, s.webhook)
	s.mux.HandleFunc("GET /api/openapi.json", s.openapi)
	viewer, operator, admin := route{role: apikey.RoleViewer}, route{role: apikey.RoleOperator, body: MaxBody}, route{role: apikey.RoleAdmin}
	s.mux.HandleFunc("GET /api/leads", s.guard(viewer, s.listLeads))
	s.mux.HandleFunc("GET /api/leads/{id}", s.guard(viewer, s.getLead))
	s.mux.HandleFunc("DELETE /api/leads/{id}", s.guard(admin, s.eraseLead))
	s.mux.HandleFunc("POST /api/sync/leads/bulk", s.guard(route{role: apikey.RoleOperator, body: MaxBulkBody, bulk: true}, s.bulk))
	s.mux.HandleFunc("GET /api/review", s.guard(viewer, s.listReview))
	s.mux.HandleFunc("POST /api/review/{id}/decision", s.guard(operator, s.decide))
	s.mux.HandleFunc("GET /api/analytics/workflow", s.guard(viewer, s.workflow))
	s.mux.HandleFunc("GET /api/whoami", s.guard(viewer, s.whoami))
	s.mux.Handle("GET /{$}", webHandler())
	s.mux.Handle("GET /ui/", webHandler())
	s.mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, CodeNotFound, "no such route", nil)
	})
	return s, nil
}

// ServeHTTP implements http.Handler. Every answer carries X-Request-Id:
// the caller's, or a new one.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("X-Request-Id")
	if id == "" || len(id) > 128 {
		id = newID()
	}
	w.Header().Set("X-Request-Id", id)
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
	_, route := s.mux.Handler(r)
	if route == "" || route == "/" {
		route = "other"
	}
	s.mux.ServeHTTP(sw, r)
	code := strconv.Itoa(sw.code)
	s.met.requests.WithLabelValues(route, code).Inc()
	s.met.duration.WithLabelValues(route, code).Observe(time.Since(start).Seconds())
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// Start listens on addr and serves until ctx ends. It returns the bound
// address.
func Start(ctx context.Context, addr string, opts Options) (string, error) {
	ln, err := Listen(addr)
	if err != nil {
		return "", err
	}
	if err := Serve(ctx, ln, opts); err != nil {
		ln.Close()
		return "", err
	}
	return ln.Addr().String(), nil
}

// Listen binds the API's address.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("api listener on %s: %w", addr, err)
	}
	return ln, nil
}

// Serve serves the API on ln until ctx ends.
func Serve(ctx context.Context, ln net.Listener, opts Options) error {
	h, err := New(opts)
	if err != nil {
		return err
	}
	if (opts.TLSCertFile == "") != (opts.TLSKeyFile == "") {
		return errors.New("api: TLS needs both a certificate and a key file")
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, MaxHeaderBytes: 16 << 10}
	if opts.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(opts.TLSCertFile, opts.TLSKeyFile)
		if err != nil {
			return fmt.Errorf("api: TLS certificate: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	go func() {
		var err error
		if srv.TLSConfig != nil {
			err = srv.ServeTLS(ln, "", "")
		} else {
			err = srv.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			h.log.Warn("api server stopped", "err", err)
		}
	}()
	context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	if !opts.Webhook.Configured() {
		h.log.Warn("no webhook credentials set (--webhook-password or --webhook-token): " + WebhookPath + " refuses every delivery")
	}
	return nil
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	status, code, checks := "ok", http.StatusOK, map[string]string{}
	check := func(name string, fn func(context.Context) error) {
		if fn == nil {
			checks[name] = "not_configured"
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		err := fn(ctx)
		cancel()
		checks[name] = "ok"
		if err != nil {
			checks[name] = "error"
			status, code = "degraded", http.StatusServiceUnavailable
			s.log.Warn("health: check failed", "check", name, "err", err)
		}
	}
	check("kafka", s.opts.Kafka)
	var badger, bleve func(context.Context) error
	if s.opts.Leads != nil {
		badger = func(context.Context) error { return s.opts.Leads.CheckStore() }
		bleve = func(context.Context) error { return s.opts.Leads.CheckIndex() }
	}
	check("badger", badger)
	check("bleve", bleve)
	check("halopsa", s.opts.Halo)
	writeJSON(w, code, map[string]any{"status": status, "version": s.opts.Version, "checks": checks})
}

// authorized reports whether r carries the webhook's Basic credentials or
// its token. Every configured comparison runs, so timing says nothing about
// which part failed.
func (s *Server) authorized(r *http.Request) bool {
	a := s.opts.Webhook
	ok := 0
	if u, p, has := r.BasicAuth(); has && a.Password != "" {
		hu, hp := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p))
		ok |= subtle.ConstantTimeCompare(hu[:], s.user[:]) & subtle.ConstantTimeCompare(hp[:], s.pass[:])
	}
	if a.Token != "" {
		tokens := []string{r.Header.Get("X-Leadstream-Token")}
		if s.opts.TokenInQuery {
			tokens = append(tokens, r.URL.Query().Get("token"))
		}
		for _, tok := range tokens {
			if tok == "" {
				continue
			}
			h := sha256.Sum256([]byte(tok))
			ok |= subtle.ConstantTimeCompare(h[:], s.token[:])
		}
	}
	return ok == 1
}

// delivery holds the fields of a Halo envelope the receiver reads.
type delivery struct {
	ID        string          `json:"id"`
	ObjectID  json.RawMessage `json:"object_id"`
	Event     string          `json:"event"`
	Timestamp string          `json:"timestamp"`
}

// fresh reports whether a delivery's timestamp lies within the replay
// window of now (a missing or unreadable one does not).
func (s *Server) fresh(ts string, now time.Time) bool {
	if s.opts.ReplayWindow < 0 {
		return true
	}
	ts = strings.TrimSpace(ts)
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		// Halo's timestamps are UTC; some payloads omit the zone.
		if t, err = time.Parse("2006-01-02T15:04:05.9999999", ts); err != nil {
			return false
		}
	}
	return !t.Before(now.Add(-s.opts.ReplayWindow)) && !t.After(now.Add(MaxClockSkew))
}

func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	if s.lim != nil {
		now := s.opts.Now()
		ok, remaining, reset := s.lim.allow(source(r), now)
		retry := reset.Sub(now)
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(s.opts.WebhookRate))
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
		if !ok {
			secs := int(retry.Seconds() + 0.999)
			w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(now.Add(retry).Unix(), 10))
			s.met.inbound.WithLabelValues("", "rate_limited").Inc()
			writeError(w, http.StatusTooManyRequests, CodeRateLimitExceeded, "too many webhook requests from this source", nil)
			return
		}
	}
	if !s.authorized(r) {
		s.met.inbound.WithLabelValues("", "unauthorized").Inc()
		s.log.Warn("webhook refused: bad or missing credentials", "remote", r.RemoteAddr)
		writeError(w, http.StatusUnauthorized, CodeAuthentication, "missing or invalid webhook credentials", nil)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		s.met.inbound.WithLabelValues("", "unsupported_media_type").Inc()
		writeError(w, http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "Content-Type must be application/json", nil)
		return
	}
	if r.ContentLength > MaxWebhookBody {
		s.met.inbound.WithLabelValues("", "too_large").Inc()
		writeError(w, http.StatusRequestEntityTooLarge, CodePayloadTooLarge, "the body exceeds 5 MiB", nil)
		return
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, MaxWebhookBody)); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.met.inbound.WithLabelValues("", "too_large").Inc()
			writeError(w, http.StatusRequestEntityTooLarge, CodePayloadTooLarge, "the body exceeds 5 MiB", nil)
			return
		}
		writeError(w, http.StatusBadRequest, CodeInvalidJSON, "reading the body failed", nil)
		return
	}
	items, code, msg, details := splitDeliveries(buf.Bytes())
	if code != "" {
		s.met.inbound.WithLabelValues("", "invalid").Inc()
		writeError(w, http.StatusBadRequest, code, msg, details)
		return
	}
	now := s.opts.Now().UTC()
	topic := s.opts.Namespace.Topic(pipeline.TopicHaloInbound)
	recs := make([]*kgo.Record, 0, len(items))
	events := make([]string, 0, len(items))
	stale := 0
	for _, raw := range items {
		var d delivery
		_ = json.Unmarshal(raw, &d) // the shape was checked by splitDeliveries
		if !s.fresh(d.Timestamp, now) {
			stale++
			s.met.inbound.WithLabelValues(eventLabel(d.Event), "stale").Inc()
			continue
		}
		id := strings.TrimSpace(d.ID)
		if id == "" {
			sum := sha256.Sum256(raw)
			id = "sha256-" + hex.EncodeToString(sum[:16])
		}
		key := objectKey(d.ObjectID)
		if key == "" {
			key = id
		}
		env := &pipeline.Envelope{
			TraceID:   "halopsa:" + id,
			Source:    pipeline.Source{Provider: "halopsa", RecordID: id},
			FirstSeen: now,
			Inbound:   raw,
		}
		rec, err := env.Record(topic, key)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "INTERNAL_ERROR", "encoding a delivery failed", nil)
			return
		}
		recs = append(recs, rec)
		events = append(events, eventLabel(d.Event))
	}
	if len(recs) > 0 {
		if err := s.opts.Producer.ProduceSync(r.Context(), recs...).FirstErr(); err != nil {
			for _, ev := range events {
				s.met.inbound.WithLabelValues(ev, "error").Inc()
			}
			s.log.Error("webhook: producing to "+pipeline.TopicHaloInbound+" failed", "deliveries", len(recs), "err", err)
			writeError(w, http.StatusServiceUnavailable, CodeServiceUnavailable, "the deliveries could not be stored; retry later", nil)
			return
		}
	}
	if stale > 0 {
		s.log.Warn("webhook: deliveries refused as replays (timestamp outside the replay window, or none)",
			"stale", stale, "window", s.opts.ReplayWindow.String(), "remote", r.RemoteAddr)
		if len(recs) == 0 {
			writeError(w, http.StatusBadRequest, CodeValidation, "the delivery's timestamp is missing or outside the replay window",
				map[string]any{"field": "timestamp", "replay_window_seconds": int(s.opts.ReplayWindow.Seconds())})
			return
		}
	}
	for _, ev := range events {
		s.met.inbound.WithLabelValues(ev, "accepted").Inc()
	}
	s.log.Debug("webhook received", "deliveries", len(recs))
	body := map[string]int{"received": len(recs)}
	if stale > 0 {
		body["refused_stale"] = stale
	}
	writeJSON(w, http.StatusOK, body)
}

// splitDeliveries returns the envelopes of a body: one JSON object or an
// array of them. On failure it returns the §9.1 error code and message.
func splitDeliveries(body []byte) (items []json.RawMessage, code, msg string, details map[string]any) {
	body = bytes.TrimSpace(body)
	if !json.Valid(body) {
		return nil, CodeInvalidJSON, "the body is not valid JSON", nil
	}
	switch {
	case len(body) > 0 && body[0] == '{':
		items = []json.RawMessage{body}
	case len(body) > 0 && body[0] == '[':
		if err := json.Unmarshal(body, &items); err != nil {
			return nil, CodeInvalidJSON, "the body is not valid JSON", nil
		}
	default:
		return nil, CodeValidation, "the body must be a webhook envelope or an array of them", nil
	}
	for i, it := range items {
		var d delivery
		if len(it) == 0 || it[0] != '{' || json.Unmarshal(it, &d) != nil {
			return nil, CodeValidation, "each element must be a webhook envelope object",
				map[string]any{"field": "[" + strconv.Itoa(i) + "]"}
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, it); err == nil {
			items[i] = compact.Bytes()
		}
	}
	return items, "", "", nil
}

// eventLabel bounds the event label to Halo's known event names, so a
// caller cannot grow the metric without limit.
func eventLabel(ev string) string {
	switch ev = strings.ToLower(strings.TrimSpace(ev)); ev {
	case "new ticket logged", "ticket status changed", "ticket updated", "action added",
		"new client created", "client updated", "new user created", "user updated":
		return ev
	}
	return "other"
}

// objectKey renders a Halo object_id (a number, or a string) as a key.
func objectKey(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return ""
	}
	if unq, err := strconv.Unquote(s); err == nil {
		s = strings.TrimSpace(unq)
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int64(f)) {
		return strconv.FormatInt(int64(f), 10)
	}
	return s
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers with the §9.1 error envelope.
func writeError(w http.ResponseWriter, status int, code, msg string, details map[string]any) {
	e := map[string]any{"code": code, "message": msg}
	if details != nil {
		e["details"] = details
	}
	writeJSON(w, status, map[string]any{"error": e})
}

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
