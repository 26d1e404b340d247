package pipeline

import (
	"errors"
	"sort"
	"time"

	"github.com/leadstream/leadstream/internal/lead"
)

// Envelope wire version 2 carries a lead's provenance apart from the lead,
// in a compact form: the (source, source record, time) origins once each,
// and per attribute its values pointing at their origin. A record of one
// source repeats one origin for every field, so version 1, which spelled it
// out in every observation, spent most of its bytes there. Everything else
// is as in version 1, and version 1 records are still read.

// wireOrigin is where observations came from.
type wireOrigin struct {
	Source   string    `json:"s,omitempty"`
	RecordID string    `json:"r,omitempty"`
	At       time.Time `json:"t"`
}

// wireObservation is one lead.Observation; O indexes wireProvenance.Origins.
type wireObservation struct {
	Value      string `json:"v"`
	O          int    `json:"o,omitempty"`
	Confidence int    `json:"c,omitempty"`
	Selected   bool   `json:"x,omitempty"`
}

// wireProvenance is a lead's provenance in wire version 2.
type wireProvenance struct {
	Origins []wireOrigin                 `json:"o"`
	Attrs   map[string][]wireObservation `json:"a"`
}

// packProvenance returns the wire form of p (nil when empty).
func packProvenance(p map[string][]lead.Observation) *wireProvenance {
	if len(p) == 0 {
		return nil
	}
	w := &wireProvenance{Attrs: make(map[string][]wireObservation, len(p))}
	index := map[wireOrigin]int{}
	attrs := make([]string, 0, len(p))
	for a := range p {
		attrs = append(attrs, a)
	}
	sort.Strings(attrs) // origins numbered in a stable order
	for _, a := range attrs {
		obs := make([]wireObservation, len(p[a]))
		for i, o := range p[a] {
			k := wireOrigin{Source: o.Source, RecordID: o.SourceRecordID, At: o.ObservedAt}
			n, ok := index[k]
			if !ok {
				n = len(w.Origins)
				index[k] = n
				w.Origins = append(w.Origins, k)
			}
			obs[i] = wireObservation{Value: o.Value, O: n, Confidence: o.Confidence, Selected: o.Selected}
		}
		w.Attrs[a] = obs
	}
	return w
}

// unpack returns the provenance w carries.
func (w *wireProvenance) unpack() (map[string][]lead.Observation, error) {
	p := make(map[string][]lead.Observation, len(w.Attrs))
	for a, obs := range w.Attrs {
		hist := make([]lead.Observation, len(obs))
		for i, o := range obs {
			if o.O < 0 || o.O >= len(w.Origins) {
				return nil, errors.New("provenance: origin out of range")
			}
			g := w.Origins[o.O]
			hist[i] = lead.Observation{Value: o.Value, Source: g.Source, SourceRecordID: g.RecordID, ObservedAt: g.At,
				Confidence: o.Confidence, Selected: o.Selected}
		}
		p[a] = hist
	}
	return p, nil
}
