package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/internal/leadsview"
	"github.com/leadstream/leadstream/pipeline"
)

// LeadsView is the leads view the API reads (a *leadsview.View).
type LeadsView interface {
	Search(ctx context.Context, q leadsview.Query) (*leadsview.Page, error)
	Get(ctx context.Context, id string) (*leadsview.Doc, error)
	CheckStore() error
	CheckIndex() error
}

// Paging limits (crm.md §9.1).
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// pagination is the §9.1 paging object.
type pagination struct {
	NextCursor *string `json:"next_cursor"`
	HasMore    bool    `json:"has_more"`
	Limit      int     `json:"limit"`
}

// leadSummary is one lead in a list (crm.md §9.2).
type leadSummary struct {
	LeadID       string            `json:"lead_id"`
	FirstName    string            `json:"first_name"`
	LastName     string            `json:"last_name"`
	FullName     string            `json:"full_name"`
	Email        string            `json:"email"`
	Company      string            `json:"company"`
	State        string            `json:"state"`
	QualityScore int               `json:"quality_score"`
	FitScore     int               `json:"fit_score"`
	FitBucket    string            `json:"fit_bucket"`
	Halo         *pipeline.HaloRef `json:"halopsa"`
	UpdatedAt    time.Time         `json:"updated_at"`
}

func summary(d *leadsview.Doc) leadSummary {
	s := leadSummary{LeadID: d.LeadID, State: d.State, Halo: d.Halo, UpdatedAt: d.UpdatedAt}
	if l := d.Lead; l != nil {
		s.FirstName, s.LastName, s.FullName, s.Email, s.Company = l.FirstName, l.LastName, l.FullName, l.Email, l.Company
		s.QualityScore, s.FitScore, s.FitBucket = l.QualityScore, l.FitScore, l.FitBucket
		if s.FullName == "" {
			s.FullName = strings.TrimSpace(l.FirstName + " " + l.LastName)
		}
	}
	return s
}

// limitParam reads limit (default 50, 1..200).
func limitParam(q url.Values) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return DefaultLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxLimit {
		return 0, errors.New("limit must be a whole number from 1 to 200")
	}
	return n, nil
}

// badParam answers 400 naming a query parameter.
func badParam(w http.ResponseWriter, name, msg string) {
	writeError(w, http.StatusBadRequest, CodeValidation, name+": "+msg, map[string]any{"field": name})
}

func (s *Server) listLeads(w http.ResponseWriter, r *http.Request) {
	if s.opts.Leads == nil {
		writeError(w, http.StatusServiceUnavailable, CodeServiceUnavailable, "the leads view is not available in this process", nil)
		return
	}
	q := r.URL.Query()
	lq := leadsview.Query{Q: q.Get("q"), Email: q.Get("email"), Domain: q.Get("domain"), Company: q.Get("company"),
		Source: q.Get("source"), State: q.Get("state"), FitBucket: q.Get("fit_bucket"), Country: q.Get("country"),
		Sort: q.Get("sort"), Cursor: q.Get("cursor"), Desc: true}
	var err error
	if lq.Limit, err = limitParam(q); err != nil {
		badParam(w, "limit", err.Error())
		return
	}
	if lq.Sort != "" && !slices.Contains(leadsview.Sorts, lq.Sort) {
		badParam(w, "sort", "must be updated_at, fit_score or quality_score")
		return
	}
	switch q.Get("order") {
	case "", "desc":
	case "asc":
		lq.Desc = false
	default:
		badParam(w, "order", "must be asc or desc")
		return
	}
	for _, p := range []struct {
		name string
		dst  **int
	}{{"halopsa_status_id", &lq.HaloStatusID}, {"min_fit", &lq.MinFit}, {"min_quality", &lq.MinQuality}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				badParam(w, p.name, "must be a whole number")
				return
			}
			*p.dst = &n
		}
	}
	if v := q.Get("updated_since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			badParam(w, "updated_since", "must be an RFC 3339 time")
			return
		}
		lq.UpdatedSince = t
	}
	if v := q.Get("state"); v != "" && !slices.Contains([]string{"pending", "review", "synced", "rejected", "suppressed"}, v) {
		badParam(w, "state", "must be pending, review, synced, rejected or suppressed")
		return
	}
	page, err := s.opts.Leads.Search(r.Context(), lq)
	if errors.Is(err, leadsview.ErrBadCursor) {
		badParam(w, "cursor", "invalid cursor (use next_cursor of the previous page with the same sort)")
		return
	}
	if err != nil {
		s.internal(w, "searching leads", err)
		return
	}
	out := struct {
		Data       []leadSummary `json:"data"`
		Pagination pagination    `json:"pagination"`
		Total      uint64        `json:"total"`
		// A search by relevance counts its matches up to a cap.
		TotalIsLowerBound bool `json:"total_is_lower_bound,omitempty"`
	}{Data: []leadSummary{}, Pagination: pagination{Limit: lq.Limit}, Total: page.Total, TotalIsLowerBound: page.TotalIsLowerBound}
	for _, d := range page.Docs {
		out.Data = append(out.Data, summary(d))
	}
	if page.NextCursor != "" {
		out.Pagination.NextCursor, out.Pagination.HasMore = &page.NextCursor, true
	}
	writeJSON(w, http.StatusOK, out)
}

