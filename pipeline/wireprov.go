package pipeline

import (
	"errors"
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

// wireProvenance is a lead's provenance on the wire. In JSON (version 2)
// it is Origins and Attrs. In MessagePack (version 3) it has the same
// layout, but it is written straight from the lead's provenance (src) and
// read straight into it (dec) by the hand-written codec in
// wireprov_msgp.go, without the intermediate form.
type wireProvenance struct {
	Origins []wireOrigin                 `json:"o"`
	Attrs   map[string][]wireObservation `json:"a"`

	// src is the provenance to write; with current, only its selected
	// observations (Lead.WithCurrentProvenance).
	src     map[string][]lead.Observation
	current bool
	// dec is the provenance read.
	dec map[string][]lead.Observation
}

// unpack returns the provenance w carries.
func (w *wireProvenance) unpack() (map[string][]lead.Observation, error) {
	p := make(map[string][]lead.Observation, len(w.Attrs))
	n := 0
	for _, obs := range w.Attrs {
		n += len(obs)
	}
	all := make([]lead.Observation, n)
	for a, obs := range w.Attrs {
		hist := all[:len(obs):len(obs)]
		all = all[len(obs):]
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
