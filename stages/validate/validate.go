// Package validate applies the validate-stage gates of spec §3.2 and the
// data-quality score of spec §3.1. A lead with no usable identity is
// rejected with reason invalid_data on leads.rejected; a lead whose
// quality score is below the review threshold goes to leads.review with
// reason low_quality and the machine-readable shortfalls; the rest go on
// to leads.valid with their quality score set.
//
// Deviations from the spec, kept on purpose for the development datasets
// (febrl: person names and postal addresses only, no e-mail, phone or
// company):
//
//   - Identity: a person name together with a postal address or a city
//     counts as an identity, as well as a name with a company (spec §3.2
//     gate 1 only names the company). A name and a city alone is a thin
//     record: it can fold into the one lead of that name in that city
//     (match.Config.ThinRecordsByCity), and otherwise it is held by the
//     quality gate as any low-quality record is.
//   - Quality gate: the score is computed here and a record below the
//     threshold goes on to leads.valid marked low_quality (with its
//     shortfalls in Reasons); dedupe holds it for review only when it
//     would create a new lead (spec §3.2 gate 3), so a thin record still
//     merges into the lead it belongs to. A record with a full person name
//     (first and last) and a full postal address (street, city and
//     postcode) is never marked, whatever its score: such a record scores
//     only 20, so the spec's rule would send every febrl record to review.
//   - Organisation records (issue 12): a company and no person is an
//     identity of its own and becomes an organisation lead. With a domain,
//     website, address or phone it passes the quality gate whatever its
//     (person-centred) score; a company name alone is marked low_quality
//     with organisation_name_only, so it is held for review unless it
//     joins a known organisation's site.
package validate

import (
	"bytes"
	"context"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
)

// ReasonInvalidData is the rejection reason of the identity gate.
const ReasonInvalidData = "invalid_data"

// ReasonLowQuality is the review reason of the quality gate.
const ReasonLowQuality = pipeline.ReasonLowQuality

// DefaultReviewBelow is the default quality threshold
// (thresholds.quality_review_below): a score below it goes to review.
const DefaultReviewBelow = 50

// Stage is the validate stage. It is stateless.
type Stage struct {
	// ReviewBelow is the quality threshold; 0 means DefaultReviewBelow and
	// a negative value turns the quality gate off (identity still applies).
	ReviewBelow int
	// Suppressions is the do-not-contact list (nil: none). A record whose
	// e-mail or phone is on it ends suppressed here, before it can become
	// or update a lead (crm.md §7.4).
	Suppressions *pipeline.GlobalTable
	// SuppressionKey is the HMAC key of the list's entries.
	SuppressionKey []byte
}

// Name implements pipeline.Stage.
func (Stage) Name() string { return "validate" }

// Input implements pipeline.Stage.
func (Stage) Input() string { return pipeline.TopicNormalized }

// Stateful implements pipeline.Stage.
func (Stage) Stateful() bool { return false }

// Open implements pipeline.Stage.
func (s Stage) Open(context.Context, int32, *pipeline.Table) (pipeline.Processor, error) {
	below := s.ReviewBelow
	if below == 0 {
		below = DefaultReviewBelow
	}
	return pipeline.ProcessorFunc(func(_ context.Context, in *pipeline.Envelope, out *pipeline.Emitter) error {
		route(in, below)
		if in.Outcome == "" {
			if keys, hit, erased := s.suppressed(in.Lead); erased {
				// An erased person (crm.md §9.2): counted and dropped,
				// without the personal data.
				in.Outcome, in.Reasons, in.Lead, in.Raw = pipeline.OutcomeSuppressed, []string{ReasonErasure}, nil, nil
			} else if hit {
				in.Outcome, in.Reasons = pipeline.OutcomeSuppressed, []string{ReasonDoNotContact}
				// The person's other e-mails and phones join the list.
				for _, k := range keys {
					out.Emit(pipeline.TopicSuppressions, k, pipeline.SuppressionEntry(in.TraceID, "", in.FirstSeen, in.Source))
				}
			}
		}
		out.Emit(topicOf(in), keyOf(in), in)
		return nil
	}), nil
}

// ReasonDoNotContact is the reason of a record held back by the
// do-not-contact list.
const ReasonDoNotContact = pipeline.ReasonDoNotContact

// ReasonErasure is the reason of a record of an erased person.
const ReasonErasure = "erasure"

// suppressed reports whether one of the lead's e-mails or phones is on
// the do-not-contact list, and returns the list keys of them all; erased
// is set when an entry comes from an erasure.
func (s Stage) suppressed(l *lead.Lead) (keys []string, hit, erased bool) {
	if s.Suppressions == nil || l == nil {
		return nil, false, false
	}
	emails, phones := l.ContactPoints()
	keys = lead.SuppressionKeys(s.SuppressionKey, emails, phones)
	for _, k := range keys {
		if v, ok := s.Suppressions.Get(k); ok {
			hit = true
			erased = erased || bytes.Contains(v, []byte(`"reasons":["`+ReasonErasure+`"`))
		}
	}
	if !hit {
		return nil, false, false
	}
	return keys, true, erased
}

