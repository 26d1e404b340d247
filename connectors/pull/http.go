package pull

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// DefaultMaxBody bounds how much of a response body a Client reads.
const DefaultMaxBody = 16 << 20

// Client is a small HTTP helper for provider packages: bounded bodies,
// secret redaction and default status classification.
type Client struct {
	Provider string
	HTTP     *http.Client
	MaxBody  int64
	secrets  []string
}

// NewClient returns a Client for provider. Every secret (API keys, passwords,
// tokens) is removed from error messages; more can be added with AddSecret.
func NewClient(provider string, hc *http.Client, secrets ...string) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	c := &Client{Provider: provider, HTTP: hc, MaxBody: DefaultMaxBody}
	for _, s := range secrets {
		c.AddSecret(s)
	}
	return c
}

// AddSecret registers one more value to redact (a freshly issued token).
// It is not safe to call concurrently with Do.
func (c *Client) AddSecret(s string) {
	if len(s) >= 4 {
		c.secrets = append(c.secrets, s)
	}
}

var secretParam = regexp.MustCompile(`(?i)((?:api_key|apikey|token|password|access_token|key)=)[^&\s"]+`)

// Redact removes registered secrets and secret-looking query parameters.
func (c *Client) Redact(s string) string {
	for _, sec := range c.secrets {
		s = strings.ReplaceAll(s, sec, "[REDACTED]")
	}
	return secretParam.ReplaceAllString(s, "${1}[REDACTED]")
}

// Response is a fully read, size-bounded HTTP response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Op names a request for messages: method and path, never the query.
func Op(req *http.Request) string { return req.Method + " " + req.URL.Path }

// Do sends req and reads at most MaxBody bytes of the answer. Network errors
// and timeouts come back as KindTransient; an oversized body as KindPermanent.
func (c *Client) Do(req *http.Request) (*Response, error) {
	resp, err := c.HTTP.Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil && errors.Is(err, ctxErr) && !errors.Is(ctxErr, context.DeadlineExceeded) {
			return nil, ctxErr
		}
		return nil, &Error{Provider: c.Provider, Kind: KindTransient, Op: Op(req), Msg: c.Redact(err.Error())}
	}
	defer resp.Body.Close()
	limit := c.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, &Error{Provider: c.Provider, Kind: KindTransient, Op: Op(req), Status: resp.StatusCode, Msg: "reading body: " + c.Redact(err.Error())}
	}
	if int64(len(body)) > limit {
		return nil, &Error{Provider: c.Provider, Kind: KindPermanent, Op: Op(req), Status: resp.StatusCode, Msg: fmt.Sprintf("response body exceeds %d bytes", limit)}
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// NewJSONRequest builds a request to url carrying v encoded as JSON, with
// Content-Type and Accept set to application/json. With v nil the request
// has no body and only Accept is set. Errors are redacted.
func (c *Client) NewJSONRequest(ctx context.Context, method, url string, v any) (*http.Request, error) {
	var body io.Reader
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%s: encoding request: %w", c.Provider, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, fmt.Errorf("%s: building request: %s", c.Provider, c.Redact(err.Error()))
	}
	req.Header.Set("Accept", "application/json")
	if v != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// Exchange sends req and classifies the answer: check, when not nil, has
// the first word on statuses with a provider-specific meaning (Lusha's 451,
// Seamless's 422), then Classify the common conventions. The response comes
// back with a classified error too, so that callers can read its rate
// headers; op names the request for messages.
func (c *Client) Exchange(req *http.Request, now time.Time, check func(op string, r *Response) error) (*Response, string, error) {
	op := Op(req)
	resp, err := c.Do(req)
	if err != nil {
		return nil, op, err
	}
	if check != nil {
		if err := check(op, resp); err != nil {
			return resp, op, err
		}
	}
	if err := c.Classify(op, resp, now); err != nil {
		return resp, op, err
	}
	return resp, op, nil
}

// Excerpt returns a redacted, shortened body for error messages.
func (c *Client) Excerpt(body []byte) string {
	s := strings.TrimSpace(string(body))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return c.Redact(s)
}

// Classify maps a response to an error using the common conventions:
// 2xx nil; 401 and 403 auth; 402 quota; 429 rate limited (with Retry-After);
// 408, 425 and 5xx transient; anything else permanent. Providers with other
// conventions (Hunter's 403, Seamless's 422) check those first.
func (c *Client) Classify(op string, r *Response, now time.Time) error {
	if r.Status >= 200 && r.Status < 300 {
		return nil
	}
	e := &Error{Provider: c.Provider, Op: op, Status: r.Status, Msg: c.Excerpt(r.Body)}
	switch {
	case r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden:
		e.Kind = KindAuth
	case r.Status == http.StatusPaymentRequired:
		e.Kind = KindQuota
	case r.Status == http.StatusTooManyRequests:
		e.Kind = KindRateLimited
		e.RetryAfter = RetryAfter(r.Header, now)
	case r.Status == http.StatusRequestTimeout || r.Status == http.StatusTooEarly || r.Status >= 500:
		e.Kind = KindTransient
		e.RetryAfter = RetryAfter(r.Header, now)
	default:
		e.Kind = KindPermanent
	}
	return e
}

// Decode parses a JSON body into v (numbers as json.Number when v is an
// interface or map). A parse failure is KindMalformed.
func (c *Client) Decode(op string, r *Response, v any) error {
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return &Error{Provider: c.Provider, Kind: KindMalformed, Op: op, Status: r.Status, Msg: "cannot parse body " + strconv.Quote(c.Excerpt(r.Body)), Err: err}
	}
	return nil
}

