package review

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
)

func TestCandidateRoundTrip(t *testing.T) {
	e, n := 1.0, 0.87
	c := Candidate{LeadID: "ld_01", Score: 0.8345, Components: Components{Email: &e, Name: &n}}
	s := FormatCandidate(c)
	if s != "candidate:ld_01:0.83:e=1.00/n=0.87/p=-/c=-/a=-" {
		t.Fatalf("formatted %q", s)
	}
	got, ok := ParseCandidate(s)
	if !ok || got.LeadID != "ld_01" || got.Score != 0.83 || *got.Components.Email != 1 || *got.Components.Name != 0.87 ||
		got.Components.Phone != nil || got.Components.Address != nil {
		t.Fatalf("parsed %+v", got)
	}
	// The older form without components still reads.
	if got, ok := ParseCandidate("candidate:ld_1:0.85"); !ok || got.Score != 0.85 || got.Components.Email != nil {
		t.Fatalf("old form: %+v %v", got, ok)
	}
	if _, ok := ParseCandidate("possible_duplicate"); ok {
		t.Fatal("a reason parsed as a candidate")
	}
}

func TestFits(t *testing.T) {
	dup := &Item{ID: "a", Envelope: &pipeline.Envelope{Reasons: []string{"possible_duplicate", "candidate:ld_1:0.85", "low_quality"}}}
	low := &Item{ID: "b", Envelope: &pipeline.Envelope{Reasons: []string{"low_quality"}}}
	tests := []struct {
		item             *Item
		decision, target string
		ok               bool
	}{
		{dup, Merge, "ld_1", true},
		{dup, Merge, "ld_2", false},
		{dup, Merge, "", false},
		{dup, CreateNew, "", true},
		{dup, Approve, "", false}, // possible_duplicate is decided first
		{dup, Reject, "", true},
		{low, Approve, "", true},
		{low, CreateNew, "", false},
		{low, Merge, "ld_1", false},
		{low, Reject, "", true},
		{low, "shrug", "", false},
	}
	for _, tc := range tests {
		err := Fits(tc.decision, tc.target, tc.item)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrUnfit)) {
			t.Errorf("%s %s %s: %v", tc.item.Reason(), tc.decision, tc.target, err)
		}
	}
}

// A merge decision sends the record on to dedupe with the target, and the
// item leaves a marker naming the decision and the lead.
func TestStageMergeLeavesMarker(t *testing.T) {
	st := &mapState{m: map[string][]byte{}}
	p, err := Stage{}.open(st)
	if err != nil {
		t.Fatal(err)
	}
	held := &pipeline.Envelope{TraceID: "imp:7", FirstSeen: time.Now().UTC(), Outcome: pipeline.OutcomeReview,
		Reasons: []string{"possible_duplicate", "candidate:ld_1:0.85"}, Lead: &lead.Lead{Email: "a@b.example"}}
	if err := p.Process(context.Background(), held, &pipeline.Emitter{}); err != nil {
		t.Fatal(err)
	}
	dec := &pipeline.Envelope{TraceID: "imp:7", Decision: "review:merge:ld_1", FirstSeen: time.Now().UTC()}
	if err := p.Process(context.Background(), dec, &pipeline.Emitter{}); err != nil {
		t.Fatal(err)
	}
	if _, ok := st.m[keyItem+"imp:7"]; ok {
		t.Fatal("the decided item is still open")
	}
	var d Decided
	if err := json.Unmarshal(st.m[keyDecided+"imp:7"], &d); err != nil || d.Decision != Merge || d.LeadID != "ld_1" {
		t.Fatalf("marker %+v %v", d, err)
	}
	// A second decision changes nothing.
	if err := p.Process(context.Background(), &pipeline.Envelope{TraceID: "imp:7", Decision: "review:reject"}, &pipeline.Emitter{}); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(st.m[keyDecided+"imp:7"], &d); err != nil || d.Decision != Merge {
		t.Fatalf("marker after a second decision %+v", d)
	}
}

// A merge dedupe decides itself closes the item like a person's, sends the
// record back to dedupe, and its marker says dedupe decided; a person's
// decision after it changes nothing. The decision record carries the
// header that keeps it out of the outcome tally.
func TestDedupeResolvesItem(t *testing.T) {
	st := &mapState{m: map[string][]byte{}}
	p, err := Stage{}.open(st)
	if err != nil {
		t.Fatal(err)
	}
	held := &pipeline.Envelope{TraceID: "imp:9", FirstSeen: time.Now().UTC(), Outcome: pipeline.OutcomeReview,
		Reasons: []string{"possible_duplicate", "candidate:ld_1:0.85"}, Lead: &lead.Lead{Email: "a@b.example"}}
	if err := p.Process(context.Background(), held, &pipeline.Emitter{}); err != nil {
		t.Fatal(err)
	}
	dec := &pipeline.Envelope{TraceID: "imp:9", Decision: DecisionValue(Merge, "ld_2"), Reasons: []string{ReasonDedupeResolved}, FirstSeen: time.Now().UTC()}
	rec, err := dec.Record(pipeline.TopicReview, "imp:9")
	if err != nil {
		t.Fatal(err)
	}
	if h := pipeline.HeaderValue(rec, pipeline.HeaderReviewDecision); h != Merge {
		t.Fatalf("decision header %q", h)
	}
	var out pipeline.Emitter
	if err := p.Process(context.Background(), dec, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Records()) != 1 || out.Records()[0].Topic != pipeline.TopicValid {
		t.Fatalf("sent on: %d records", len(out.Records()))
	}
	back, err := pipeline.DecodeEnvelope(out.Records()[0])
	if err != nil || back.Decision != DecisionMergePrefix+"ld_2" {
		t.Fatalf("back to dedupe: %+v %v", back, err)
	}
	var d Decided
	if err := json.Unmarshal(st.m[keyDecided+"imp:9"], &d); err != nil || d.Decision != Merge || d.LeadID != "ld_2" || d.By != ByDedupe {
		t.Fatalf("marker %+v %v", d, err)
	}
	var late pipeline.Emitter
	if err := p.Process(context.Background(), &pipeline.Envelope{TraceID: "imp:9", Decision: DecisionValue(Reject, "")}, &late); err != nil || len(late.Records()) != 0 {
		t.Fatalf("a person's late decision: %v, %d records", err, len(late.Records()))
	}
}
