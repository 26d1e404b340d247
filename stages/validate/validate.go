// Package validate is the identity gate: a lead that cannot be told apart
// from others (no usable e-mail, no usable phone, and not a person name
// with a company or postal address) is rejected with reason invalid_data
// on leads.rejected; the rest go on to leads.valid.
package validate

import (
	"context"
	"strings"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
)

// ReasonInvalidData is the rejection reason of the identity gate.
const ReasonInvalidData = "invalid_data"

// Stage is the validate stage. It is stateless.
type Stage struct{}

// Name implements pipeline.Stage.
func (Stage) Name() string { return "validate" }

// Input implements pipeline.Stage.
func (Stage) Input() string { return pipeline.TopicNormalized }

// Stateful implements pipeline.Stage.
func (Stage) Stateful() bool { return false }

// Open implements pipeline.Stage.
func (Stage) Open(context.Context, int32, *pipeline.Table) (pipeline.Processor, error) {
	return pipeline.ProcessorFunc(process), nil
}

func process(_ context.Context, in *pipeline.Envelope, out *pipeline.Emitter) error {
	if in.Lead == nil {
		in.Outcome = pipeline.OutcomeRejected
		in.Reasons = []string{ReasonInvalidData, "no_lead"}
		out.Emit(pipeline.TopicRejected, in.TraceID, in)
		return nil
	}
	if reasons := Identity(in.Lead); len(reasons) > 0 {
		in.Outcome = pipeline.OutcomeRejected
		in.Reasons = append([]string{ReasonInvalidData}, reasons...)
		out.Emit(pipeline.TopicRejected, in.TraceID, in)
		return nil
	}
	out.Emit(pipeline.TopicValid, in.Lead.PartitionKey(), in)
	return nil
}

// Identity returns why l has no usable identity, or nil when it has one:
// a plausible e-mail, a phone with at least 7 digits, or a person name
// together with a company or a postal address.
func Identity(l *lead.Lead) []string {
	if PlausibleEmail(l.Email) || digits(l.Phone) >= 7 {
		return nil
	}
	if l.HasPersonName() && (l.Company != "" || l.HasAddress()) {
		return nil
	}
	var reasons []string
	if l.Email != "" {
		reasons = append(reasons, "email_invalid")
	} else {
		reasons = append(reasons, "no_email")
	}
	if l.Phone == "" {
		reasons = append(reasons, "no_phone")
	} else {
		reasons = append(reasons, "phone_invalid")
	}
	if !l.HasPersonName() {
		reasons = append(reasons, "no_name")
	} else {
		reasons = append(reasons, "no_company_or_address")
	}
	return reasons
}

// PlausibleEmail is a cheap syntax check: one @, a non-empty local part and
// a dotted domain with a top-level label of two letters or more.
func PlausibleEmail(e string) bool {
	at := strings.IndexByte(e, '@')
	if at <= 0 || at != strings.LastIndexByte(e, '@') || strings.ContainsAny(e, " \t,;<>") {
		return false
	}
	dom := e[at+1:]
	dot := strings.LastIndexByte(dom, '.')
	return dot > 0 && len(dom)-dot-1 >= 2
}

func digits(s string) int {
	n := 0
	for _, c := range s {
		if c >= '0' && c <= '9' {
			n++
		}
	}
	return n
}
