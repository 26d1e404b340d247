package leadsview

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/index"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
)

// Lead states (crm.md §1.2).
const (
	StateSynced     = "synced"
	StateSuppressed = "suppressed"
)

// SourceRecord is one source record merged into a lead, as its provenance
// names it (crm.md §1.2 source_records[]).
type SourceRecord struct {
	Source         string    `json:"source"`
	SourceRecordID string    `json:"source_record_id"`
	FirstSeen      time.Time `json:"first_seen"`
	LastSeen       time.Time `json:"last_seen"`
}

// Doc is what the view keeps of one lead.
type Doc struct {
	LeadID    string            `json:"lead_id"`
	State     string            `json:"state"`
	UpdatedAt time.Time         `json:"updated_at"`
	Halo      *pipeline.HaloRef `json:"halopsa,omitempty"`
	Sources   []SourceRecord    `json:"sources"`
	Lead      *lead.Lead        `json:"lead"`
}

// encodeDoc is a Doc as the store keeps it: MessagePack, a map, so its
// first byte is never '{' (decodeDoc still reads the JSON of earlier
// releases).
func encodeDoc(d *Doc) ([]byte, error) { return d.MarshalMsg(nil) }

// decodeDoc reads what encodeDoc wrote, or a Doc in JSON.
func decodeDoc(b []byte) (*Doc, error) {
	var d Doc
	if len(b) > 0 && b[0] == '{' {
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, err
		}
		return &d, nil
	}
	if _, err := d.UnmarshalMsg(b); err != nil {
		return nil, err
	}
	if d.Sources == nil {
		d.Sources = []SourceRecord{} // as JSON had it: "sources": []
	}
	return &d, nil
}

// sealedValueThreshold: a value this long or longer goes to the value log
// of a view with a Sealer; every sealed lead is longer.
const sealedValueThreshold = 64

// hasKey reports whether the sealer already holds lead id's key (true without
// a sealer: nothing to flush; false with one that cannot tell: the view
// then flushes every poll).
func (v *View) hasKey(id string) bool {
	if v.sealer == nil {
		return true
	}
	held, _ := pipeline.SubjectKeyHeld(v.sealer, pipeline.LeadSubject(id))
	return held
}

// sealDoc is a Doc as the view's store keeps it: encodeDoc's bytes, sealed
// under the lead's key when the view has a Sealer (pipeline.SealValue).
func (v *View) sealDoc(id string, d *Doc) ([]byte, error) {
	b, err := encodeDoc(d)
	if err != nil {
		return nil, err
	}
	return pipeline.SealValue(v.sealer, pipeline.LeadSubject(id), string(leadKey(id)), b)
}

// openDoc reads what sealDoc wrote (or a plain Doc, as earlier releases
// and views without a Sealer keep it); pipeline.ErrErased when the lead's
// key is gone.
func (v *View) openDoc(ctx context.Context, id string, val []byte) (*Doc, error) {
	b, err := pipeline.OpenValue(ctx, v.sealer, pipeline.LeadSubject(id), string(leadKey(id)), val)
	if err != nil {
		return nil, err
	}
	return decodeDoc(b)
}

// DocFromEnvelope turns a leads.current record into the view's document;
// at is the record's timestamp (when the lead last changed).
func DocFromEnvelope(env *pipeline.Envelope, at time.Time) *Doc {
	d := &Doc{LeadID: env.LeadID, State: StateSynced, UpdatedAt: at.UTC(), Halo: env.Halo, Lead: env.Lead}
	if env.Outcome == pipeline.OutcomeSuppressed || (env.Lead != nil && env.Lead.DoNotContact) {
		d.State = StateSuppressed
	}
	d.Sources = sourcesOf(env)
	return d
}

// sourcesOf lists the source records named by a lead's provenance and the
// record that last changed it.
func sourcesOf(env *pipeline.Envelope) []SourceRecord {
	byKey := map[string]*SourceRecord{}
	add := func(src, id string, at time.Time) {
		if src == "" || id == "" {
			return
		}
		k := src + "/" + id
		s := byKey[k]
		if s == nil {
			s = &SourceRecord{Source: src, SourceRecordID: id, FirstSeen: at, LastSeen: at}
			byKey[k] = s
		}
		if !at.IsZero() && (s.FirstSeen.IsZero() || at.Before(s.FirstSeen)) {
			s.FirstSeen = at
		}
		if at.After(s.LastSeen) {
			s.LastSeen = at
		}
	}
	if env.Lead != nil {
		for _, obs := range env.Lead.Provenance {
			for _, o := range obs {
				add(o.Source, o.SourceRecordID, o.ObservedAt)
			}
		}
	}
	add(env.Source.Provider, env.Source.RecordID, env.FirstSeen)
	out := make([]SourceRecord, 0, len(byKey))
	for _, s := range byKey {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].FirstSeen.Equal(out[j].FirstSeen) {
			return out[i].FirstSeen.Before(out[j].FirstSeen)
		}
		return out[i].Source+out[i].SourceRecordID < out[j].Source+out[j].SourceRecordID
	})
	return out
}

// indexDoc is what the Bleve index holds of a lead: the words of the
// full-text query and the filter and sort fields (keywords lower-cased).
// See fields.go for how it becomes a Bleve document.
type indexDoc struct {
	ID        string
	Text      []string // words of names, company and e-mail (index.Tokens)
	Email     []string // EmailTerm digests
	Domain    string
	Company   string
	Source    []string
	State     string
	FitBucket string
	Country   string
	Status    int
	Fit       int
	Quality   int
	Updated   time.Time
}

func (d *Doc) indexDoc() indexDoc {
	x := indexDoc{ID: d.LeadID, State: d.State, Updated: d.UpdatedAt.UTC()}
	if d.Halo != nil {
		x.Status = d.Halo.StatusID
	}
	for _, s := range d.Sources {
		if !slices.Contains(x.Source, s.Source) {
			x.Source = append(x.Source, s.Source)
		}
	}
	l := d.Lead
	if l == nil {
		return x
	}
	words := map[string]bool{}
	addWords := func(s string) {
		for _, w := range index.Tokens(s) {
			if !words[w] {
				words[w] = true
				x.Text = append(x.Text, w)
			}
		}
	}
	addWords(l.FirstName)
	addWords(l.LastName)
	addWords(l.FullName)
	addWords(l.Company)
	for _, e := range append([]string{l.Email}, emailAddresses(l)...) {
		if e = strings.ToLower(strings.TrimSpace(e)); e == "" {
			continue
		}
		if t := EmailTerm(e); !slices.Contains(x.Email, t) {
			x.Email = append(x.Email, t)
			addWords(e)
		}
	}
	x.Domain = strings.ToLower(l.Domain)
	x.Company = strings.ToLower(strings.TrimSpace(l.Company))
	x.FitBucket = strings.ToLower(l.FitBucket)
	x.Country = strings.ToLower(l.Country)
	x.Fit = l.FitScore
	x.Quality = l.QualityScore
	return x
}

// EmailTerm is how an e-mail address is indexed for the exact filter: a
// digest, so the index holds no address whole (the text field has its
// parts).
func EmailTerm(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(sum[:16])
}

func emailAddresses(l *lead.Lead) []string {
	out := make([]string, 0, len(l.Emails))
	for _, e := range l.Emails {
		out = append(out, e.Address)
	}
	return out
}
