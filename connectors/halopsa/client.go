package halopsa

import (
	"github.com/leadstream/leadstream/internal/ctxtime"

	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Client talks to one HaloPSA tenant. It is safe for concurrent use.
type Client struct {
	opts  Options
	log   *slog.Logger
	pacer *Pacer
	api   string // BaseURL + "/api"

	tokMu       sync.Mutex
	token       string
	tokenExpiry time.Time
	tokenWait   chan struct{} // non-nil while a fetch is in flight
	tokenErr    error
	// tokenRefused is set when HaloPSA answered 401 to the current token:
	// the next fetch is a refresh for reason "401", not for expiry.
	tokenRefused bool

	fieldMu    sync.Mutex
	fieldCache map[int][]FieldInfo // by typeid

	tokenRequests atomic.Int64
	requests      atomic.Int64
	retries       atomic.Int64
	rateLimited   atomic.Int64
}

// New validates opts, fills in defaults and returns a Client.
func New(opts Options) (*Client, error) {
	if opts.BaseURL == "" {
		return nil, errors.New("halopsa: Options.BaseURL is required")
	}
	if opts.ClientID == "" || opts.ClientSecret == "" {
		return nil, errors.New("halopsa: Options.ClientID and Options.ClientSecret are required")
	}
	if _, err := url.Parse(opts.BaseURL); err != nil {
		return nil, fmt.Errorf("halopsa: parsing BaseURL: %w", err)
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	opts.AuthURL = strings.TrimRight(opts.AuthURL, "/")
	opts.fill()
	p := opts.Pacer
	if p == nil {
		p = NewPacer(opts.RateLimit, opts.RateWindow)
	}
	return &Client{
		opts:       opts,
		log:        opts.Logger.With("component", "halopsa"),
		pacer:      p,
		api:        opts.BaseURL + "/api",
		fieldCache: make(map[int][]FieldInfo),
	}, nil
}

// Stats are counters for metrics and tests.
type Stats struct {
	TokenRequests int64 // token fetches sent to /auth/token
	Requests      int64 // HTTP attempts to /api (retries included)
	Retries       int64 // attempts that were retries
	RateLimited   int64 // 429 answers received
}

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	return Stats{
		TokenRequests: c.tokenRequests.Load(),
		Requests:      c.requests.Load(),
		Retries:       c.retries.Load(),
		RateLimited:   c.rateLimited.Load(),
	}
}

// Identity names the tenant and application the client talks to (base
// URL, tenant, client id), for keeping state per tenant. It holds no
// secret.
func (c *Client) Identity() string {
	return c.opts.BaseURL + "|" + c.opts.Tenant + "|" + c.opts.ClientID
}

// Pacer returns the client's rate limiter (share it via Options.Pacer).
func (c *Client) Pacer() *Pacer { return c.pacer }

// InvalidateToken drops the cached token so the next call fetches a new one.
func (c *Client) InvalidateToken() {
	c.tokMu.Lock()
	c.token = ""
	c.tokMu.Unlock()
}

// accessToken returns a valid cached token or fetches one. Concurrent
// callers share a single fetch.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	for {
		c.tokMu.Lock()
		if c.token != "" && time.Now().Before(c.tokenExpiry) {
			t := c.token
			c.tokMu.Unlock()
			return t, nil
		}
		if w := c.tokenWait; w != nil {
			c.tokMu.Unlock()
			select {
			case <-ctx.Done():
				return "", fmt.Errorf("halopsa: waiting for token: %w", ctx.Err())
			case <-w:
			}
			c.tokMu.Lock()
			err := c.tokenErr
			c.tokMu.Unlock()
			if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				return "", err
			}
			continue // the fetcher's context ended, or it succeeded: look again
		}
		w := make(chan struct{})
		c.tokenWait = w
		reason := "expiry"
		if c.tokenRefused {
			reason = "401"
		}
		c.tokenRefused = false
		c.tokMu.Unlock()

		c.opts.Metrics.tokenRefresh(reason)
		tok, ttl, err := c.fetchToken(ctx)

		c.tokMu.Lock()
		c.tokenWait = nil
		c.tokenErr = err
		if err == nil {
			c.token = tok
			life := ttl - c.opts.TokenRefreshMargin
			if life < ttl/2 {
				life = ttl / 2 // short-lived tokens: refresh at half-life
			}
			c.tokenExpiry = time.Now().Add(life)
		}
		close(w)
		c.tokMu.Unlock()
		if err != nil {
			return "", err
		}
		return tok, nil
	}
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
	Error       string `json:"error"`
}

