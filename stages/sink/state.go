package sink

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/pipeline"
)

// Table key prefixes.
const (
	keyMapping    = "halo/"    // lead id → mapping
	keyIntent     = "intent/"  // lead id → a create is under way (crash marker)
	keyOrg        = "org/"     // organisation key → orgRecord
	keyOrgIntent  = "ointent/" // organisation key → a Client create is under way
	keyOrgID      = "orgid/"   // dedupe's organisation id → organisation key of its Client
	keyWrite      = "write/"   // lead id/seq → a write the dry run made
	keyDrySeq     = "dryseq"   // the dry run's id sequence
	fallbackOrg   = "_fallback"
	ownedTicketCF = "ticket."
	ownedUser     = "user."
)

// mapping ties a lead to its HaloPSA records and remembers what leadstream
// last wrote there, for the fill-empty rule (crm.md §7.5).
type mapping struct {
	OrgKey   string `json:"org,omitempty"`
	ClientID int    `json:"client_id,omitempty"`
	SiteID   int    `json:"site_id,omitempty"`
	UserID   int    `json:"user_id,omitempty"`
	TicketID int    `json:"ticket_id,omitempty"`
	// StatusID is the ticket status leadstream last knew of.
	StatusID int `json:"status_id,omitempty"`
	// User and Ticket are the values last written: Users fields by name,
	// ticket custom fields by "CF_nnn".
	User   map[string]string `json:"user,omitempty"`
	Ticket map[string]string `json:"ticket,omitempty"`
	// Owned are person-owned fields ("ticket.CF_102", "user.title"): never
	// written by an import again.
	Owned []string `json:"owned,omitempty"`
	// Suppressed is set by a do-not-contact signal; DNCWritten once CF_105
	// is true on the ticket.
	Suppressed bool `json:"suppressed,omitempty"`
	DNCWritten bool `json:"dnc_written,omitempty"`
	Writes     int  `json:"writes,omitempty"`
	// OrgSite is set on an organisation lead (a company, no person) once
	// SiteID is its own Site: the Client's main site it seeded, a Site of
	// the Client at its address, or one the sink created (issue 12).
	OrgSite bool `json:"org_site,omitempty"`
	// Absorbed are leads dedupe folded into this one (reconciliation)
	// whose sink partitions have not yet been told this lead's records.
	Absorbed []absorbedLead `json:"absorbed,omitempty"`
	// FoldedInto is the lead dedupe folded this one into; Into are that
	// lead's HaloPSA records, and FoldDone is set once this lead's records
	// were merged into them (see fold.go).
	FoldedInto string                `json:"folded_into,omitempty"`
	Into       *pipeline.HaloRecords `json:"into,omitempty"`
	FoldDone   bool                  `json:"fold_done,omitempty"`
}

// absorbedLead is a lead folded into another, and its partition key (its
// sink partition).
type absorbedLead struct {
	ID   string `json:"id"`
	Key  string `json:"key"`
	Sent bool   `json:"sent,omitempty"`
}

func (m *mapping) owned(field string) bool { return slices.Contains(m.Owned, field) }

// intent marks a lead whose create is under way, so that after an
// interruption the sink looks in HaloPSA before creating again.
type intent struct {
	Phase string    `json:"phase"` // phaseUser or phaseTicket: the POST about to be sent
	At    time.Time `json:"at"`
}

const (
	phaseClient = "client"
	phaseUser   = "user"
	phaseTicket = "ticket"
	phaseSite   = "site"
	phaseFold   = "fold"
)

// orgRecord is the HaloPSA Client of one organisation key.
type orgRecord struct {
	ClientID int `json:"client_id"`
	SiteID   int `json:"site_id,omitempty"`
	// Adopted is set for a Client that was in HaloPSA before leadstream
	// met the organisation: its existing Users are looked at before a
	// contact is created.
	Adopted bool `json:"adopted,omitempty"`
	// SeededBy is the organisation lead whose address seeded the main site
	// of a Client leadstream made: that site is the lead's.
	SeededBy string `json:"seeded_by,omitempty"`
}

// state reads and writes the sink's records in a partition table. The
// records of a lead (halo/, intent/: they hold the User as written, e-mail
// and names; the dry run's write/ bodies, see dry) are sealed under the
// lead's data key, so that erasing the lead shreds them in Badger and the
// changelog.
type state struct {
	t      *pipeline.Table
	sealer pipeline.Sealer
}

// subjectOf is the sealing subject of a state key ("" for records that
// are not a lead's).
func subjectOf(key string) string {
	for _, p := range []string{keyMapping, keyIntent} {
		if rest, ok := strings.CutPrefix(key, p); ok {
			id, _, _ := strings.Cut(rest, "/")
			return pipeline.LeadSubject(id)
		}
	}
	return ""
}

// read returns the value at key, opened; an erased lead's reads as missing.
func (s state) read(key string) ([]byte, bool, error) {
	b, found, err := s.t.Get(key)
	if err != nil || !found {
		return nil, false, err
	}
	if sub := subjectOf(key); sub != "" {
		if b, err = pipeline.OpenValue(context.Background(), s.sealer, sub, key, b); err != nil {
			if errors.Is(err, pipeline.ErrErased) {
				return nil, false, nil
			}
			return nil, false, fmt.Errorf("sink: %w", err)
		}
	}
	return b, true, nil
}

func (s state) get(key string, v any) (bool, error) {
	b, found, err := s.read(key)
	if err != nil || !found {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("sink: corrupt state %q: %w", key, err)
	}
	return true, nil
}

func (s state) put(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("sink: encode state %q: %w", key, err)
	}
	if sub := subjectOf(key); sub != "" {
		if b, err = pipeline.SealValue(s.sealer, sub, key, b); err != nil {
			return fmt.Errorf("sink: %w", err)
		}
	}
	s.t.Put(key, b)
	return nil
}

func (s state) has(key string) (bool, error) {
	_, found, err := s.t.Get(key)
	return found, err
}

// intentAt reads an intent marker: whether there is one, and when its
// create was sent (zero for markers of older versions, which held the
// lead id: any process reading them now started after that write).
func (s state) intentAt(key string) (bool, time.Time, error) {
	b, found, err := s.read(key)
	if err != nil || !found {
		return false, time.Time{}, err
	}
	var in intent
	if json.Unmarshal(b, &in) != nil {
		return true, time.Time{}, nil
	}
	return true, in.At, nil
}
