package api

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/leadstream/leadstream/internal/apikey"
)

// Body limits (crm.md §9.1).
const (
	MaxBody     = 64 << 10
	MaxBulkBody = 5 << 20
)

// Per-key limits (crm.md §9.1), each over a rolling hour.
const (
	DefaultKeyRate  = 1000
	DefaultBulkRate = 10
)

// More §9.1 error codes.
const (
	CodeAuthorization = "AUTHORIZATION_ERROR"
	CodeNotFound      = "RESOURCE_NOT_FOUND"
	CodeConflict      = "CONFLICT"
	CodeInternal      = "INTERNAL_ERROR"
	CodeExternalAPI   = "EXTERNAL_API_ERROR"
)

type ctxKey int

const (
	keyEntry ctxKey = iota
	keyBody
)

// route is what a /api route needs before its handler runs.
type route struct {
	role string // least role
	body int64  // body limit; 0: no body
	bulk bool   // counts as a bulk operation
}

// guard authenticates the key, applies the rate limits and the role, and
// reads a JSON body within its limit (crm.md §9.1).
func (s *Server) guard(rt route, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key, ok := presentedKey(r)
		if !ok {
			writeError(w, http.StatusUnauthorized, CodeAuthentication, "X-API-Key and Authorization: Bearer name different keys", nil)
			return
		}
		if key == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="leadstream"`)
			writeError(w, http.StatusUnauthorized, CodeAuthentication, "an API key is required (X-API-Key or Authorization: Bearer)", nil)
			return
		}
		if s.opts.Keys == nil {
			writeError(w, http.StatusUnauthorized, CodeAuthentication, "no API keys are configured (leadstream apikey create)", nil)
			return
		}
		entry, err := s.opts.Keys.Authenticate(key)
		if err != nil {
			if !errors.Is(err, apikey.ErrInvalid) {
				s.log.Error("api key store unreadable", "err", err)
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="leadstream"`)
			writeError(w, http.StatusUnauthorized, CodeAuthentication, "invalid or revoked API key", nil)
			return
		}
		now := s.opts.Now()
		okAll, remaining, reset := s.keyLim.allow(entry.ID, now)
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(s.keyLim.limit))
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
		if okAll && rt.bulk {
			var bremaining int
			var breset time.Time
			okAll, bremaining, breset = s.bulkLim.allow(entry.ID, now)
			if !okAll {
				w.Header().Set("X-RateLimit-Limit", strconv.Itoa(s.bulkLim.limit))
				w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(bremaining))
				w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(breset.Unix(), 10))
				reset = breset
			}
		}
		if !okAll {
			w.Header().Set("Retry-After", strconv.FormatInt(max(int64(reset.Sub(now).Seconds()+0.999), 1), 10))
			writeError(w, http.StatusTooManyRequests, CodeRateLimitExceeded, "rate limit exceeded for this API key", nil)
			return
		}
		if !apikey.Allows(entry.Role, rt.role) {
			writeError(w, http.StatusForbidden, CodeAuthorization, "this key's role ("+entry.Role+") may not do this; it needs "+rt.role, nil)
			return
		}
		ctx := context.WithValue(r.Context(), keyEntry, entry)
		if rt.body > 0 {
			if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
				writeError(w, http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "Content-Type must be application/json", nil)
				return
			}
			if r.ContentLength > rt.body {
				writeError(w, http.StatusRequestEntityTooLarge, CodePayloadTooLarge, "the body exceeds "+sizeText(rt.body), nil)
				return
			}
			var buf bytes.Buffer
			if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, rt.body)); err != nil {
				var tooLarge *http.MaxBytesError
				if errors.As(err, &tooLarge) {
					writeError(w, http.StatusRequestEntityTooLarge, CodePayloadTooLarge, "the body exceeds "+sizeText(rt.body), nil)
					return
				}
				writeError(w, http.StatusBadRequest, CodeInvalidJSON, "reading the body failed", nil)
				return
			}
			ctx = context.WithValue(ctx, keyBody, buf.Bytes())
		}
		h(w, r.WithContext(ctx))
	}
}

// body returns the request body the guard read.
func body(r *http.Request) []byte {
	b, _ := r.Context().Value(keyBody).([]byte)
	return b
}

// caller returns the key of the request.
func caller(r *http.Request) apikey.Entry {
	e, _ := r.Context().Value(keyEntry).(apikey.Entry)
	return e
}

// presentedKey returns the key of r; ok is false when X-API-Key and a
// Bearer token are both present and differ.
func presentedKey(r *http.Request) (key string, ok bool) {
	x := strings.TrimSpace(r.Header.Get("X-API-Key"))
	var bearer string
	if a := r.Header.Get("Authorization"); a != "" {
		if scheme, tok, found := strings.Cut(a, " "); found && strings.EqualFold(scheme, "Bearer") {
			bearer = strings.TrimSpace(tok)
		}
	}
	switch {
	case x != "" && bearer != "":
		return x, subtle.ConstantTimeCompare([]byte(x), []byte(bearer)) == 1
	case x != "":
		return x, true
	}
	return bearer, true
}

func sizeText(n int64) string {
	if n >= 1<<20 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return strconv.FormatInt(n>>10, 10) + " KiB"
}