func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {c.opts.ClientID},
		"client_secret": {c.opts.ClientSecret},
		"scope":         {c.opts.Scope},
	}
	endpoint := c.opts.AuthURL + "/auth/token"
	if c.opts.Tenant != "" {
		endpoint += "?" + url.Values{"tenant": {c.opts.Tenant}}.Encode()
	}
	body := []byte(form.Encode())
	var lastErr error
	n5xx := 0
	for attempt := 0; ; attempt++ {
		release, err := c.pacer.Acquire(ctx)
		if err != nil {
			return "", 0, err
		}
		c.tokenRequests.Add(1)
		actx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
		req, err := http.NewRequestWithContext(actx, http.MethodPost, endpoint, bytes.NewReader(body))
		if err != nil {
			cancel()
			release()
			return "", 0, fmt.Errorf("halopsa: building token request: %w", err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		resp, err := c.opts.HTTPClient.Do(req)
		var raw []byte
		if err == nil {
			raw, err = readBounded(resp.Body, maxErrorBodyBytes)
			resp.Body.Close()
		}
		cancel()
		release()
		if err != nil {
			if ctx.Err() != nil {
				return "", 0, fmt.Errorf("halopsa: token request: %w", ctx.Err())
			}
			lastErr = fmt.Errorf("halopsa: token request: %w", err)
		} else {
			switch {
			case resp.StatusCode == http.StatusOK:
				var tr tokenResponse
				if err := json.Unmarshal(raw, &tr); err != nil {
					return "", 0, fmt.Errorf("halopsa: decoding token response: %w", err)
				}
				if tr.AccessToken == "" {
					return "", 0, &TokenError{StatusCode: resp.StatusCode, Code: "empty access_token"}
				}
				if tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "bearer") {
					return "", 0, fmt.Errorf("halopsa: token type %q is not Bearer", tr.TokenType)
				}
				ttl := time.Duration(tr.ExpiresIn) * time.Second
				if ttl <= 0 {
					ttl = time.Hour
				}
				c.log.LogAttrs(ctx, slog.LevelDebug, "halopsa token acquired",
					slog.Duration("expires_in", ttl), slog.String("scope", tr.Scope))
				return tr.AccessToken, ttl, nil
			case resp.StatusCode == http.StatusTooManyRequests:
				c.rateLimited.Add(1)
				c.opts.Metrics.rateLimit("/auth/token")
				d := c.retryDelay(resp.Header, attempt)
				c.pacer.Penalize(d)
				if attempt+1 >= c.opts.Max429Tries {
					return "", 0, &RetriesExhaustedError{Method: "POST", Path: "/auth/token", Attempts: attempt + 1,
						Err: &APIError{Method: "POST", Path: "/auth/token", StatusCode: resp.StatusCode, Body: raw}}
				}
				continue
			case resp.StatusCode >= 500:
				lastErr = &APIError{Method: "POST", Path: "/auth/token", StatusCode: resp.StatusCode, Body: raw}
			default:
				var tr tokenResponse
				_ = json.Unmarshal(raw, &tr)
				c.log.LogAttrs(ctx, slog.LevelError, "halopsa token request refused",
					slog.Int("status", resp.StatusCode), slog.String("error", tr.Error))
				return "", 0, &TokenError{StatusCode: resp.StatusCode, Code: tr.Error, Body: raw}
			}
		}
		n5xx++
		if n5xx > c.opts.Max5xxRetries {
			return "", 0, &RetriesExhaustedError{Method: "POST", Path: "/auth/token", Attempts: attempt + 1, Err: lastErr}
		}
		if err := ctxtime.Sleep(ctx, c.backoff(n5xx-1)); err != nil {
			return "", 0, fmt.Errorf("halopsa: token request backoff: %w", err)
		}
	}
}

