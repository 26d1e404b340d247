package leadsview

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"time"

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

// indexDoc is the Bleve document of a lead: the searchable text and the
// filter and sort fields (keywords lower-cased).
type indexDoc struct {
	Text      string   `json:"text"`
	Email     []string `json:"email,omitempty"`
	Domain    string   `json:"domain,omitempty"`
	Company   string   `json:"company,omitempty"`
	Source    []string `json:"source,omitempty"`
	State     string   `json:"state"`
	FitBucket string   `json:"fit_bucket,omitempty"`
	Country   string   `json:"country,omitempty"`
	Status    float64  `json:"halopsa_status_id"`
	Fit       float64  `json:"fit_score"`
	Quality   float64  `json:"quality_score"`
	Updated   string   `json:"updated_at"`
}

func (d *Doc) indexDoc() indexDoc {
	x := indexDoc{State: d.State, Updated: d.UpdatedAt.UTC().Format(time.RFC3339Nano)}
	if d.Halo != nil {
		x.Status = float64(d.Halo.StatusID)
	}
	seen := map[string]bool{}
	for _, s := range d.Sources {
		if !seen[s.Source] {
			seen[s.Source] = true
			x.Source = append(x.Source, s.Source)
		}
	}
	l := d.Lead
	if l == nil {
		return x
	}
	var text []string
	text = append(text, l.FirstName, l.LastName, l.FullName, l.Company)
	emails := map[string]bool{}
	for _, e := range append([]string{l.Email}, emailAddresses(l)...) {
		if e = strings.ToLower(strings.TrimSpace(e)); e != "" && !emails[e] {
			emails[e] = true
			x.Email = append(x.Email, EmailTerm(e))
			text = append(text, e, strings.ReplaceAll(strings.ReplaceAll(e, "@", " "), ".", " "))
		}
	}
	x.Text = strings.Join(text, " ")
	x.Domain = strings.ToLower(l.Domain)
	x.Company = strings.ToLower(strings.TrimSpace(l.Company))
	x.FitBucket = strings.ToLower(l.FitBucket)
	x.Country = strings.ToLower(l.Country)
	x.Fit = float64(l.FitScore)
	x.Quality = float64(l.QualityScore)
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
