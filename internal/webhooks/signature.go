// Package webhooks delivers leadstream's outbound webhooks (spec §8.2):
// it wraps an event in the {id, type, created_at, data} envelope, signs
// every attempt with HMAC-SHA256 over "t.body" in the Leadstream-Signature
// header, sends it to each enabled subscriber of the event type, retries
// network errors, timeouts, 408, 429 and 5xx with jittered backoff, and hands
// a delivery that exhausted its budget to a callback for dead-lettering.
//
// The package also carries the receiver side of the signature scheme
// (Verifier), used by tests and by anyone embedding a receiver in Go.
package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Header names and values fixed by spec §8.2.
const (
	HeaderSignature      = "Leadstream-Signature"
	HeaderEvent          = "Leadstream-Event"
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderContentType    = "Content-Type"
	HeaderUserAgent      = "User-Agent"

	contentTypeJSON = "application/json"
	schemeV1        = "v1"
)

// DefaultTolerance is the largest |now − t| a receiver accepts (§8.2).
const DefaultTolerance = 300 * time.Second

// Verification errors. Verify wraps them with detail; test with errors.Is.
var (
	ErrMissingSignature   = errors.New("webhooks: missing signature header")
	ErrMalformedSignature = errors.New("webhooks: malformed signature header")
	ErrStaleTimestamp     = errors.New("webhooks: signature timestamp outside tolerance")
	ErrSignatureMismatch  = errors.New("webhooks: no matching signature")
	ErrNoSecret           = errors.New("webhooks: no signing secret")
)

// Signer produces Leadstream-Signature header values. During a secret
// rotation it holds both secrets and emits one v1= value per secret, the
// current one first. Its String form never shows the secrets.
type Signer struct {
	secrets [][]byte
}

// NewSigner returns a signer for the given secrets (current first, then any
// being rotated out). Empty strings are skipped; at least one is required.
func NewSigner(secrets ...string) (*Signer, error) {
	s := &Signer{}
	for _, sec := range secrets {
		if sec != "" {
			s.secrets = append(s.secrets, []byte(sec))
		}
	}
	if len(s.secrets) == 0 {
		return nil, fmt.Errorf("new signer: %w", ErrNoSecret)
	}
	return s, nil
}

// String implements fmt.Stringer without revealing the secrets.
func (s *Signer) String() string {
	return fmt.Sprintf("webhooks.Signer{secrets: %d redacted}", len(s.secrets))
}

// Sign returns the header value "t=<unix>,v1=<hex>[,v1=<hex>]" for body
// signed at time at.
func (s *Signer) Sign(at time.Time, body []byte) string {
	ts := strconv.FormatInt(at.Unix(), 10)
	var b strings.Builder
	b.WriteString("t=")
	b.WriteString(ts)
	for _, sec := range s.secrets {
		b.WriteString(",")
		b.WriteString(schemeV1)
		b.WriteString("=")
		b.WriteString(hex.EncodeToString(mac(sec, ts, body)))
	}
	return b.String()
}

// mac computes HMAC-SHA256(secret, t + "." + body).
func mac(secret []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte("."))
	h.Write(body)
	return h.Sum(nil)
}

// Verifier checks Leadstream-Signature headers on the receiving side.
type Verifier struct {
	// Secrets accepted; during a rotation a receiver may hold both.
	Secrets []string
	// Tolerance is the largest accepted |now − t|; zero means DefaultTolerance.
	Tolerance time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// String implements fmt.Stringer without revealing the secrets.
func (v Verifier) String() string {
	return fmt.Sprintf("webhooks.Verifier{secrets: %d redacted, tolerance: %s}", len(v.Secrets), v.Tolerance)
}

// Verify checks header against the raw body. It returns nil when some v1
// value matches some secret (compared in constant time) and the timestamp is
// within the tolerance window, else an error wrapping one of
// ErrMissingSignature, ErrMalformedSignature, ErrStaleTimestamp,
// ErrSignatureMismatch or ErrNoSecret.
func (v Verifier) Verify(header string, body []byte) error {
	if strings.TrimSpace(header) == "" {
		return fmt.Errorf("verify: %w", ErrMissingSignature)
	}
	ts, sigs, err := parseSignatureHeader(header)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	tsec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("verify: timestamp %q: %w", ts, ErrMalformedSignature)
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	tol := v.Tolerance
	if tol <= 0 {
		tol = DefaultTolerance
	}
	skew := now().Sub(time.Unix(tsec, 0))
	if skew > tol || skew < -tol {
		return fmt.Errorf("verify: timestamp off by %s (tolerance %s): %w", skew, tol, ErrStaleTimestamp)
	}
	secrets := 0
	for _, sec := range v.Secrets {
		if sec == "" {
			continue
		}
		secrets++
		want := mac([]byte(sec), ts, body)
		for _, got := range sigs {
			if hmac.Equal(want, got) {
				return nil
			}
		}
	}
	if secrets == 0 {
		return fmt.Errorf("verify: %w", ErrNoSecret)
	}
	return fmt.Errorf("verify: %d signature(s) checked against %d secret(s): %w", len(sigs), secrets, ErrSignatureMismatch)
}

// Verify checks header against body with a single secret at time now, using
// DefaultTolerance.
func Verify(secret, header string, body []byte, now time.Time) error {
	return Verifier{Secrets: []string{secret}, Now: func() time.Time { return now }}.Verify(header, body)
}

// parseSignatureHeader splits "t=...,v1=...,v1=..." into the timestamp and
// the decoded v1 values. Unknown schemes are ignored, so a later v2 can be
// added without breaking receivers.
func parseSignatureHeader(header string) (ts string, sigs [][]byte, err error) {
	for part := range strings.SplitSeq(header, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return "", nil, fmt.Errorf("element %q: %w", part, ErrMalformedSignature)
		}
		switch k {
		case "t":
			if ts != "" {
				return "", nil, fmt.Errorf("duplicate t: %w", ErrMalformedSignature)
			}
			ts = val
		case schemeV1:
			raw, derr := hex.DecodeString(val)
			if derr != nil || len(raw) != sha256.Size {
				return "", nil, fmt.Errorf("v1 value is not a hex SHA-256 MAC: %w", ErrMalformedSignature)
			}
			sigs = append(sigs, raw)
		}
	}
	if ts == "" {
		return "", nil, fmt.Errorf("no t element: %w", ErrMalformedSignature)
	}
	if len(sigs) == 0 {
		return "", nil, fmt.Errorf("no v1 element: %w", ErrMissingSignature)
	}
	return ts, sigs, nil
}