// backoff returns base·2ⁿ capped at BackoffMax.
func (c *Client) backoff(n int) time.Duration {
	d := c.opts.BackoffBase
	for i := 0; i < n && d < c.opts.BackoffMax; i++ {
		d *= 2
	}
	return min(d, c.opts.BackoffMax)
}

// retryDelay honours Retry-After (seconds or HTTP date) and otherwise
// backs off exponentially.
func (c *Client) retryDelay(h http.Header, n int) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
			return time.Duration(s * float64(time.Second))
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(0, time.Until(t))
		}
	}
	return c.backoff(n)
}

// Do sends one API request and decodes a 2xx JSON answer into out (which
// may be nil). path is relative to /api, e.g. "/Client" or "Tickets/42".
// body, when non-nil, is encoded as JSON. It applies pacing, token refresh,
// the single 401 retry and the 429/5xx retry budgets.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	raw, err := c.do(ctx, method, path, query, body)
	if err != nil {
		return err
	}
	if out == nil || len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("halopsa: %s %s: decoding response: %w", method, cleanPath(path), err)
	}
	return nil
}

func cleanPath(p string) string {
	return "/api/" + strings.TrimLeft(p, "/")
}

func (c *Client) do(ctx context.Context, method, path string, query url.Values, body any) ([]byte, error) {
	return c.send(ctx, method, path, query, body, false)
}

// send is do; with create set, an answer that leaves the write's outcome
// unknown (500/502/503/504, a timeout or a broken connection once the
// request may have left) is not retried but returned as an
// *OutcomeUnknownError: sending the same creates again could double them
// (the caller reads back instead). Failures that prove nothing was sent
// (no token, a refused dial, 401, 429) are retried as usual.
func (c *Client) send(ctx context.Context, method, path string, query url.Values, body any, create bool) ([]byte, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("halopsa: %s %s: encoding body: %w", method, cleanPath(path), err)
		}
	}
	if c.opts.TenantOnAPI && c.opts.Tenant != "" {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("tenant", c.opts.Tenant)
		query = q
	}
	p := cleanPath(path)
	target := c.opts.BaseURL + p
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	logAttrs := []slog.Attr{slog.String("method", method), slog.String("path", p), slog.String("query", redactQuery(query))}

	var (
		n429, n5xx int
		retried401 bool
		lastErr    error
	)
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			c.retries.Add(1)
		}
		tok, err := c.accessToken(ctx)
		if err != nil {
			return nil, fmt.Errorf("halopsa: %s %s: %w", method, p, err)
		}
		status, hdr, raw, err := c.attempt(ctx, method, target, p, tok, payload)
		if err != nil {
			if errors.Is(err, ErrResponseTooLarge) {
				return nil, fmt.Errorf("halopsa: %s %s: %w", method, p, err)
			}
			if ctx.Err() != nil {
				if create {
					return nil, &OutcomeUnknownError{Method: method, Path: p, Err: ctx.Err()}
				}
				return nil, fmt.Errorf("halopsa: %s %s: %w", method, p, ctx.Err())
			}
			lastErr = fmt.Errorf("halopsa: %s %s: %w", method, p, err)
			if create && !notSent(err) {
				return nil, &OutcomeUnknownError{Method: method, Path: p, Err: lastErr}
			}
			n5xx++
			if n5xx > c.opts.Max5xxRetries {
				return nil, &RetriesExhaustedError{Method: method, Path: p, Attempts: attempt + 1, Err: lastErr}
			}
			d := c.backoff(n5xx - 1)
			c.log.LogAttrs(ctx, slog.LevelWarn, "halopsa transport error, retrying",
				append(logAttrs, slog.Int("attempt", attempt+1), slog.Duration("backoff", d), slog.String("error", redact(err.Error())))...)
			if err := ctxtime.Sleep(ctx, d); err != nil {
				return nil, fmt.Errorf("halopsa: %s %s: backoff: %w", method, p, err)
			}
			continue
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, "halopsa request",
			append(logAttrs, slog.Int("status", status), slog.Int("attempt", attempt+1))...)
		switch {
		case status >= 200 && status < 300:
			return raw, nil
		case status == http.StatusUnauthorized:
			if retried401 {
				c.log.LogAttrs(ctx, slog.LevelError, "halopsa 401 after token refresh", logAttrs...)
				return nil, &APIError{Method: method, Path: p, StatusCode: status, Body: raw}
			}
			retried401 = true
			c.dropToken(tok)
			continue
		case status == http.StatusTooManyRequests:
			c.rateLimited.Add(1)
			c.opts.Metrics.rateLimit(p)
			n429++
			d := c.retryDelay(hdr, n429-1)
			c.pacer.Penalize(d)
			lastErr = &APIError{Method: method, Path: p, StatusCode: status, Body: raw}
			if n429 >= c.opts.Max429Tries {
				return nil, &RetriesExhaustedError{Method: method, Path: p, Attempts: attempt + 1, Err: lastErr}
			}
			c.log.LogAttrs(ctx, slog.LevelWarn, "halopsa rate limited, slowing down",
				append(logAttrs, slog.Duration("delay", d), slog.Bool("retry_after", hdr.Get("Retry-After") != ""))...)
			continue // the pacer enforces the pause
		case status == 500 || status == 502 || status == 503 || status == 504:
			lastErr = &APIError{Method: method, Path: p, StatusCode: status, Body: raw}
			if create {
				c.log.LogAttrs(ctx, slog.LevelWarn, "halopsa server error on a create; reading back before anything is sent again",
					append(logAttrs, slog.Int("status", status))...)
				return nil, &OutcomeUnknownError{Method: method, Path: p, Err: lastErr}
			}
			n5xx++
			if n5xx > c.opts.Max5xxRetries {
				return nil, &RetriesExhaustedError{Method: method, Path: p, Attempts: attempt + 1, Err: lastErr}
			}
			d := c.retryDelay(hdr, n5xx-1)
			c.log.LogAttrs(ctx, slog.LevelWarn, "halopsa server error, retrying",
				append(logAttrs, slog.Int("status", status), slog.Duration("backoff", d))...)
			if err := ctxtime.Sleep(ctx, d); err != nil {
				return nil, fmt.Errorf("halopsa: %s %s: backoff: %w", method, p, err)
			}
			continue
		default:
			e := classify(&APIError{Method: method, Path: p, StatusCode: status, Body: raw})
			lvl := slog.LevelWarn
			if status == http.StatusNotFound {
				lvl = slog.LevelDebug
			}
			c.log.LogAttrs(ctx, lvl, "halopsa request failed",
				append(logAttrs, slog.Int("status", status), slog.String("body", redact(truncate(string(raw), 1024))))...)
			return nil, e
		}
	}
}

