package dedupe

import (
	"testing"
	"time"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/stages/dedupe/match"
	"github.com/leadstream/leadstream/stages/validate"
)

// An auto-merged record is merged field by field (spec §4.4): the higher
// precedence provider's title wins although it arrived second, the lead
// that is re-emitted is the merged one with its quality score recomputed,
// and the match records stay those of the source records.
func TestAutoMergeByPrecedence(t *testing.T) {
	p := open(t, newMapState(), "")
	defer p.Close()
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	norm := func(src string, raw map[string]string) lead.Lead {
		l, _ := lead.Normalize(raw, lead.Source{Key: src, RecordID: src + "-1", ObservedAt: at})
		return l
	}
	first := norm("hunter", map[string]string{"first_name": "Ann", "last_name": "Lee", "email": "ann.lee@acme.example",
		"company": "Acme Ltd", "title": "Sales Manager"})
	second := norm("apollo", map[string]string{"first_name": "Ann", "last_name": "Lee", "email": "ann.lee@acme.example",
		"email_status": "verified", "company": "Acme Ltd", "title": "Chief Technology Officer", "country": "GB",
		"direct_phone": "020 7946 0123"})

	a := process(t, p, "r1", first)
	b := process(t, p, "r2", second)
	if a.Decision != DecisionNew || b.Decision != DecisionMerge || b.LeadID != a.LeadID {
		t.Fatalf("decisions %s %s, lead %s vs %s", a.Decision, b.Decision, a.LeadID, b.LeadID)
	}
	l := b.Lead
	if l.Title != "Chief Technology Officer" || l.Seniority != lead.SeniorityCSuite || l.Phone != "+442079460123" {
		t.Errorf("merged title %q seniority %q phone %q", l.Title, l.Seniority, l.Phone)
	}
	if l.FirstSource != "hunter" || len(l.Provenance["title"]) != 2 {
		t.Errorf("first source %q title history %+v", l.FirstSource, l.Provenance["title"])
	}
	q1, _ := validate.Quality(&first)
	if q, _ := validate.Quality(l); l.QualityScore != q || q <= q1 {
		t.Errorf("quality %d, want %d (first record alone %d)", l.QualityScore, q, q1)
	}
	var recs []match.Record
	if _, err := p.getJSON(keyMatch+a.LeadID, &recs); err != nil || len(recs) != 2 || recs[0] != Record(&first) || recs[1] != Record(&second) {
		t.Errorf("match records %+v %v", recs, err)
	}
}
