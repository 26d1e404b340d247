package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/encoding/json"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/internal/lead"
)

// EnvelopeVersion is the wire version written by this build. Decoding
// accepts every version up to it. Version 3 is MessagePack, encoded and
// decoded by code that tinylib/msgp generates from the json tags of
// Envelope, lead.Lead and the types they hold (envelope_msgp.go,
// wireprov_msgp.go, internal/lead/*_msgp.go; see gen.go): the same fields
// under the same names as before, without JSON's text parsing, number and
// time formatting. Versions 1 and 2 are JSON (a value starting with '{'):
// version 2 carries the lead's provenance in a compact form beside the
// lead (see wireprov.go), version 1 inside it.
const EnvelopeVersion = 3

// Header names carried on every record.
const (
	HeaderVersion = "ls-v"       // envelope version
	HeaderTrace   = "ls-trace"   // trace id, also on records that fail to decode
	HeaderStages  = "ls-stages"  // comma-separated stage history
	HeaderError   = "ls-error"   // why a record was dead-lettered
	HeaderReason  = "ls-reason"  // machine-readable reasons of a verdict
	HeaderStage   = "ls-stage"   // the stage that dead-lettered a record
	HeaderOrigin  = "ls-origin"  // topic/partition@offset a dead letter came from
	HeaderOutcome = "ls-outcome" // the outcome, on outcome topics
	// HeaderSeen orders records by when and where they were first seen
	// (first-seen time, then source line): see EventOrdered.
	HeaderSeen = "ls-seen"
	// HeaderReviewDecision marks a person's decision on a review item; it
	// travels on leads.review but is not an outcome.
	HeaderReviewDecision = "ls-review-decision"
)

// ReviewDecisionPrefix starts the Decision of a decision on a review item
// ("review:merge:<lead>"); such an envelope carries HeaderReviewDecision.
const ReviewDecisionPrefix = "review:"

// Outcome is the visible end state of one input record.
type Outcome string

// The outcomes every input record ends in, exactly one each.
const (
	OutcomeSynced   Outcome = "synced"
	OutcomeMerged   Outcome = "merged"
	OutcomeReview   Outcome = "review"
	OutcomeRejected Outcome = "rejected"
	// OutcomeSuppressed is a do-not-contact lead the sink did not write.
	OutcomeSuppressed   Outcome = "suppressed"
	OutcomeDeadLettered Outcome = "dead_lettered"
)

// ReasonLowQuality marks a record below the quality threshold (crm.md
// §3.2): validate sets it, and dedupe holds the record for review when it
// would create a new lead (a record that merges only adds data).
const ReasonLowQuality = "low_quality"

// ReasonDoNotContact is the reason of a suppressed record: its person is
// on the do-not-contact list, or its lead is marked do not contact
// (crm.md §7.4).
const ReasonDoNotContact = "do_not_contact"

// SuppressionEntry is the value of a do-not-contact list entry on
// TopicSuppressions (keyed by a hashed e-mail or phone): where the entry
// came from and when, never personal data. traceID names the record or
// lead that listed it; leadID may be empty.
func SuppressionEntry(traceID, leadID string, at time.Time, src Source) *Envelope {
	return &Envelope{TraceID: "suppress:" + traceID, LeadID: leadID, FirstSeen: at, Source: src,
		Reasons: []string{ReasonDoNotContact}}
}

// ReasonErasure is the reason of a suppressed record whose person was
// erased (crm.md §9.2).
const ReasonErasure = "erasure"

// Outcomes lists the outcomes in summary order.
var Outcomes = []Outcome{OutcomeSynced, OutcomeMerged, OutcomeReview, OutcomeRejected, OutcomeSuppressed, OutcomeDeadLettered}

// Source says where a record came from.
type Source struct {
	Provider string `json:"provider"`            // source key: apollo, zoominfo, csv, …
	RecordID string `json:"record_id"`           // the provider's own id, or file:line
	File     string `json:"file,omitempty"`      // import file name (base name only)
	Line     int    `json:"line,omitempty"`      // 1-based line in that file
	ImportID string `json:"import_id,omitempty"` // the import run that read it
}

// Key is the identity of the source record across imports and replays.
func (s Source) Key() string { return s.Provider + "/" + s.RecordID }

