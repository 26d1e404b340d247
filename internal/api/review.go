package api

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/stages/review"
)

// ReviewQueue reads the review queue and sends decisions on it.
type ReviewQueue interface {
	// Queue reads the queue as the review stage's changelog holds it.
	Queue(ctx context.Context) (*review.Queue, error)
	// Decide checks and sends a decision on an item of q; it returns the
	// lead the record becomes or merges into.
	Decide(ctx context.Context, q *review.Queue, id, decision, target string) (string, error)
}

// decidedSet remembers the decisions this process sent, so a second
// decision is a conflict at once, before the stage has applied the first.
type decidedSet struct {
	mu sync.Mutex
	m  map[string]string
}

func newDecidedSet() *decidedSet { return &decidedSet{m: map[string]string{}} }

func (d *decidedSet) get(id string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.m[id]
	return v, ok
}

func (d *decidedSet) put(id, decision string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.m[id] = decision
}

// reviewItem is one item of GET /api/review.
type reviewItem struct {
	ReviewID     string             `json:"review_id"`
	Reason       string             `json:"reason"`
	Reasons      []string           `json:"reasons"`
	CreatedAt    time.Time          `json:"created_at"`
	QualityScore int                `json:"quality_score"`
	Record       *lead.Lead         `json:"record"`
	Source       map[string]string  `json:"source"`
	Candidates   []review.Candidate `json:"candidates"`
	// Leads are the candidate leads as they stand, to show side by side.
	Leads     map[string]*leadSummary `json:"candidate_leads"`
	Decisions []string                `json:"decisions"`
}

func (s *Server) listReview(w http.ResponseWriter, r *http.Request) {
	if s.opts.Review == nil {
		writeError(w, http.StatusServiceUnavailable, CodeServiceUnavailable, "the review queue is not available in this process", nil)
		return
	}
	q := r.URL.Query()
	limit, err := limitParam(q)
	if err != nil {
		badParam(w, "limit", err.Error())
		return
	}
	reason := q.Get("reason")
	if reason != "" && reason != review.ReasonLowQuality && reason != review.ReasonPossibleDuplicate {
		badParam(w, "reason", "must be low_quality or possible_duplicate")
		return
	}
	start := 0
	if c := q.Get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		n, cerr := strconv.Atoi(string(b))
		if err != nil || cerr != nil || n < 0 {
			badParam(w, "cursor", "invalid cursor")
			return
		}
		start = n
	}
	queue, err := s.opts.Review.Queue(r.Context())
	if err != nil {
		s.internal(w, "reading the review queue", err)
		return
	}
	var items []*review.Item
	for i := range queue.Open {
		it := &queue.Open[i]
		if _, gone := s.decided.get(it.ID); gone {
			continue
		}
		if reason == "" || slices.Contains(it.Reasons(), reason) {
			items = append(items, it)
		}
	}
	out := struct {
		Data       []reviewItem `json:"data"`
		Pagination pagination   `json:"pagination"`
		Total      int          `json:"total"`
	}{Data: []reviewItem{}, Pagination: pagination{Limit: limit}, Total: len(items)}
	end := min(start+limit, len(items))
	for _, it := range items[min(start, len(items)):end] {
		ri := reviewItem{ReviewID: it.ID, Reason: it.Reason(), Reasons: it.Reasons(), CreatedAt: it.HeldAt,
			Candidates: it.Candidates(), Leads: map[string]*leadSummary{}}
		if ri.Candidates == nil {
			ri.Candidates = []review.Candidate{}
		}
		if env := it.Envelope; env != nil {
			ri.Record = env.Lead
			ri.Source = map[string]string{"source": env.Source.Provider, "source_record_id": env.Source.RecordID}
			if env.Lead != nil {
				ri.QualityScore = env.Lead.QualityScore
			}
		}
		if ri.Reason == review.ReasonPossibleDuplicate {
			ri.Decisions = []string{review.Merge, review.CreateNew, review.Reject}
		} else {
			ri.Decisions = []string{review.Approve, review.Reject}
		}
		if s.opts.Leads != nil {
			for _, c := range ri.Candidates {
				if d, err := s.opts.Leads.Get(r.Context(), c.LeadID); err == nil {
					sm := summary(d)
					ri.Leads[c.LeadID] = &sm
				}
			}
		}
		out.Data = append(out.Data, ri)
	}
	if end < len(items) {
		next := base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
		out.Pagination.NextCursor, out.Pagination.HasMore = &next, true
	}
	writeJSON(w, http.StatusOK, out)
}

// decisionRequest is the body of POST /api/review/{id}/decision.
type decisionRequest struct {
	Decision     string `json:"decision"`
	TargetLeadID string `json:"target_lead_id"`
	Note         string `json:"note"`
}

func (s *Server) decide(w http.ResponseWriter, r *http.Request) {
	if s.opts.Review == nil {
		writeError(w, http.StatusServiceUnavailable, CodeServiceUnavailable, "the review queue is not available in this process", nil)
		return
	}
	var req decisionRequest
	if err := json.Unmarshal(body(r), &req); err != nil {
		writeError(w, http.StatusBadRequest, CodeInvalidJSON, "the body is not a JSON decision object", nil)
		return
	}
	if !slices.Contains(review.Decisions, req.Decision) {
		writeError(w, http.StatusBadRequest, CodeValidation, "decision: must be approve, reject, merge or create_new", map[string]any{"field": "decision"})
		return
	}
	if len(req.Note) > 2000 {
		writeError(w, http.StatusBadRequest, CodeValidation, "note: at most 2000 characters", map[string]any{"field": "note"})
		return
	}
	id := r.PathValue("id")
	if prev, ok := s.decided.get(id); ok {
		writeError(w, http.StatusConflict, CodeConflict, "the review item was already decided ("+prev+")", map[string]any{"review_id": id})
		return
	}
	q, err := s.opts.Review.Queue(r.Context())
	if err != nil {
		s.internal(w, "reading the review queue", err)
		return
	}
	leadID, err := s.opts.Review.Decide(r.Context(), q, id, req.Decision, req.TargetLeadID)
	switch {
	case errors.Is(err, review.ErrDecided):
		writeError(w, http.StatusConflict, CodeConflict, err.Error(), map[string]any{"review_id": id})
		return
	case errors.Is(err, review.ErrNoItem):
		writeError(w, http.StatusNotFound, CodeNotFound, "no review item "+id, nil)
		return
	case errors.Is(err, review.ErrUnfit):
		field := "decision"
		if req.Decision == review.Merge {
			field = "target_lead_id"
		}
		writeError(w, http.StatusBadRequest, CodeValidation, err.Error(), map[string]any{"field": field})
		return
	case err != nil:
		s.internal(w, "sending the decision", err)
		return
	}
	s.decided.put(id, req.Decision)
	s.log.Info("review decided", "review_id", id, "decision", req.Decision, "lead_id", leadID, "key", caller(r).ID)
	out := map[string]any{"review_id": id, "decision": req.Decision, "lead_id": nil}
	if leadID != "" {
		out["lead_id"] = leadID
	}
	writeJSON(w, http.StatusOK, out)
}