// leadReview is one review item that concerns a lead.
type leadReview struct {
	ReviewID string     `json:"review_id"`
	Status   string     `json:"status"` // open or decided
	Reason   string     `json:"reason,omitempty"`
	Decision string     `json:"decision,omitempty"`
	At       *time.Time `json:"at,omitempty"`
}

func (s *Server) getLead(w http.ResponseWriter, r *http.Request) {
	if s.opts.Leads == nil {
		writeError(w, http.StatusServiceUnavailable, CodeServiceUnavailable, "the leads view is not available in this process", nil)
		return
	}
	id := r.PathValue("id")
	d, err := s.opts.Leads.Get(r.Context(), id)
	if errors.Is(err, leadsview.ErrNotFound) {
		writeError(w, http.StatusNotFound, CodeNotFound, "no lead "+id, nil)
		return
	}
	if err != nil {
		s.internal(w, "reading a lead", err)
		return
	}
	rec := map[string]any{}
	if d.Lead != nil {
		b, err := json.Marshal(d.Lead)
		if err == nil {
			err = json.Unmarshal(b, &rec)
		}
		if err != nil {
			s.internal(w, "encoding a lead", err)
			return
		}
	}
	delete(rec, "v")
	provenance := rec["provenance"]
	if provenance == nil {
		provenance = map[string]any{}
	}
	delete(rec, "provenance")
	rec["lead_id"], rec["state"], rec["updated_at"] = d.LeadID, d.State, d.UpdatedAt
	rec["halopsa"] = d.Halo
	rec["sources"] = d.Sources
	rec["provenance"] = provenance
	rec["suppressed"] = d.State == leadsview.StateSuppressed
	rec["reviews"] = s.reviewsOf(r.Context(), id)
	writeJSON(w, http.StatusOK, rec)
}

// reviewsOf lists the review items that name lead id as a candidate or
// were decided into it (best effort: empty when the queue is unreadable).
func (s *Server) reviewsOf(ctx context.Context, id string) []leadReview {
	out := []leadReview{}
	if s.opts.Review == nil {
		return out
	}
	q, err := s.opts.Review.Queue(ctx)
	if err != nil {
		s.log.Warn("reading the review queue for a lead failed", "err", err)
		return out
	}
	for i := range q.Open {
		it := &q.Open[i]
		for _, c := range it.Candidates() {
			if c.LeadID == id {
				at := it.HeldAt
				out = append(out, leadReview{ReviewID: it.ID, Status: "open", Reason: it.Reason(), At: &at})
				break
			}
		}
	}
	for _, d := range q.Decided {
		if d.LeadID == id {
			at := d.At
			out = append(out, leadReview{ReviewID: d.ID, Status: "decided", Decision: d.Decision, At: &at})
		}
	}
	return out
}

// internal answers 500 and logs the cause.
func (s *Server) internal(w http.ResponseWriter, what string, err error) {
	s.log.Error("api: "+what+" failed", "err", err)
	writeError(w, http.StatusInternalServerError, CodeInternal, what+" failed", nil)
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	e := caller(r)
	writeJSON(w, http.StatusOK, map[string]string{"key_id": e.ID, "name": e.Name, "role": e.Role})
}
