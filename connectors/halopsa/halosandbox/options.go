// Package halosandbox is an in-process emulator of the HaloPSA REST API,
// faithful to the emulator contract in the shared spec halopsa.md §9: OAuth2
// client credentials at /auth/token with expiring bearer tokens, the lead
// pipeline's entities under /api (Client, Site, Users, Tickets,
// Opportunities, Actions, CRMNote, TicketType, Status, FieldInfo, Lookup,
// Webhook, WebhookEvent), POSTed-array upserts that silently drop unknown
// fields, Halo's three 400 body shapes, a rolling-window rate limiter that
// answers 429, paging/search/filters, custom fields, fault injection, and
// outgoing webhook deliveries.
//
// A Server is an http.Handler with no global state: use it with
// httptest.NewServer in tests or mount it in a standalone process. Test
// hooks (Stats, Count, RequestLog, ExpireTokens, InjectFaults,
// AddWebhook, FlushWebhooks, …) expose and steer its state. Behaviours the
// spec marks as inferred are switches in Options.
package halosandbox

import (
	"log/slog"
	"net/http"
	"time"
)

// RetryAfterMode selects what a 429 carries in Retry-After.
type RetryAfterMode int

const (
	// RetryAfterOff sends no Retry-After (the default: Halo is not known to).
	RetryAfterOff RetryAfterMode = iota
	// RetryAfterOldest sends the whole seconds until the oldest request in
	// the window leaves it (rounded up).
	RetryAfterOldest
	// RetryAfterFixed sends Options.RetryAfterFixed.
	RetryAfterFixed
)

// App is an API application's credentials.
type App struct {
	ClientID     string
	ClientSecret string
}

// Options configures a Server. Zero values select the defaults noted on
// each field; those defaults are the faithful behaviour.
type Options struct {
	// Apps are the accepted client credentials. Default: one app
	// "sandbox-client" / "sandbox-secret".
	Apps []App
	// Tenant, when set, must be sent to /auth/token as ?tenant= or a form
	// field; a missing or wrong one gets 400 invalid_request.
	Tenant string
	// TokenTTL is expires_in (default 3600 s).
	TokenTTL time.Duration
	// EnforceScopes maps routes to read:/edit: scopes and answers 401 on a
	// miss (off by default; "all" always grants everything).
	EnforceScopes bool

	// RateLimit requests per RateWindow (defaults 300 per 5 minutes).
	// A negative RateLimit disables the limiter.
	RateLimit  int
	RateWindow time.Duration
	// RateLimitPerTenant keys the limiter by tenant instead of by API
	// application (client_id).
	RateLimitPerTenant bool
	// CountTokenRequests makes /auth/token requests count against the limit.
	CountTokenRequests bool
	// CountRejected makes 429-rejected requests occupy window slots too.
	CountRejected bool
	// RetryAfter selects the Retry-After header on 429 (default off).
	RetryAfter      RetryAfterMode
	RetryAfterFixed time.Duration

	// UnknownIDCreates: a POSTed element whose id does not exist is created
	// instead of answered 404 (default: 404 with an empty body).
	UnknownIDCreates bool
	// DisableBusinessRules turns off the .NET-exception 400s (e.g. a user
	// whose site_id does not belong to its client_id).
	DisableBusinessRules bool
	// StrictCustomFieldNames requires the "CF" prefix when custom fields are
	// written by name (default: matched with or without it).
	StrictCustomFieldNames bool

	// Seed holds ticket types, statuses, FieldInfo, lookups and top levels.
	// Default: DefaultSeed() (crm.md §5 fields).
	Seed *Seed
	// NotificationIDs overrides the notification id per webhook event name.
	NotificationIDs map[string]int
	// APIAgentID is the agent_id reported for API writes (default 1).
	APIAgentID int
	// WebhookClient sends webhook deliveries (default: 10 s timeout).
	WebhookClient *http.Client
	// DuplicateWebhooks delivers every webhook body twice, to test receiver
	// idempotency.
	DuplicateWebhooks bool

	// FaultRate is the share of /api entity requests answered with a
	// random fault (500, or 504 after FaultDelay), drawn from FaultSeed.
	// FaultCommitShare of the faulted POSTs are applied first (a committed
	// fault: the write is stored, the answer still says it failed).
	FaultRate        float64
	FaultCommitShare float64
	FaultDelay       time.Duration
	FaultSeed        uint64

	// IDOffsets starts a resource's ids after an offset, as in a tenant
	// that has been in use for years ("Client": 1200 makes the first new
	// Client 1201). Tickets and Opportunities share one id space.
	IDOffsets map[string]int
	// SeedClients pre-populates the tenant (SeedTenant): that many Clients
	// with alike names and other domains than leadstream's, their Users and
	// lead Tickets people made.
	SeedClients int

	// MaxBodyBytes bounds request bodies (default 8 MiB).
	MaxBodyBytes int64
	// MaxLoggedRequests bounds the request log (default 10000).
	MaxLoggedRequests int
	// Logger receives debug logs (default: discard).
	Logger *slog.Logger
}

func (o *Options) fill() {
	if len(o.Apps) == 0 {
		o.Apps = []App{{ClientID: "sandbox-client", ClientSecret: "sandbox-secret"}}
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = time.Hour
	}
	if o.RateLimit == 0 {
		o.RateLimit = 300
	}
	if o.RateWindow <= 0 {
		o.RateWindow = 5 * time.Minute
	}
	if o.Seed == nil {
		s := DefaultSeed()
		o.Seed = &s
	}
	if o.APIAgentID == 0 {
		o.APIAgentID = 1
	}
	if o.WebhookClient == nil {
		o.WebhookClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 8 << 20
	}
	if o.MaxLoggedRequests <= 0 {
		o.MaxLoggedRequests = 10000
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}