// notSent reports whether a transport error proves the request never
// reached the server: the connection was refused or never made.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func (c *Client) dropToken(used string) {
	c.tokMu.Lock()
	if c.token == used {
		c.token = ""
		c.tokenRefused = true
	}
	c.tokMu.Unlock()
}

// attempt performs one paced HTTP exchange.
// display is the path shown in errors instead of target, whose query may
// carry personal data.
func (c *Client) attempt(ctx context.Context, method, target, display, tok string, payload []byte) (code int, _ http.Header, _ []byte, _ error) {
	release, err := c.pacer.Acquire(ctx)
	if err != nil {
		return 0, nil, nil, err
	}
	defer release()
	c.requests.Add(1)
	start := time.Now()
	defer func() { c.opts.Metrics.request(method, display, code, time.Since(start)) }()
	actx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(actx, method, target, rd)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("building request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = &url.Error{Op: ue.Op, URL: display, Err: ue.Err}
		}
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		// Error bodies are only logged: keep a bounded prefix.
		raw, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBodyBytes))
		if err != nil {
			return 0, nil, nil, fmt.Errorf("reading response: %w", err)
		}
		return resp.StatusCode, resp.Header, raw, nil
	}
	raw, err := readBounded(resp.Body, c.opts.MaxResponseBytes)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("reading response: %w", err)
	}
	return resp.StatusCode, resp.Header, raw, nil
}

// ErrResponseTooLarge is returned when a 2xx body exceeds
// Options.MaxResponseBytes; page the request instead.
var ErrResponseTooLarge = errors.New("halopsa: response body exceeds MaxResponseBytes")

// readBounded reads at most limit bytes; a longer body is an error.
func readBounded(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, ErrResponseTooLarge
	}
	return b, nil
}
