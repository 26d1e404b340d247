package halopsa

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// Sentinel errors matched with errors.Is against the typed errors below.
var (
	// ErrUnauthorized: a 401 survived the one retry with a fresh token
	// (a configuration error: wrong credentials or missing scope).
	ErrUnauthorized = errors.New("halopsa: unauthorized")
	// ErrForbidden: 403, the API agent's permissions are too narrow.
	ErrForbidden = errors.New("halopsa: forbidden")
	// ErrNotFound: 404, the id is gone.
	ErrNotFound = errors.New("halopsa: not found")
	// ErrRateLimited: 429 answers outlasted the retry budget.
	ErrRateLimited = errors.New("halopsa: rate limited")
	// ErrServer: 5xx answers or transport failures outlasted the retry budget.
	ErrServer = errors.New("halopsa: server error")
	// ErrBadRequest: any 400.
	ErrBadRequest = errors.New("halopsa: bad request")
	// ErrAuth: the token endpoint refused the credentials, scope or tenant.
	ErrAuth = errors.New("halopsa: token request failed")
)

// APIError is a non-2xx answer from an /api route. Body holds the raw body
// (bounded, possibly empty); Halo gives no schema, so it may be any JSON value.
type APIError struct {
	Method     string
	Path       string // path without query (the query may hold PII)
	StatusCode int
	Body       []byte
}

func (e *APIError) Error() string {
	if len(e.Body) == 0 {
		return fmt.Sprintf("halopsa: %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	}
	return fmt.Sprintf("halopsa: %s %s: %d %s: %s", e.Method, e.Path, e.StatusCode,
		http.StatusText(e.StatusCode), redact(truncate(string(e.Body), 512)))
}

// Is maps the status code to the package's sentinel errors.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrServer:
		return e.StatusCode >= 500
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest
	}
	return false
}

// ValidationError is the ASP.NET model-state 400: an object whose values
// are arrays of messages, keyed by field, e.g.
// {"[0].outcome_id":["Could not convert string to integer: abc. ..."]} or
// {"id":["The value 'probe' is not valid."]}.
type ValidationError struct {
	*APIError
	Fields map[string][]string
}

func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+strings.Join(e.Fields[k], "; "))
	}
	return fmt.Sprintf("halopsa: %s %s: validation failed: %s", e.Method, e.Path, redact(truncate(strings.Join(parts, ", "), 512)))
}

func (e *ValidationError) Unwrap() error { return e.APIError }

// ExceptionError is the business-rule / database 400: a serialised .NET
// exception such as {"ClassName":"System.Exception","Message":"Password is mandatory",...}.
type ExceptionError struct {
	*APIError
	ClassName string
	Message   string
	HResult   int64
}

func (e *ExceptionError) Error() string {
	return fmt.Sprintf("halopsa: %s %s: %s: %s", e.Method, e.Path, e.ClassName, redact(truncate(e.Message, 512)))
}

func (e *ExceptionError) Unwrap() error { return e.APIError }

// MessageError is the 400 whose body is a bare JSON string, e.g.
// "lookupid must be specified".
type MessageError struct {
	*APIError
	Message string
}

func (e *MessageError) Error() string {
	return fmt.Sprintf("halopsa: %s %s: %s", e.Method, e.Path, redact(truncate(e.Message, 512)))
}

func (e *MessageError) Unwrap() error { return e.APIError }

// RetriesExhaustedError is returned when 429 or 5xx/transport failures
// outlast the retry budget. Err is the last failure; errors.Is(err,
// ErrRateLimited) or errors.Is(err, ErrServer) tell the two apart.
type RetriesExhaustedError struct {
	Method   string
	Path     string
	Attempts int
	Err      error
}

func (e *RetriesExhaustedError) Error() string {
	return fmt.Sprintf("halopsa: %s %s: giving up after %d attempts: %v", e.Method, e.Path, e.Attempts, e.Err)
}

func (e *RetriesExhaustedError) Unwrap() error { return e.Err }

// Is makes a transport failure (not an APIError) match ErrServer.
func (e *RetriesExhaustedError) Is(target error) bool {
	if target != ErrServer {
		return false
	}
	var ae *APIError
	return !errors.As(e.Err, &ae)
}

// TokenError is a refused token request ({"error":"invalid_client"} and
// friends). It matches ErrAuth.
type TokenError struct {
	StatusCode int
	Code       string // OAuth2 error code, e.g. "invalid_client"
	Body       []byte
}

func (e *TokenError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("halopsa: token request: %d: %s", e.StatusCode, e.Code)
	}
	return fmt.Sprintf("halopsa: token request: %d %s", e.StatusCode, http.StatusText(e.StatusCode))
}

func (e *TokenError) Is(target error) bool { return target == ErrAuth }

// classify builds the typed error for a non-2xx response.
func classify(base *APIError) error {
	if base.StatusCode != http.StatusBadRequest {
		return base
	}
	body := bytes.TrimSpace(base.Body)
	if len(body) == 0 {
		return base
	}
	switch body[0] {
	case '"':
		var s string
		if json.Unmarshal(body, &s) == nil {
			return &MessageError{APIError: base, Message: s}
		}
	case '{':
		var exc struct {
			ClassName *string `json:"ClassName"`
			Message   string  `json:"Message"`
			HResult   int64   `json:"HResult"`
		}
		if json.Unmarshal(body, &exc) == nil && exc.ClassName != nil {
			return &ExceptionError{APIError: base, ClassName: *exc.ClassName, Message: exc.Message, HResult: exc.HResult}
		}
		var raw map[string]json.RawMessage
		if json.Unmarshal(body, &raw) == nil {
			fields := make(map[string][]string, len(raw))
			for k, v := range raw {
				var msgs []string
				if json.Unmarshal(v, &msgs) != nil {
					var one string
					if json.Unmarshal(v, &one) != nil {
						return base // not model state; keep the raw body
					}
					msgs = []string{one}
				}
				fields[k] = msgs
			}
			return &ValidationError{APIError: base, Fields: fields}
		}
	}
	return base
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// ErrOutcomeUnknown matches an *OutcomeUnknownError.
var ErrOutcomeUnknown = errors.New("halopsa: outcome of the write unknown")

// OutcomeUnknownError is a create that may or may not have been applied:
// HaloPSA (or its gateway) answered 5xx, the attempt timed out, or the
// connection broke after the request was sent. It is never retried
// blindly; read back what exists before creating again.
type OutcomeUnknownError struct {
	Method, Path string
	Err          error
}

func (e *OutcomeUnknownError) Error() string {
	return fmt.Sprintf("halopsa: %s %s: outcome unknown (the write may have been applied): %v", e.Method, e.Path, e.Err)
}

func (e *OutcomeUnknownError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrOutcomeUnknown) hold.
func (e *OutcomeUnknownError) Is(target error) bool { return target == ErrOutcomeUnknown }
