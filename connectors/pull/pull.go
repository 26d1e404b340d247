// Package pull is leadstream's provider-neutral API puller.
//
// A provider package implements [Puller]: one step at a time, given an opaque
// cursor, it fetches the next page of raw records (or advances an async
// research / lookup flow) and reports the credits it spent. [Run] drives a
// Puller to completion: it paces requests from the provider's rate-limit
// headers, honours 429 and Retry-After, retries 5xx, timeouts and malformed
// bodies with exponential backoff, stops before a step would exceed the
// credit budget, polls async flows with a bounded number of waits, and writes
// a JSON checkpoint atomically after every step so that a restart resumes
// without fetching (and paying for) the same page again.
//
// Records leave through a callback, one at a time, so the caller can stream
// them to Kafka with back-pressure. Malformed records are reported with their
// step and index and do not stop the pull.
package pull

import (
	"context"
	"time"
)

// Record is one raw provider record handed to the caller.
type Record struct {
	// Provider is the source key ("apollo", "zoominfo", ...).
	Provider string
	// ID is the provider's record id (for Hunter, the email address).
	ID string
	// Step is the 1-based step (page) number that produced the record.
	Step int
	// Index is the record's 0-based position within that step.
	Index int
	// Data is the provider's JSON object, decoded with json.Number for numbers.
	Data map[string]any
	// Parent is the enclosing object where the record only makes sense with
	// it (Hunter's domain data, for example). It is nil for most providers.
	Parent map[string]any `json:",omitempty"`
}

// Item is a record as a Puller returns it. An item with Err set is malformed:
// Run reports it through Options.OnRecordError and carries on.
type Item struct {
	ID     string         `json:"id"`
	Data   map[string]any `json:"data,omitempty"`
	Parent map[string]any `json:"parent,omitempty"`
	Err    error          `json:"-"`
	// At is the record's 1-based position in the provider's page when that
	// differs from its position in Items; 0 means the position in Items.
	At int `json:"at,omitempty"`
	// ErrText keeps Err across a checkpoint round trip.
	ErrText string `json:"err,omitempty"`
}

// Request is what Run asks a Puller for.
type Request struct {
	// Cursor is the checkpointed position; "" means the beginning.
	Cursor string
	// Step is the 1-based number of the step being fetched.
	Step int
	// GiveUpPending is set once async work has been polled Options.MaxPolls
	// times in a row without finishing. The Puller must then abandon the
	// unfinished items (reporting them as Items with Err) and move on.
	GiveUpPending bool
}

// Step is the outcome of one Fetch.
type Step struct {
	// Items holds the records this step produced, possibly none.
	Items []Item
	// Next is the cursor for the following Fetch.
	Next string
	// Done reports that nothing is left to fetch.
	Done bool
	// Pending reports that async work (a research request, a lookup in
	// progress) is still running: Run waits a poll interval and calls Fetch
	// again with Next.
	Pending bool
	// Credits is what this step actually spent.
	Credits float64
	// Rate is what the response headers said about the provider's limits.
	Rate RateInfo
	// Stop, when set, ends the run with this error after the step's items
	// have been checkpointed and delivered: a quota that ran out part-way
	// through a batch whose answered part was already paid for.
	Stop error
}

// Puller pulls one provider's records, one step at a time. Implementations
// keep no state between calls other than configuration: everything needed to
// continue lives in the cursor, which Run persists.
type Puller interface {
	// Provider returns the source key, for logs, errors and checkpoint names.
	Provider() string
	// Cost returns the most credits the step at cursor may spend. Run does
	// not start a step whose Cost would take the total past the budget.
	Cost(cursor string) float64
	// Fetch performs one step. Errors should be *Error so that Run can tell
	// rate limits and transient failures from auth and quota failures.
	Fetch(ctx context.Context, req Request) (Step, error)
}

// Fingerprinter is implemented by pullers whose cursor only makes sense for
// one query. Run stores the fingerprint in the checkpoint and refuses to
// resume a checkpoint written for a different query.
type Fingerprinter interface {
	Fingerprint() string
}

// Pacer is implemented by pullers that know the provider's published rate:
// Run keeps at least MinInterval between two requests.
type Pacer interface {
	MinInterval() time.Duration
}

// RateInfo is what a response said about rate limits and credits. Unknown
// values are negative (or zero for times).
type RateInfo struct {
	// Limit and Remaining describe the tightest request window.
	Limit     int
	Remaining int
	// Reset is when that window resets; ResetAfter is the same as a delay.
	Reset      time.Time
	ResetAfter time.Duration
	// CreditsLeft is the account's remaining credits, if the provider says.
	CreditsLeft float64
}

// UnknownRate returns a RateInfo with every field unknown.
func UnknownRate() RateInfo { return RateInfo{Limit: -1, Remaining: -1, CreditsLeft: -1} }

// Tighter merges two observations of different windows, keeping the one with
// fewer requests left (and the lower credit balance).
func (r RateInfo) Tighter(o RateInfo) RateInfo {
	out := r
	if o.Remaining >= 0 && (r.Remaining < 0 || o.Remaining < r.Remaining) {
		out.Limit, out.Remaining, out.Reset, out.ResetAfter = o.Limit, o.Remaining, o.Reset, o.ResetAfter
	}
	if o.CreditsLeft >= 0 && (r.CreditsLeft < 0 || o.CreditsLeft < r.CreditsLeft) {
		out.CreditsLeft = o.CreditsLeft
	}
	return out
}