// Verdict is what the gates decided for one lead.
type Verdict struct {
	Outcome pipeline.Outcome // "" to go on to leads.valid
	// Reasons are the rejection reasons, or for a lead that goes on,
	// low_quality and its shortfalls when the quality gate marks it.
	Reasons []string
	Quality int
}

// Check applies the identity and quality gates to l and sets its quality
// score. below is the review threshold.
func Check(l *lead.Lead, below int) Verdict {
	if l == nil {
		return Verdict{Outcome: pipeline.OutcomeRejected, Reasons: []string{ReasonInvalidData, "no_lead"}}
	}
	q, shortfalls := Quality(l)
	l.QualityScore = q
	if reasons := Identity(l); len(reasons) > 0 {
		return Verdict{Outcome: pipeline.OutcomeRejected, Reasons: append([]string{ReasonInvalidData}, reasons...), Quality: q}
	}
	if l.IsOrganisation() {
		// An organisation record (issue 12): the person-centred score
		// does not apply. With a domain, website, address or phone it is
		// a full account record; a name alone is thin.
		if below >= 0 && !OrganisationContact(l) {
			return Verdict{Reasons: []string{ReasonLowQuality, ReasonOrganisationNameOnly}, Quality: q}
		}
		return Verdict{Quality: q}
	}
	if q < below && !fullNameAndAddress(l) {
		return Verdict{Reasons: append([]string{ReasonLowQuality}, shortfalls...), Quality: q}
	}
	return Verdict{Quality: q}
}

// route sets the outcome and reasons of in.
func route(in *pipeline.Envelope, below int) {
	v := Check(in.Lead, below)
	in.Outcome, in.Reasons = v.Outcome, v.Reasons
}

func topicOf(in *pipeline.Envelope) string {
	switch in.Outcome {
	case pipeline.OutcomeRejected, pipeline.OutcomeSuppressed:
		return pipeline.TopicRejected
	case pipeline.OutcomeReview:
		return pipeline.TopicReview
	}
	return pipeline.TopicValid
}

func keyOf(in *pipeline.Envelope) string {
	if in.Outcome == pipeline.OutcomeRejected || in.Outcome == pipeline.OutcomeSuppressed || in.Lead == nil {
		return in.TraceID
	}
	return in.Lead.PartitionKey()
}

// ReasonOrganisationNameOnly is the low-quality shortfall of an
// organisation record with a name and nothing to reach or place it by.
const ReasonOrganisationNameOnly = "organisation_name_only"

// OrganisationContact reports whether an organisation record has any of
// domain, website, address (a street, postcode or city) or phone.
func OrganisationContact(l *lead.Lead) bool {
	return l.Domain != "" || l.Website != "" || l.Street != "" || l.Postcode != "" || l.City != "" || usablePhone(l)
}

// fullNameAndAddress is the febrl deviation of the quality gate: first
// and last name plus street, city and postcode.
func fullNameAndAddress(l *lead.Lead) bool {
	return l.FirstName != "" && l.LastName != "" && l.Street != "" && l.City != "" && l.Postcode != ""
}

// Identity returns why l has no usable identity, or nil when it has one
// (spec §3.2 gate 1, with the postal-address deviation): a usable e-mail
// (valid syntax, not disposable), a usable phone (valid or possible), or a
// person name together with a company, a postal address or a city.
func Identity(l *lead.Lead) []string {
	if usableEmail(l) || usablePhone(l) {
		return nil
	}
	if l.HasPersonName() && (l.Company != "" || l.HasAddress() || l.City != "") {
		return nil
	}
	if l.IsOrganisation() {
		// An organisation record: a company with no person (issue 12).
		return nil
	}
	var reasons []string
	if len(l.Emails) > 0 || l.Email != "" {
		reasons = append(reasons, "email_invalid")
	} else {
		reasons = append(reasons, "no_email")
	}
	if len(l.Phones) > 0 || l.Phone != "" {
		reasons = append(reasons, "phone_invalid")
	} else {
		reasons = append(reasons, "no_phone")
	}
	if !l.HasPersonName() {
		reasons = append(reasons, "no_name")
	} else {
		reasons = append(reasons, "no_company_or_address")
	}
	return reasons
}

func usableEmail(l *lead.Lead) bool {
	for _, e := range l.Emails {
		if e.Usable() {
			return true
		}
	}
	// A version-1 lead carries only the flat address.
	return len(l.Emails) == 0 && PlausibleEmail(l.Email)
}

func usablePhone(l *lead.Lead) bool {
	for _, p := range l.Phones {
		if p.Valid || p.Possible {
			return true
		}
	}
	return len(l.Phones) == 0 && digits(l.Phone) >= 7
}

// PlausibleEmail reports whether e passes the e-mail syntax check of spec
// §2.1 and is not on the disposable list.
func PlausibleEmail(e string) bool {
	if e == "" {
		return false
	}
	m := lead.NormalizeEmail(e)
	return m.Valid && !m.Disposable
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
