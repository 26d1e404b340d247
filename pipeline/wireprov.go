package pipeline

import (
	"errors"
	"slices"
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
	attrs := make([]string, 0, len(p))
	n := 0
	for a, hist := range p {
		attrs = append(attrs, a)
		n += len(hist)
	}
	slices.Sort(attrs) // origins numbered in a stable order
	// One backing array for every attribute's observations; origins are
	// found by a scan while there are few (a record has one, a merged lead
	// a handful), by a map beyond.
	all := make([]wireObservation, n)
	var index map[wireOrigin]int
	for _, a := range attrs {
		hist := p[a]
		obs := all[:len(hist):len(hist)]
		all = all[len(hist):]
		for i, o := range hist {
			k := wireOrigin{Source: o.Source, RecordID: o.SourceRecordID, At: o.ObservedAt}
			obs[i] = wireObservation{Value: o.Value, O: w.origin(k, &index), Confidence: o.Confidence, Selected: o.Selected}
		}
		w.Attrs[a] = obs
	}
	return w
}

// origin returns the number of origin k, adding it if new.
func (w *wireProvenance) origin(k wireOrigin, index *map[wireOrigin]int) int {
	const scan = 16
	if *index == nil {
		for i := range w.Origins {
			if w.Origins[i] == k {
				return i
			}
		}
		w.Origins = append(w.Origins, k)
		if len(w.Origins) > scan {
			*index = make(map[wireOrigin]int, 2*len(w.Origins))
			for i, o := range w.Origins {
				if _, dup := (*index)[o]; !dup {
					(*index)[o] = i
				}
			}
		}
		return len(w.Origins) - 1
	}
	if i, ok := (*index)[k]; ok {
		return i
	}
	w.Origins = append(w.Origins, k)
	(*index)[k] = len(w.Origins) - 1
	return len(w.Origins) - 1
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