// Malformed builds a KindMalformed error for a body with the wrong shape.
func (c *Client) Malformed(op string, r *Response, what string) error {
	return &Error{Provider: c.Provider, Kind: KindMalformed, Op: op, Status: r.Status, Msg: what + ": " + c.Excerpt(r.Body)}
}

// RetryAfter parses a Retry-After header (seconds or HTTP date); 0 if absent.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 {
		return time.Duration(f * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// HeaderInt returns the first of names present in h as an integer.
func HeaderInt(h http.Header, names ...string) (int, bool) {
	for _, n := range names {
		if v := strings.TrimSpace(h.Get(n)); v != "" {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				return int(f), true
			}
		}
	}
	return 0, false
}

// HeaderFloat is HeaderInt for fractional values such as credit balances.
func HeaderFloat(h http.Header, names ...string) (float64, bool) {
	for _, n := range names {
		if v := strings.TrimSpace(h.Get(n)); v != "" {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				return f, true
			}
		}
	}
	return 0, false
}

// Window reads one limit/remaining/reset header trio. reset is interpreted
// as epoch seconds when it is larger than ten years of seconds, otherwise as
// seconds from now.
func Window(h http.Header, now time.Time, limit, remaining, reset string) RateInfo {
	ri := UnknownRate()
	if v, ok := HeaderInt(h, limit); ok {
		ri.Limit = v
	}
	if v, ok := HeaderInt(h, remaining); ok {
		ri.Remaining = v
	}
	if reset != "" {
		if v, ok := HeaderFloat(h, reset); ok {
			if v > 315360000 {
				ri.Reset = time.Unix(int64(v), 0)
				ri.ResetAfter = ri.Reset.Sub(now)
			} else {
				ri.ResetAfter = time.Duration(v * float64(time.Second))
				ri.Reset = now.Add(ri.ResetAfter)
			}
		}
	}
	return ri
}

// IDString renders a JSON id (string, json.Number, float64) as a string; ""
// when absent or of another type.
func IDString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return ""
}

// Items turns a decoded JSON array into Items. Elements that are not objects,
// or have no id according to idOf, become malformed Items.
func Items(list []any, idOf func(map[string]any) string) []Item {
	out := make([]Item, 0, len(list))
	for i, el := range list {
		obj, ok := el.(map[string]any)
		if !ok {
			out = append(out, Item{At: i + 1, Err: fmt.Errorf("record is not a JSON object (got %s)", jsonType(el))})
			continue
		}
		id := idOf(obj)
		if id == "" {
			out = append(out, Item{At: i + 1, Data: obj, Err: errors.New("record has no id")})
			continue
		}
		out = append(out, Item{At: i + 1, ID: id, Data: obj})
	}
	return out
}

// Field returns the id field name of obj as a string (for Items).
func Field(name string) func(map[string]any) string {
	return func(m map[string]any) string { return IDString(m[name]) }
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}

// FingerprintOf hashes a query-options value into a short stable string for
// Fingerprinter implementations.
func FingerprintOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// EncodeCursor and DecodeCursor store a provider's cursor struct as JSON.
func EncodeCursor(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Cursor structs are plain data; this cannot happen.
		panic(fmt.Sprintf("pull: encoding cursor: %v", err))
	}
	return string(b)
}

// DecodeCursor parses cursor into v; an empty cursor leaves v untouched.
func DecodeCursor(cursor string, v any) error {
	if cursor == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(cursor), v); err != nil {
		return fmt.Errorf("pull: corrupt cursor %q: %w", cursor, err)
	}
	return nil
}
