// Package halopsa is leadstream's client for the HaloPSA REST API
// (contract: the shared spec halopsa.md §1–§8 and §10, and crm.md §6).
//
// It authenticates with OAuth2 client credentials against {base}/auth/token,
// caches the bearer token until shortly before it expires (refreshes are
// single-flight), and retries a request exactly once after a 401 with a fresh
// token. Every request passes through a rolling-window Pacer so the tenant's
// limit (300 requests per rolling 5 minutes on hosted Halo) is never
// exceeded; a 429 is treated as a slow-down signal (Retry-After is honoured
// when present), and 5xx answers and timeouts are retried with exponential
// backoff up to a budget before a typed error is returned — except for
// creates sent with CreateIsolated: a create whose outcome is unknown (5xx,
// timeout, a connection broken after sending) may have been applied, so it
// is returned as an OutcomeUnknownError for the caller to read back,
// never sent again blindly.
//
// Writes are POSTed JSON arrays (Halo's upsert: no id creates, an id
// updates only the keys sent), list reads always page, and custom-field ids
// can be resolved by name through /api/FieldInfo. Halo's three 400 body
// shapes are decoded into ValidationError, ExceptionError and MessageError.
//
// Secrets, tokens and e-mail addresses never reach the logs in clear.
package halopsa

import (
	"log/slog"
	"net/http"
	"time"
)

// Default values used by Options when a field is left at its zero value.
const (
	DefaultScope              = "all"
	DefaultRateLimit          = 250 // crm.md §6.1: stay well under Halo's 300
	DefaultRateWindow         = 5 * time.Minute
	DefaultTokenRefreshMargin = 60 * time.Second
	DefaultBackoffBase        = 5 * time.Second
	DefaultBackoffMax         = 60 * time.Second
	DefaultMax429Tries        = 6
	DefaultMax5xxRetries      = 3
	DefaultRequestTimeout     = 90 * time.Second
	DefaultMaxResponseBytes   = 32 << 20
	DefaultPageSize           = 100
	DefaultBatchSize          = 50
	maxErrorBodyBytes         = 64 << 10
)

// Options configures a Client. The zero value of every field except
// BaseURL, ClientID and ClientSecret selects a sensible default, in the
// style of badger.Options: start from DefaultOptions and override fields.
type Options struct {
	// BaseURL is the tenant root, e.g. "https://acme.halopsa.com". The API
	// lives under BaseURL+"/api" and the token endpoint at BaseURL+"/auth/token".
	BaseURL string
	// AuthURL overrides the authorisation server root for hosted tenants
	// with a separate auth server (GET /api/authinfo). Default: BaseURL.
	AuthURL string
	// ClientID and ClientSecret are the API application's credentials
	// ("Client ID and Secret (Services)"). ClientSecret is never logged.
	ClientID     string
	ClientSecret string
	// Scope requested with the token; default "all".
	Scope string
	// Tenant is sent as ?tenant=<name> on /auth/token when set (shared
	// authentication on hosted instances). With TenantOnAPI it is also added
	// to every /api call.
	Tenant      string
	TenantOnAPI bool

	// HTTPClient performs the requests; default a new http.Client without
	// a global timeout (RequestTimeout bounds each attempt instead).
	HTTPClient *http.Client
	// Logger receives structured logs; default slog.Default().
	Logger *slog.Logger

	// Pacer is shared by every Client that uses the same credentials. When
	// nil, a new Pacer of RateLimit requests per RateWindow is created.
	Pacer *Pacer
	// RateLimit and RateWindow size the client-side rolling window
	// (default 250 requests per 5 minutes, crm.md §6.1).
	RateLimit  int
	RateWindow time.Duration

	// TokenRefreshMargin: a token is refreshed this long before expires_in
	// runs out (default 60 s).
	TokenRefreshMargin time.Duration
	// BackoffBase and BackoffMax shape the retry delay base·2ⁿ capped at max
	// (defaults 5 s and 60 s), used when a 429/5xx carries no Retry-After.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// Max429Tries is the total number of attempts a request gets while it
	// keeps being answered 429 (default 6).
	Max429Tries int
	// Max5xxRetries is the number of retries after 500/502/503/504 or a
	// transport error/timeout (default 3; a negative value disables them).
	Max5xxRetries int
	// RequestTimeout bounds one HTTP attempt (default 90 s; Halo's gateway
	// gives up after about 60 s).
	RequestTimeout time.Duration
	// MaxResponseBytes bounds a decoded response body (default 32 MiB).
	MaxResponseBytes int64
	// PageSize for list reads (default 100, Halo's cap for Tickets).
	PageSize int
	// BatchSize is the most elements one POST carries (default 50).
	BatchSize int

	// Metrics observe the duration of each HTTP attempt (nil: none; make
	// them with NewMetrics).
	Metrics *Metrics
}

// DefaultOptions returns Options with every default filled in except the
// connection fields.
func DefaultOptions() Options {
	return Options{
		Scope:              DefaultScope,
		RateLimit:          DefaultRateLimit,
		RateWindow:         DefaultRateWindow,
		TokenRefreshMargin: DefaultTokenRefreshMargin,
		BackoffBase:        DefaultBackoffBase,
		BackoffMax:         DefaultBackoffMax,
		Max429Tries:        DefaultMax429Tries,
		Max5xxRetries:      DefaultMax5xxRetries,
		RequestTimeout:     DefaultRequestTimeout,
		MaxResponseBytes:   DefaultMaxResponseBytes,
		PageSize:           DefaultPageSize,
		BatchSize:          DefaultBatchSize,
	}
}

func (o *Options) fill() {
	d := DefaultOptions()
	if o.Scope == "" {
		o.Scope = d.Scope
	}
	if o.AuthURL == "" {
		o.AuthURL = o.BaseURL
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.RateLimit <= 0 {
		o.RateLimit = d.RateLimit
	}
	if o.RateWindow <= 0 {
		o.RateWindow = d.RateWindow
	}
	if o.TokenRefreshMargin <= 0 {
		o.TokenRefreshMargin = d.TokenRefreshMargin
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = d.BackoffBase
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = d.BackoffMax
	}
	if o.Max429Tries <= 0 {
		o.Max429Tries = d.Max429Tries
	}
	if o.Max5xxRetries < 0 {
		o.Max5xxRetries = 0
	} else if o.Max5xxRetries == 0 {
		o.Max5xxRetries = d.Max5xxRetries
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = d.RequestTimeout
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = d.MaxResponseBytes
	}
	if o.PageSize <= 0 {
		o.PageSize = d.PageSize
	}
	if o.PageSize > 100 {
		o.PageSize = 100
	}
	if o.BatchSize <= 0 {
		o.BatchSize = d.BatchSize
	}
}
