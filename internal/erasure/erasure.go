// Package erasure forgets a person on request (crm.md §9.2 DELETE
// /api/leads/{id}, the right to erasure): afterwards no readable copy of
// the person's personal data is left under the data directory — topics,
// changelogs, stage state, the leads view — except the hashed suppression
// entries that keep the person out.
//
// What Erase does, in order:
//
//  1. It adds an `erasure` suppression (§7.4): every e-mail match key and
//     E.164 number of the lead, each as HMAC-SHA256(server key, key), on
//     the compacted leads.suppressions, so a later import of the person is
//     suppressed by validate, counted (leadstream_suppressed_total{reason=
//     "erasure"}) and dropped without its personal data.
//  2. It writes a tombstone for the lead on the compacted leads.current.
//  3. It deletes the lead's data keys (internal/keyring): the lead's own,
//     those of every source record merged into it (linked by dedupe's
//     output, and named by the lead's provenance), and those of the
//     records the review queue holds as possible duplicates of it. This
//     is what makes every other copy unreadable (below).
//  4. It removes the lead from this process's view (Badger DropPrefix, a
//     Bleve merge that leaves no segment with its terms); every other
//     view does the same on the tombstone, or when the lead's record no
//     longer opens.
//  5. It compacts the embedded broker (kfake rewrites the segment files),
//     so the superseded key records and the lead's last leads.current
//     record leave the disk at once.
//  6. With halopsa=anonymise it empties the HaloPSA User (firstname,
//     surname, emailaddress, phonenumber, mobilenumber, title; name
//     "Erased contact"). Tickets are never deleted.
//
// # Crypto-shredding, and why
//
// A record in the middle of a non-compacted topic (leads.raw …
// leads.synced, leads.dlq) cannot be deleted: Kafka only deletes whole
// segments, by age. So the personal data never travels in clear: the
// envelope codec (pipeline/seal.go) seals Raw, Lead and the provenance
// with AES-256-GCM under a data key per subject — the source record up to
// dedupe, the lead after it — and the stages seal what their state keeps
// of a lead the same way (dedupe's merged lead and match records, the
// sink's HaloPSA mapping and dry-run writes, the review queue's held
// records), so the changelogs and Badger hold ciphertext only. Deleting
// the keys shreds every copy at once, wherever it lies: in kfake's files,
// in a real Kafka's log directories and their backups, in a replica's
// state — no record has to be found or rewritten, which is what makes the
// design work the same with an external Kafka. Physical deletion alone
// was not enough: it cannot reach the non-compacted topics, and with
// Badger (LSM levels, value log, memtable WAL), Bleve (immutable
// segments) and compaction schedules it needs every store forced to
// rewrite itself on every erasure.
//
// Physical deletion is still used where it is cheap and sure: the leads
// view drops the lead from Badger and Bleve, the keyring's own topic is
// compacted (at once on the embedded broker; on a real Kafka the keyring
// topic rolls segments hourly and has max.compaction.lag.ms of an hour, so
// a deleted key is gone from the brokers within about two hours), and
// dedupe's blocking keys, which must stay searchable, are stored as
// HMAC-SHA256 pseudonyms, like the suppression entries, in partitions
// created by this release.
//
// A stage that reads a record whose key is gone ends it `suppressed` with
// reason erasure (an outcome, no personal data) or, on an outcome topic,
// counts it as erased; it never crashes and never drops it silently.
// Dedupe never merges a new record into an erased lead: its records no
// longer open, and the shared candidate view skips it.
//
// # Known gaps
//
// Every process keeps every data key in memory (about 140 bytes a key,
// one per source record and one per lead). The keys are wrapped with the
// shared LEADSTREAM_SUPPRESSION_KEY when one is set; without it, with a
// public secret, so until compaction removes a deleted key (at once on
// the embedded broker, within about two hours on Kafka) someone holding
// the brokers' disks could still unwrap it. The CLI's `review list` has
// no keyring and lists held records without their names.
//
// The enrich stage's cache of provider answers (only with a waterfall
// configured), the crm stage's ticket snapshots and the HaloPSA webhook
// deliveries on halopsa.inbound, and the sink's copy of the tenant
// (Users as HaloPSA holds them, under state/…/sink-tenant, only with
// HaloPSA configured) are not sealed yet. A data dir from an older release
// keeps its clear records until they age out (7 days) or are compacted,
// and its dedupe partitions keep clear blocking keys.
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
	d, err := e.View.Get(ctx, leadID)
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
