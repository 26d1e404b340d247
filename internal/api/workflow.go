package api

import (
	"net/http"
	"slices"
	"time"

	"github.com/leadstream/leadstream/internal/analytics"
)

func (s *Server) workflow(w http.ResponseWriter, r *http.Request) {
	if s.opts.Transitions == nil {
		writeError(w, http.StatusServiceUnavailable, CodeServiceUnavailable, "the transition log is not available in this process", nil)
		return
	}
	q := r.URL.Query()
	now := s.opts.Now().UTC()
	to, from := now, now.AddDate(0, 0, -30)
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &from}, {"to", &to}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				badParam(w, p.name, "must be an RFC 3339 time")
				return
			}
			*p.dst = t
		}
	}
	if !from.Before(to) {
		badParam(w, "from", "must be before to")
		return
	}
	stage := q.Get("stage")
	if stage != "" && !slices.Contains(analytics.Stages, stage) {
		badParam(w, "stage", "must be lead, prospect or opportunity")
		return
	}
	log, err := s.opts.Transitions(r.Context())
	if err != nil {
		s.internal(w, "reading the transition log", err)
		return
	}
	writeJSON(w, http.StatusOK, s.opts.Workflow.Compute(log, from, to, now, stage))
}
