package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/klauspost/compress/s2"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/internal/dictcomp"
)

// Sealing (crypto-shredding, issue 13): with a Sealer, the personal data
// of an envelope — Raw, Lead, the wire provenance and a person record's
// Site — travels compressed (S2) and encrypted under a data key of its
// subject, and only trace id, source, lead id,
// decision, outcome and reasons stay in clear. The subject of a record is
// its lead ("lead/<id>") on the topics after dedupe (leads.unique,
// leads.enriched, leads.synced, leads.current), else its source record
// ("src/<provider>/<record id>"); a record after dedupe also links its
// source record's key to its lead, so that forgetting the lead deletes the
// keys of every source record it was made of. Once a subject's key is
// deleted, every copy of its records — on any topic, in any broker's log,
// compacted or not — is unreadable: OpenEnvelope answers ErrErased.
// Envelopes written without a Sealer (older releases, tests) are read as
// before.

// Sealer encrypts and decrypts personal data under per-subject data keys
// (internal/keyring).
type Sealer interface {
	// Seal encrypts plaintext under subject's key, creating the key if
	// the subject has none; aad is authenticated, not encrypted. It
	// answers ErrErased for a subject that was forgotten.
	Seal(subject string, plaintext, aad []byte) ([]byte, error)
	// Open decrypts what Seal returned; ErrErased when the subject's key
	// is gone.
	Open(ctx context.Context, subject string, sealed, aad []byte) ([]byte, error)
	// Link records that source subject src belongs to lead id.
	Link(src, leadID string)
}

// ErrErased is returned for a record whose subject was erased: its data
// key is gone, so its personal data can never be read again.
var ErrErased = errors.New("the record's person was erased (its data key is deleted)")

// ErrSealedNoKeyring is returned for a sealed record read without a Sealer.
var ErrSealedNoKeyring = errors.New("the record is sealed and this reader has no keyring")

// LeadSubject is the sealing subject of a lead.
func LeadSubject(leadID string) string { return "lead/" + leadID }

// SourceSubject is the sealing subject of a source record.
func SourceSubject(s Source) string { return "src/" + s.Key() }

// leadSubjectTopics carry records sealed under their lead's key.
var leadSubjectTopics = []string{TopicUnique, TopicEnriched, TopicSynced, TopicCurrent}

func sealsByLead(topic string) bool {
	for _, t := range leadSubjectTopics {
		if topic == t || strings.HasSuffix(topic, "."+t) {
			return true
		}
	}
	return false
}

// hasPersonalData reports whether e carries any of what seal seals (the
// fields of PersonalData).
func (e *Envelope) hasPersonalData() bool {
	return e.Raw != nil || e.Lead != nil || e.Prov != nil || e.Site != nil
}

// seal replaces w's personal data with its sealed form (w is a copy the
// caller may change). topic picks the subject.
func (w *Envelope) seal(s Sealer, topic string) error {
	if !w.hasPersonalData() {
		return nil
	}
	subject := SourceSubject(w.Source)
	if w.LeadID != "" && sealsByLead(topic) {
		subject = LeadSubject(w.LeadID)
		if w.Source.RecordID != "" {
			s.Link(SourceSubject(w.Source), w.LeadID)
		}
	}
	pt, err := (&PersonalData{Raw: w.Raw, Lead: w.Lead, Prov: w.Prov, Site: w.Site}).MarshalMsg(nil)
	if err != nil {
		return fmt.Errorf("seal envelope %s: %w", w.TraceID, err)
	}
	// Compressed before it is sealed: ciphertext does not compress, so the
	// brokers' batch compression and Badger's would no longer shrink it;
	// the dictionary gives back what they found across records.
	ct, err := s.Seal(subject, dictcomp.Encode(nil, pt), []byte(w.TraceID))
	if err != nil {
		return fmt.Errorf("seal envelope %s: %w", w.TraceID, err)
	}
	w.Raw, w.Lead, w.Prov, w.Site = nil, nil, nil, nil
	w.Sealed = &SealedData{Subject: subject, Data: ct, Codec: codecDict}
	return nil
}

// The compressions of sealed plaintext (SealedData.Codec).
const (
	codecS2   = 0 // S2 alone (older releases)
	codecDict = 1 // internal/dictcomp: S2 with a built-in dictionary
)

// decompress returns the plaintext that codec compressed into z.
func decompress(codec uint8, z []byte) ([]byte, error) {
	switch codec {
	case codecS2:
		return s2.Decode(nil, z)
	case codecDict:
		return dictcomp.Decode(z)
	}
	return nil, fmt.Errorf("unknown compression %d", codec)
}

// open restores e's sealed personal data.
func (e *Envelope) open(ctx context.Context, s Sealer) error {
	sd := e.Sealed
	e.Sealed = nil
	if s == nil {
		return ErrSealedNoKeyring
	}
	z, err := s.Open(ctx, sd.Subject, sd.Data, []byte(e.TraceID))
	if err != nil {
		return err
	}
	pt, err := decompress(sd.Codec, z)
	if err != nil {
		return fmt.Errorf("sealed data: %w", err)
	}
	var p PersonalData
	if _, err := p.UnmarshalMsg(pt); err != nil {
		return fmt.Errorf("sealed data: %w", err)
	}
	e.Raw, e.Lead, e.Prov, e.Site = p.Raw, p.Lead, p.Prov, p.Site
	return nil
}

// SealedRecord is Record with the envelope's personal data sealed by s
// (nil: not sealed).
func (e *Envelope) SealedRecord(s Sealer, topic, key string) (*kgo.Record, error) {
	return e.record(s, topic, key)
}

// OpenEnvelope is DecodeEnvelope for records that may be sealed. For a
// record whose subject was erased it returns the envelope without its
// personal data (trace id, source, lead id, … are in clear) and an error
// that wraps ErrErased.
func OpenEnvelope(ctx context.Context, r *kgo.Record, s Sealer) (*Envelope, error) {
	return decodeEnvelope(ctx, r, s)
}

// sealedValue marks a state value sealed by SealValue, its plaintext
// compressed with the dictionary (sealedValueS2: S2 alone, as older
// releases wrote it); no JSON text and no value the stages write starts
// with either.
const (
	sealedValue   = 0xfd
	sealedValueS2 = 0xfe
)

// SealValue seals a state value about subject (LeadSubject,
// SourceSubject) for key: stages keep personal data in their tables (and
// so in the changelogs) this way, so that erasing the subject shreds it
// there too. Without a Sealer the value is returned as it is.
func SealValue(s Sealer, subject, key string, v []byte) ([]byte, error) {
	if s == nil {
		return v, nil
	}
	ct, err := s.Seal(subject, dictcomp.Encode(nil, v), []byte(key))
	if err != nil {
		return nil, fmt.Errorf("seal %q: %w", key, err)
	}
	return append([]byte{sealedValue}, ct...), nil
}

// OpenValue returns the value SealValue sealed (a value that was not
// sealed as it is); ErrErased when its subject was erased.
func OpenValue(ctx context.Context, s Sealer, subject, key string, v []byte) ([]byte, error) {
	if len(v) == 0 || (v[0] != sealedValue && v[0] != sealedValueS2) {
		return v, nil
	}
	if s == nil {
		return nil, ErrSealedNoKeyring
	}
	z, err := s.Open(ctx, subject, v[1:], []byte(key))
	if err != nil {
		return nil, fmt.Errorf("open %q: %w", key, err)
	}
	codec := uint8(codecDict)
	if v[0] == sealedValueS2 {
		codec = codecS2
	}
	pt, err := decompress(codec, z)
	if err != nil {
		return nil, fmt.Errorf("open %q: %w", key, err)
	}
	return pt, nil
}

// SubjectErased reports whether s knows subject to be erased (false when s
// cannot tell): a stage skips such a lead in what it keeps in memory.
func SubjectErased(s Sealer, subject string) bool {
	e, ok := s.(interface{ Erased(string) bool })
	return ok && e.Erased(subject)
}

// SubjectKeyHeld reports whether s holds subject's key already; known is
// false when s cannot tell (a nil Sealer, or one without Has).
func SubjectKeyHeld(s Sealer, subject string) (held, known bool) {
	h, ok := s.(interface{ Has(string) bool })
	if !ok {
		return false, false
	}
	return h.Has(subject), true
}
