package match

import (
	"sort"
	"strings"
)

// Index is an in-memory candidate store keyed by [Keys]: the reference
// for a persistent store and the one the offline evaluation uses. It is
// not safe for concurrent use.
type Index struct {
	// MaxPerKey caps the leads kept per key (the most recent win);
	// MaxRecords caps the records offered per lead.
	MaxPerKey, MaxRecords int

	keys  map[string][]string
	leads map[string][]Record
	seq   map[string]int
	next  int
}

// NewIndex returns an empty index with fan-out caps.
func NewIndex(maxPerKey, maxRecords int) *Index {
	return &Index{
		MaxPerKey:  maxPerKey,
		MaxRecords: maxRecords,
		keys:       make(map[string][]string),
		leads:      make(map[string][]Record),
		seq:        make(map[string]int),
	}
}

// Add files a record under a lead.
func (x *Index) Add(leadID string, r Record) {
	x.next++
	x.seq[leadID] = x.next
	x.leads[leadID] = append(x.leads[leadID], r)
	for _, k := range Keys(r) {
		ids := x.keys[k]
		found := false
		for _, id := range ids {
			if id == leadID {
				found = true
				break
			}
		}
		if found {
			continue
		}
		if len(ids) >= x.MaxPerKey {
			ids = append(ids[:0:0], ids[1:]...)
		}
		x.keys[k] = append(ids, leadID)
	}
}

// Candidates returns the records of at most maxLeads leads that share a
// key with r, the leads sharing most keys first (then the most recently
// touched). A candidate's phone is marked shared when 3 or more leads
// carry it.
func (x *Index) Candidates(r Record, maxLeads int) []Candidate {
	hits := make(map[string]int)
	for _, k := range Keys(r) {
		for _, id := range x.keys[k] {
			hits[id]++
		}
	}
	ids := make([]string, 0, len(hits))
	for id := range hits {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		if hits[ids[i]] != hits[ids[j]] {
			return hits[ids[i]] > hits[ids[j]]
		}
		return x.seq[ids[i]] > x.seq[ids[j]]
	})
	if len(ids) > maxLeads {
		ids = ids[:maxLeads]
	}
	var out []Candidate
	for _, id := range ids {
		recs := x.leads[id]
		if len(recs) > x.MaxRecords {
			recs = recs[len(recs)-x.MaxRecords:]
		}
		for _, rec := range recs {
			shared := false
			if rec.Phone != "" {
				shared = len(x.keys[strings.Join([]string{"p", rec.Phone}, "|")]) >= 3
			}
			out = append(out, Candidate{LeadID: id, Record: rec, PhoneShared: shared})
		}
	}
	return out
}