// Envelope is the one wire format of every leadstream topic.
type Envelope struct {
	V         int               `json:"v"`
	TraceID   string            `json:"trace_id"`
	Source    Source            `json:"source"`
	FirstSeen time.Time         `json:"first_seen"`
	Raw       map[string]string `json:"raw,omitempty"`  // provider fields, on leads.raw
	Lead      *lead.Lead        `json:"lead,omitempty"` // canonical lead, from normalize on
	LeadID    string            `json:"lead_id,omitempty"`
	Decision  string            `json:"decision,omitempty"` // dedupe's verdict: new, exact_merge, …
	// Absorbed are leads dedupe folded into LeadID with this record: two
	// leads of one entity that the record matched both at the auto-merge
	// threshold (issue 12's reconciliation, the lead.merged case).
	Absorbed []string `json:"absorbed_leads,omitempty"`
	// AbsorbedKeys are the partition keys of Absorbed, in order: where
	// the sink finds each absorbed lead's HaloPSA records.
	AbsorbedKeys []string `json:"absorbed_keys,omitempty"`
	// OrganisationKey, on an organisation lead (a site) of an organisation
	// whose first site has another partition key, is that key: the sink
	// resolves every site of one organisation on one partition.
	OrganisationKey string `json:"organisation_key,omitempty"`
	// Site, from dedupe on, is the organisation site a person record was
	// seen at (issue 12): the site lead dedupe matched or made from the
	// record's company and address, its organisation, and the site as
	// the record gives it. Nil for organisation records (LeadID is their
	// site) and records without organisation site data. Older records
	// have none.
	Site    *lead.Site `json:"site,omitempty"`
	Outcome Outcome    `json:"outcome,omitempty"`
	Reasons []string   `json:"reasons,omitempty"`
	// Feedback, on leads.enriched, is a change people made in HaloPSA that
	// the crm stage forwards to the sink partition of its lead. It carries
	// no Lead and is not an input record: it has no outcome.
	Feedback *HaloFeedback `json:"feedback,omitempty"`
	// Inbound, on halopsa.inbound, is one HaloPSA webhook delivery exactly
	// as it arrived (one envelope of a batch).
	Inbound json.RawMessage `json:"inbound,omitempty"`
	// Event, on leads.events, is one workflow event (a transition or a
	// refusal) as JSON.
	Event json.RawMessage `json:"event,omitempty"`
	// Prov is the lead's provenance on the wire (version 2): Encode moves
	// it out of Lead, DecodeEnvelope back in; nil everywhere else.
	Prov *wireProvenance `json:"prov,omitempty"`
	// Halo, on leads.synced and leads.current, is the lead's HaloPSA
	// ticket as the sink knows it.
	Halo *HaloRef `json:"halopsa,omitempty"`
	// Sealed is Raw, Lead and Prov encrypted (see seal.go): set on the
	// wire only, nil once decoded.
	Sealed *SealedData `json:"sealed,omitempty"`
	// Key is the Kafka key the record arrived with (not serialised).
	Key string `json:"-"`
	// Stages is the stage history; it travels in the ls-stages header and
	// is filled from it on decode.
	Stages []string `json:"-"`
	// currentProvenance makes Encode write the lead's current provenance
	// only (Lead.WithCurrentProvenance), for mergedLeadTopics; set by
	// Record on its copy.
	currentProvenance bool
}

// HaloFeedback tells the sink about changes made in HaloPSA to a lead it
// wrote (crm.md §7.4, §7.5).
type HaloFeedback struct {
	// TicketID is the HaloPSA lead ticket.
	TicketID int `json:"ticket_id"`
	// Suppress is "do_not_contact" to suppress the lead, "lift" to lift a
	// do-not-contact suppression, "" for no change.
	Suppress string `json:"suppress,omitempty"`
	// Owned lists fields that are person-owned from now on, as
	// "<entity>.<field>": "ticket.CF_102", "user.title", "client.website".
	Owned []string `json:"owned,omitempty"`
	// At is when HaloPSA says the change happened.
	At time.Time `json:"at"`
	// FoldInto, from the sink partition of a lead that dedupe's
	// reconciliation made absorb this one (LeadID), names the surviving
	// lead; Into are its HaloPSA records (issue 12).
	FoldInto string       `json:"fold_into,omitempty"`
	Into     *HaloRecords `json:"into,omitempty"`
}

// HaloRecords are the HaloPSA records of one lead.
type HaloRecords struct {
	ClientID int `json:"client_id,omitempty"`
	SiteID   int `json:"site_id,omitempty"`
	UserID   int `json:"user_id,omitempty"`
	TicketID int `json:"ticket_id,omitempty"`
}

// HaloRef names a lead's HaloPSA ticket and its last known status.
type HaloRef struct {
	TicketID int `json:"ticket_id,omitempty"`
	StatusID int `json:"status_id,omitempty"`
}

// SealedData is the encrypted part of an envelope on the wire: the
// PersonalData of Subject, compressed and sealed (seal.go).
type SealedData struct {
	Subject string `json:"s"`
	Data    []byte `json:"d"` // nonce and ciphertext
	// Codec is how the plaintext was compressed before sealing:
	// codecS2 (0, older releases) or codecDict.
	Codec uint8 `json:"c,omitempty"`
}

// PersonalData is the part of an envelope that sealing encrypts
// (seal.go).
type PersonalData struct {
	Raw  map[string]string `json:"raw,omitempty"`
	Lead *lead.Lead        `json:"lead,omitempty"`
	Prov *wireProvenance   `json:"prov,omitempty"`
	// Site is the person record's site as the record gives it: its
	// company, address and phone are often the person's own.
	Site *lead.Site `json:"site,omitempty"`
}

// Receipt is the record of e's outcome without its personal data, as
// leads.synced carries it: ids, decision, outcome, reasons, HaloPSA
// references, the lead's scores and organisation, and its site's ids. The
// lead as it stands travels on leads.current (compacted, and so erased
// with the lead); a receipt is what the outcome's readers (the tally,
// notify, eval's clusters) need, and a fifth of a lead's bytes on the
// non-compacted topics is spared.
func (e *Envelope) Receipt() *Envelope {
	r := &Envelope{TraceID: e.TraceID, Source: e.Source, FirstSeen: e.FirstSeen, LeadID: e.LeadID, Decision: e.Decision,
		Absorbed: e.Absorbed, AbsorbedKeys: e.AbsorbedKeys, Outcome: e.Outcome, Reasons: e.Reasons, Halo: e.Halo,
		Key: e.Key, Stages: append([]string(nil), e.Stages...)}
	if l := e.Lead; l != nil {
		r.Lead = &lead.Lead{QualityScore: l.QualityScore, FitScore: l.FitScore, FitBucket: l.FitBucket, OrganisationID: l.OrganisationID}
	}
	if st := e.Site; st != nil {
		r.Site = &lead.Site{LeadID: st.LeadID, OrganisationID: st.OrganisationID}
	}
	return r
}

// ErrUnsupportedVersion is returned for envelopes newer than this build.
var ErrUnsupportedVersion = errors.New("unsupported envelope version")

// Encode marshals the envelope, stamping the current version.
func (e *Envelope) Encode() ([]byte, error) {
	return e.encode(e.currentProvenance, nil, "")
}

// encodeBuffers hold the scratch space of encode: MessagePack is written
// into a pooled buffer and copied out at its exact size.
var encodeBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// encode marshals the envelope; with currentOnly, the lead's provenance
// goes out as Lead.WithCurrentProvenance would have it. With s set, its
// personal data is sealed by s for topic (seal.go).
func (e *Envelope) encode(currentOnly bool, s Sealer, topic string) ([]byte, error) {
	e.V = EnvelopeVersion
	w := e
	if e.Lead != nil && len(e.Lead.Provenance) > 0 {
		bare := *e.Lead
		bare.Provenance = nil
		slim := *e
		slim.Lead = &bare
		slim.Prov = &wireProvenance{src: e.Lead.Provenance, current: currentOnly}
		w = &slim
	}
	if s != nil && w.hasPersonalData() {
		if w == e {
			c := *e
			w = &c
		}
		if err := w.seal(s, topic); err != nil {
			return nil, err
		}
	}
	bp := encodeBuffers.Get().(*[]byte)
	b, err := w.MarshalMsg((*bp)[:0])
	if err != nil {
		encodeBuffers.Put(bp)
		return nil, fmt.Errorf("encode envelope %s: %w", e.TraceID, err)
	}
	out := bytes.Clone(b)
	if cap(b) <= 256<<10 {
		*bp = b[:0]
		encodeBuffers.Put(bp)
	}
	return out, nil
}

// isJSON reports whether an envelope value is JSON (versions 1 and 2): a
// MessagePack envelope starts with a map header, never with '{'.
func isJSON(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c == '{'
	}
	return false
}

// DecodeEnvelope parses a record value and its headers into an envelope.
// A sealed record fails with ErrSealedNoKeyring: see OpenEnvelope.
func DecodeEnvelope(r *kgo.Record) (*Envelope, error) {
	return decodeEnvelope(context.Background(), r, nil)
}

