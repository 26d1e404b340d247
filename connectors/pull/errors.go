package pull

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Kind classifies a provider failure for Run's retry policy.
type Kind int

const (
	// KindTransient covers 5xx, timeouts and network errors: retried with backoff.
	KindTransient Kind = iota
	// KindRateLimited is a request-rate limit (usually 429): retried after
	// Retry-After or the reset header, within the rate-limit retry budget.
	KindRateLimited
	// KindMalformed is a response body that could not be parsed: retried a
	// few times, since proxies truncate bodies.
	KindMalformed
	// KindAuth is a rejected key or token (401, and 403 where it means that).
	KindAuth
	// KindQuota is an exhausted credit or monthly quota: a stop, not a retry.
	KindQuota
	// KindPermanent is any other failure that retrying will not fix.
	KindPermanent
)

func (k Kind) String() string {
	switch k {
	case KindTransient:
		return "transient"
	case KindRateLimited:
		return "rate limited"
	case KindMalformed:
		return "malformed response"
	case KindAuth:
		return "authentication"
	case KindQuota:
		return "quota exhausted"
	default:
		return "permanent"
	}
}

// Error is a classified provider failure. Messages never contain secrets:
// build them with a [Client], which redacts keys and tokens.
type Error struct {
	Provider   string
	Kind       Kind
	Op         string // what was being done, e.g. "POST /mixed_people/api_search"
	Status     int    // HTTP status, 0 when there was no response
	RetryAfter time.Duration
	Msg        string // provider message or body excerpt, redacted
	Err        error  // underlying cause, if any
}

func (e *Error) Error() string {
	status := ""
	if e.Status != 0 {
		status = fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status))
	}
	switch e.Kind {
	case KindAuth:
		return fmt.Sprintf("check the API key for %s: the provider answered %s to %s: %s", e.Provider, status, e.Op, e.Msg)
	case KindQuota:
		return fmt.Sprintf("%s: credits or quota exhausted (%s to %s): %s; resume after the quota resets or credits are added", e.Provider, status, e.Op, e.Msg)
	}
	s := fmt.Sprintf("%s: %s: %s", e.Provider, e.Op, e.Kind)
	if status != "" {
		s += " (" + status + ")"
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// ErrAuth, ErrQuota and ErrRateLimited match errors of that kind with errors.Is.
var (
	ErrAuth        = errors.New("authentication failed")
	ErrQuota       = errors.New("quota exhausted")
	ErrRateLimited = errors.New("rate limited")
)

// Is lets errors.Is(err, ErrAuth) and friends work on *Error.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrAuth:
		return e.Kind == KindAuth
	case ErrQuota:
		return e.Kind == KindQuota
	case ErrRateLimited:
		return e.Kind == KindRateLimited
	}
	return false
}

// KindOf returns the Kind of err, KindTransient for unclassified errors.
func KindOf(err error) Kind {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Kind
	}
	return KindTransient
}

// RecordError describes a malformed record: where it was and why.
type RecordError struct {
	Provider string
	Step     int
	Index    int
	Cursor   string // cursor the step was fetched with
	ID       string // record id, when known
	Err      error
}

func (e *RecordError) Error() string {
	id := ""
	if e.ID != "" {
		id = " id " + e.ID
	}
	return fmt.Sprintf("%s: malformed record at step %d index %d%s: %v", e.Provider, e.Step, e.Index, id, e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }
