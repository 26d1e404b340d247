// Package erasure forgets a person on request (crm.md §9.2 DELETE
// /api/leads/{id}, the right to erasure).
//
// What it does, in order:
//
//  1. It adds an `erasure` suppression (§7.4): every e-mail match key and
//     E.164 number of the lead, each as HMAC-SHA256(server key, key), on
//     the compacted leads.suppressions, so a later import of the person is
//     suppressed by validate, counted (leadstream_suppressed_total{reason=
//     "erasure"}) and dropped without its personal data. This is the only
//     trace left, and it is not readable.
//  2. It writes a tombstone for the lead on the compacted leads.current, so
//     every API process's leads view drops it, and removes it from this
//     process's view (Badger and Bleve) at once.
//  3. With halopsa=anonymise it empties the HaloPSA User (firstname,
//     surname, emailaddress, phonenumber, mobilenumber, title; name
//     "Erased contact"). Tickets are never deleted.
//
// Physical deletion (with tombstones and compaction) was chosen over
// crypto-shredding: the pipeline's records carry a person's data from
// leads.raw on, before any lead id exists to key an encryption key by, so
// shredding would need every stage to encrypt and decrypt each envelope
// with a per-person key held in yet another store; tombstones on the
// compacted topics use what Kafka already offers and what the views
// already follow.
//
// Known gap: the records already on the non-compacted topics (leads.raw
// … leads.synced, kept 7 days) and the stage state of dedupe, sink and
// review (their Badger stores and changelogs) are not yet scrubbed by this
// package; see the closing note.
package erasure

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/internal/api"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/internal/leadsview"
	"github.com/leadstream/leadstream/pipeline"
)

// ReasonErasure is the suppression reason of an erased person.
const ReasonErasure = "erasure"

// HaloUsers empties a HaloPSA User.
type HaloUsers interface {
	// AnonymiseTicketUser empties the User of lead ticket ticketID.
	AnonymiseTicketUser(ctx context.Context, ticketID int) error
}

// Keyring deletes the data keys of a lead (internal/keyring).
type Keyring interface {
	// Forget deletes the keys of lead leadID, of its linked source
	// records and of the extra subjects.
	Forget(ctx context.Context, leadID string, extra ...string) (int, error)
}

// Eraser implements api.Eraser.
type Eraser struct {
	View           *leadsview.View
	Producer       api.Producer
	Namespace      pipeline.Namespace
	SuppressionKey []byte
	// Halo anonymises HaloPSA Users (nil: anonymise fails with api.ErrHalo).
	Halo HaloUsers
	Now  func() time.Time
	// Keyring deletes the lead's data keys (nil: records stay readable
	// where they were sealed; only for tests of the other steps).
	Keyring Keyring
	// Compact compacts the embedded broker's compacted topics once the
	// tombstones are written (nil: the broker compacts on its own).
	Compact func()
	// HeldFor lists the sealing subjects of review items held as possible
	// duplicates of the lead, whose keys are deleted too (nil: none).
	HeldFor func(ctx context.Context, leadID string) ([]string, error)
}

// Erase implements api.Eraser.
func (e *Eraser) Erase(ctx context.Context, leadID string, anonymise bool) (time.Time, error) {
	d, err := e.View.Get(leadID)
	if errors.Is(err, leadsview.ErrNotFound) {
		return time.Time{}, api.ErrLeadNotFound
	}
	if err != nil {
		return time.Time{}, err
	}
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	at := now().UTC()
	var recs []*kgo.Record
	if d.Lead != nil {
		emails, phones := d.Lead.ContactPoints()
		for _, k := range lead.SuppressionKeys(e.SuppressionKey, emails, phones) {
			env := &pipeline.Envelope{TraceID: "erase:" + leadID, LeadID: leadID, FirstSeen: at,
				Source: pipeline.Source{Provider: "api", RecordID: "erasure"}, Reasons: []string{ReasonErasure}}
			rec, err := env.Record(e.Namespace.Topic(pipeline.TopicSuppressions), k)
			if err != nil {
				return time.Time{}, err
			}
			recs = append(recs, rec)
		}
	}
	recs = append(recs, &kgo.Record{Topic: e.Namespace.Topic(pipeline.TopicCurrent), Key: []byte(leadID)})
	if err := e.Producer.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return time.Time{}, fmt.Errorf("erasure of %s: %w", leadID, err)
	}
	if e.Keyring != nil {
		// The shredding: every record sealed for the lead or one of its
		// source records, on any topic, becomes unreadable.
		var subjects []string
		for _, s := range d.Sources {
			subjects = append(subjects, pipeline.SourceSubject(pipeline.Source{Provider: s.Source, RecordID: s.SourceRecordID}))
		}
		if e.HeldFor != nil {
			held, err := e.HeldFor(ctx, leadID)
			if err != nil {
				return time.Time{}, fmt.Errorf("erasure of %s: the review queue: %w", leadID, err)
			}
			subjects = append(subjects, held...)
		}
		if _, err := e.Keyring.Forget(ctx, leadID, subjects...); err != nil {
			return time.Time{}, fmt.Errorf("erasure of %s: %w", leadID, err)
		}
	}
	if e.Compact != nil {
		e.Compact()
	}
	if err := e.View.Forget(ctx, leadID); err != nil {
		return time.Time{}, err
	}
	if anonymise {
		if e.Halo == nil || d.Halo == nil || d.Halo.TicketID == 0 {
			if e.Halo == nil {
				return at, fmt.Errorf("%w: no HaloPSA connection is configured", api.ErrHalo)
			}
			return at, nil // never written to HaloPSA: nothing to empty
		}
		if err := e.Halo.AnonymiseTicketUser(ctx, d.Halo.TicketID); err != nil {
			return at, fmt.Errorf("%w: %v", api.ErrHalo, err)
		}
	}
	return at, nil
}