func decodeEnvelope(ctx context.Context, r *kgo.Record, s Sealer) (*Envelope, error) {
	var e Envelope
	if isJSON(r.Value) {
		if err := json.Unmarshal(r.Value, &e); err != nil {
			return nil, fmt.Errorf("decode envelope: %w", err)
		}
	} else if _, err := e.UnmarshalMsg(r.Value); err != nil {
		return nil, fmt.Errorf("decode envelope: %w", err)
	}
	if e.V < 1 || e.V > EnvelopeVersion {
		return nil, fmt.Errorf("decode envelope: %w %d", ErrUnsupportedVersion, e.V)
	}
	if e.TraceID == "" {
		return nil, errors.New("decode envelope: missing trace_id")
	}
	e.Key = string(r.Key)
	if h := HeaderValue(r, HeaderStages); h != "" {
		e.Stages = strings.Split(h, ",")
	}
	if e.Sealed != nil {
		if err := e.open(ctx, s); err != nil {
			return &e, fmt.Errorf("decode envelope %s: %w", e.TraceID, err)
		}
	}
	if e.Prov != nil {
		if e.Lead != nil {
			p := e.Prov.dec
			if p == nil {
				var err error
				if p, err = e.Prov.unpack(); err != nil {
					return nil, fmt.Errorf("decode envelope %s: %w", e.TraceID, err)
				}
			}
			if len(p) > 0 {
				e.Lead.Provenance = p
			}
		}
		e.Prov = nil
	}
	return &e, nil
}

// mergedLeadTopics carry leads after dedupe has merged them: their records
// carry the lead with its current provenance (Lead.WithCurrentProvenance)
// instead of every value ever observed, which only dedupe's merge needs and
// its state keeps. Records before dedupe carry one source's observations,
// which the merge takes in whole.
var mergedLeadTopics = []string{TopicUnique, TopicEnriched, TopicSynced}

// carriesMergedLead reports whether topic (logical or namespaced) is one of
// mergedLeadTopics.
func carriesMergedLead(topic string) bool {
	for _, t := range mergedLeadTopics {
		if topic == t || strings.HasSuffix(topic, "."+t) {
			return true
		}
	}
	return false
}

// Record turns the envelope into a record for topic with key, carrying the
// stage history and trace id as headers.
func (e *Envelope) Record(topic, key string) (*kgo.Record, error) {
	return e.record(nil, topic, key)
}

func (e *Envelope) record(s Sealer, topic, key string) (*kgo.Record, error) {
	enc := e
	if e.Lead != nil && carriesMergedLead(topic) {
		slim := *e
		slim.currentProvenance = true
		enc = &slim
	}
	v, err := enc.encode(enc.currentProvenance, s, topic)
	e.V = enc.V
	if err != nil {
		return nil, err
	}
	r := &kgo.Record{Topic: topic, Key: []byte(key), Value: v}
	r.Headers = append(r.Headers,
		kgo.RecordHeader{Key: HeaderVersion, Value: []byte{'0' + EnvelopeVersion}},
		kgo.RecordHeader{Key: HeaderTrace, Value: []byte(e.TraceID)},
		kgo.RecordHeader{Key: HeaderSeen, Value: fmt.Appendf(nil, "%020d:%010d", e.FirstSeen.UnixNano(), e.Source.Line)},
	)
	if len(e.Stages) > 0 {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: HeaderStages, Value: []byte(strings.Join(e.Stages, ","))})
	}
	if e.Outcome != "" {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: HeaderOutcome, Value: []byte(e.Outcome)})
	}
	if len(e.Reasons) > 0 {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: HeaderReason, Value: []byte(strings.Join(e.Reasons, ","))})
	}
	if d, ok := strings.CutPrefix(e.Decision, ReviewDecisionPrefix); ok {
		d, _, _ = strings.Cut(d, ":")
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: HeaderReviewDecision, Value: []byte(d)})
	}
	return r, nil
}

// HeaderValue returns the last value of header key on r, or "".
func HeaderValue(r *kgo.Record, key string) string {
	for i := len(r.Headers) - 1; i >= 0; i-- {
		if r.Headers[i].Key == key {
			return string(r.Headers[i].Value)
		}
	}
	return ""
}

// ImportOf returns the import id part of a trace id ("<import>:<line>").
func ImportOf(traceID string) string {
	if i := strings.LastIndexByte(traceID, ':'); i > 0 {
		return traceID[:i]
	}
	return ""
}
