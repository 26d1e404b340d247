package api

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Eraser forgets a lead (crm.md §9.2 DELETE /api/leads/{id}).
type Eraser interface {
	// Erase removes every copy of the lead's personal data the process
	// can reach and suppresses it; with anonymise it also empties its
	// HaloPSA User. It returns ErrLeadNotFound for an unknown lead and an
	// error wrapping ErrHalo when HaloPSA failed.
	Erase(ctx context.Context, leadID string, anonymise bool) (time.Time, error)
}

// Errors an Eraser returns.
var (
	ErrLeadNotFound = errors.New("no such lead")
	ErrHalo         = errors.New("HaloPSA failed")
)

func (s *Server) eraseLead(w http.ResponseWriter, r *http.Request) {
	if s.opts.Eraser == nil {
		writeError(w, http.StatusServiceUnavailable, CodeServiceUnavailable, "erasure is not available in this process", nil)
		return
	}
	mode := r.URL.Query().Get("halopsa")
	switch mode {
	case "", "keep":
		mode = "kept"
	case "anonymise", "anonymize":
		mode = "anonymised"
	default:
		badParam(w, "halopsa", "must be keep or anonymise")
		return
	}
	id := r.PathValue("id")
	at, err := s.opts.Eraser.Erase(r.Context(), id, mode == "anonymised")
	switch {
	case errors.Is(err, ErrLeadNotFound):
		writeError(w, http.StatusNotFound, CodeNotFound, "no lead "+id, nil)
		return
	case errors.Is(err, ErrHalo):
		s.log.Error("erasure: HaloPSA failed", "lead_id", id, "err", err)
		writeError(w, http.StatusBadGateway, CodeExternalAPI, "HaloPSA failed during the erasure; the local erasure is done, retry to anonymise", nil)
		return
	case err != nil:
		s.internal(w, "erasing the lead", err)
		return
	}
	s.log.Info("lead erased", "lead_id", id, "halopsa", mode, "key", caller(r).ID)
	writeJSON(w, http.StatusOK, map[string]any{"lead_id": id, "erased_at": at.UTC(), "halopsa": mode})
}
