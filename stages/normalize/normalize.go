// Package normalize is the first stage: it maps a provider's raw record
// from leads.raw onto the canonical lead, cleans each value and keys the
// result by the dedupe partition key on leads.normalized.
package normalize

import (
	"context"
	"errors"
	"strings"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
)

// Stage is the normalize stage. It is stateless.
type Stage struct{}

// Name implements pipeline.Stage.
func (Stage) Name() string { return "normalize" }

// Input implements pipeline.Stage.
func (Stage) Input() string { return pipeline.TopicRaw }

// Stateful implements pipeline.Stage.
func (Stage) Stateful() bool { return false }

// Open implements pipeline.Stage.
func (Stage) Open(context.Context, int32, *pipeline.Table) (pipeline.Processor, error) {
	return pipeline.ProcessorFunc(process), nil
}

func process(_ context.Context, in *pipeline.Envelope, out *pipeline.Emitter) error {
	if in.Raw == nil {
		return errors.New("normalize: record has no raw fields")
	}
	l := FromCanonical(in.Raw)
	in.Lead = &l
	in.Raw = nil
	out.Emit(pipeline.TopicNormalized, l.PartitionKey(), in)
	return nil
}

// canonicalColumns maps the canonical CSV's columns to lead fields.
var canonicalColumns = map[string]func(*lead.Lead, string){
	"first_name": func(l *lead.Lead, v string) { l.FirstName = v },
	"last_name":  func(l *lead.Lead, v string) { l.LastName = v },
	"full_name":  func(l *lead.Lead, v string) { l.FullName = v },
	"email":      func(l *lead.Lead, v string) { l.Email = strings.ToLower(v) },
	"phone":      func(l *lead.Lead, v string) { l.Phone = v },
	"title":      func(l *lead.Lead, v string) { l.Title = v },
	"company":    func(l *lead.Lead, v string) { l.Company = v },
	"domain":     func(l *lead.Lead, v string) { l.Domain = lead.RegistrableDomain(v) },
	"street":     func(l *lead.Lead, v string) { l.Street = v },
	"city":       func(l *lead.Lead, v string) { l.City = v },
	"state":      func(l *lead.Lead, v string) { l.State = strings.ToUpper(v) },
	"postcode":   func(l *lead.Lead, v string) { l.Postcode = v },
	"country":    func(l *lead.Lead, v string) { l.Country = strings.ToUpper(v) },
}

// skipped are columns that identify the source row, not the lead.
var skipped = map[string]bool{"record_id": true, "entity_id": true}

// FromCanonical builds a lead from canonical CSV fields (already trimmed
// and white-space folded by the reader). Unknown columns go to Extra.
func FromCanonical(raw map[string]string) lead.Lead {
	var l lead.Lead
	for k, v := range raw {
		v = strings.TrimSpace(v)
		if v == "" || skipped[k] {
			continue
		}
		if set, ok := canonicalColumns[k]; ok {
			set(&l, v)
			continue
		}
		if l.Extra == nil {
			l.Extra = make(map[string]string)
		}
		l.Extra[k] = v
	}
	return l
}
