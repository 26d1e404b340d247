package dedupe

import (
	"maps"
	"slices"
	"strings"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
	"github.com/leadstream/leadstream/stages/dedupe/match"
	"github.com/leadstream/leadstream/stages/validate"
)

// Sites of person records (issue 12). A person record that names its
// company and places it — a domain, website, address or phone, the test
// that makes a company-only record an organisation record, applied to the
// record without its person — is also given its site: its organisation
// part (see organisationPart) is matched against the organisation leads
// exactly as an organisation record would be (match.DecideOrganisation).
// A site found is the record's site; none found, the organisation part is
// filed as a new organisation lead (a site, whose organisation is the one
// matched, else itself), in the partition's state and the view, so later
// organisation and person records find it. The person decision is not
// changed: one person seen at two sites is one lead that keeps both
// (lead.Lead.Sites), and the sites are never merged because of it.
//
// The site is decided once, by the partition that first decides the
// record, and remembered with the record's decision (decision.Site): a
// replay repeats it, a record routed to another partition's lead carries
// it (pipeline.Envelope.Site) and the owner takes it as it is, and a
// record held for review keeps it until a person decides. A new site
// made there belongs to that partition, under the key the record arrived
// with, as a new organisation lead of an organisation record would.
//
// Only organisation blocking keys are looked up for it (domain, phone,
// name words), and only organisation leads are scored.

// siteSourceSuffix marks the source of a site made from a person record:
// the record's source key plus this suffix names the site's first record
// (and seeds its lead id).
const siteSourceSuffix = "#site"

// recordSite returns the site of a person record, deciding it when no
// earlier decision did: nil for organisation records and records without
// organisation site data. prior is the record's earlier decision (seen),
// routedTo the lead another partition routed it to ("" when not routed).
func (p *Processor) recordSite(in *pipeline.Envelope, rec *match.Record, prior *decision, seen bool, routedTo string) (*lead.Site, error) {
	switch {
	case rec.Organisation:
		return nil, nil
	case routedTo != "" && in.Site != nil:
		// Decided by the partition that routed it.
		return &lead.Site{LeadID: in.Site.LeadID, OrganisationID: in.Site.OrganisationID}, nil
	case seen && prior.Site != nil:
		// Decided when the record was first held for review.
		return prior.Site, nil
	}
	part := organisationPart(in.Lead)
	if part == nil {
		return nil, nil
	}
	return p.decideSite(in, part, routedTo)
}

// decideSite finds or makes the site of organisation part part of record
// in.
func (p *Processor) decideSite(in *pipeline.Envelope, part *lead.Lead, routedTo string) (*lead.Site, error) {
	rec := Record(part)
	if p.sites == nil {
		p.sites = newGenCache[string, lead.Site](maxCachedSites)
	}
	ck := siteCacheKey(&rec)
	if s, ok := p.sites.get(ck); ok {
		return &s, nil
	}
	s, err := p.findOrFileSite(in, part, rec, routedTo)
	if err != nil {
		return nil, err
	}
	p.sites.put(ck, *s)
	return s, nil
}

// maxSiteCandidates bounds the leads scored for a person record's site:
// fewer than for a record's own decision, since every B2B person record
// asks, and the leads sharing its domain or phone (or most name words)
// come first.
const maxSiteCandidates = 8

// maxCachedSites is how many organisation parts' sites each generation of
// the site cache holds. Records of one site repeat its organisation part
// (a list export, a provider's people search), and each repeat is then
// answered without a lookup.
const maxCachedSites = 64 << 10

// siteCacheKey is the identity of an organisation part for the site
// cache: every field the organisation decision reads.
func siteCacheKey(r *match.Record) string {
	return strings.Join([]string{r.CompanyName, r.Domain, r.Phone, r.Street, r.City, r.Postcode, r.State, r.Country}, "\x1f")
}

// findOrFileSite decides the site of organisation part part (match
// record rec) of record in: a known site, or a new one filed.
func (p *Processor) findOrFileSite(in *pipeline.Envelope, part *lead.Lead, rec match.Record, routedTo string) (*lead.Site, error) {
	prep := match.Prepare(rec)
	keys := prep.Keys()
	p.limit = maxSiteCandidates
	cands, err := p.candidates(rec, keys)
	p.limit = 0
	if err != nil {
		return nil, err
	}
	od := match.DecideOrganisation(prep, cands)
	found := od.Site
	if found == "" {
		found = od.Org
	}
	org := organisationIn(cands, found)
	clear(cands) // the buffer is reused; let go of the records
	if org == "" && found != "" {
		if org, err = p.organisationOf(found); err != nil {
			return nil, err
		}
	}
	if od.Site != "" {
		if !p.lostSite(od.Site) {
			return &lead.Site{LeadID: od.Site, OrganisationID: org}, nil
		}
		if org == od.Site {
			org = "" // it was its own organisation: so is the site filed again
		}
	}
	src := in.Source.Key() + siteSourceSuffix
	id := lead.NewID("ld_", in.FirstSeen, src)
	if org == "" {
		org = id
	}
	st := leadState{Key: p.arrivalKey(in, routedTo), Lead: *siteLead(in.Lead, part)}
	st.Lead.OrganisationID = org
	st.Lead.QualityScore, _ = validate.Quality(&st.Lead)
	prep.SetOrganisationID(org)
	if p.global != nil {
		p.table.Put(keyRoute+id, []byte(st.Key))
	}
	if err := p.file(id, &st, prep, keys, src); err != nil {
		return nil, err
	}
	return &lead.Site{LeadID: id, OrganisationID: org}, nil
}

// lostSite reports whether site id is one the view names for this
// partition but its state does not have: the view outlived a rolled-back
// batch (docs/dedupe-global-view.md, races). The record then files its
// site again (under the same id, when it is the record that made it).
func (p *Processor) lostSite(id string) bool {
	if p.global == nil {
		return false
	}
	part, _, ok := p.global.owner(id)
	return ok && part == p.partition && !p.hasLead(id)
}

// organisationIn is the organisation of lead id as its candidate records
// carry it ("" when they do not): reading it there spares reading the
// lead.
func organisationIn(cands []match.Candidate, id string) string {
	if id == "" {
		return ""
	}
	for i := range cands {
		if cands[i].LeadID == id && cands[i].Record.OrgID != "" {
			return cands[i].Record.OrgID
		}
	}
	return ""
}

// arrivalKey is the partition key that brought record in to this
// partition: its own, or that of the lead it was routed to.
func (p *Processor) arrivalKey(in *pipeline.Envelope, routedTo string) string {
	if routedTo != "" && p.global != nil {
		if _, key, ok := p.global.owner(routedTo); ok && key != "" {
			return key
		}
	}
	return in.Lead.PartitionKey()
}

// organisationPart is the organisation site a person record gives — its
// company, domain, website, address, country and a phone that may be the
// site's — as an organisation record would (lead.IsOrganisation), or nil
// when the record is no person with a company, or the company is given
// with nothing to reach or place it by (validate.OrganisationContact).
// It carries only what matching reads.
func organisationPart(l *lead.Lead) *lead.Lead {
	if l == nil || l.Company == "" || !l.HasPersonName() {
		return nil
	}
	o := &lead.Lead{
		Company: l.Company, CompanyKey: l.CompanyKey, Domain: l.Domain, Website: l.Website,
		Street: l.Street, City: l.City, State: l.State, Postcode: l.Postcode, Country: l.Country,
	}
	if ph, ok := sitePhone(l); ok {
		o.Phones = []lead.Phone{ph}
		if ph.Valid {
			o.Phone = ph.E164
		}
	}
	if !validate.OrganisationContact(o) {
		return nil
	}
	return o
}

// sitePhone is the number of a person record that may be its site's: a
// company number, else the primary number unless it is a mobile (a
// mobile is the person's own), else the first other number that is no
// mobile, valid or not, as an organisation record's number counts (see
// Record).
func sitePhone(l *lead.Lead) (lead.Phone, bool) {
	for _, ph := range l.Phones {
		if ph.Kind == lead.PhoneCompany {
			return ph, true
		}
	}
	if l.Phone != "" {
		for _, ph := range l.Phones {
			if ph.E164 == l.Phone && ph.Kind != lead.PhoneMobile {
				return ph, true
			}
		}
	}
	for _, ph := range l.Phones {
		if ph.Kind != lead.PhoneMobile {
			return ph, true
		}
	}
	if len(l.Phones) == 0 && l.Phone != "" {
		return lead.Phone{E164: l.Phone, Valid: true}, true
	}
	return lead.Phone{}, false
}

// personAttributes are the provenance attributes of the person, which a
// site made from a person record does not take.
var personAttributes = []string{"first_name", "last_name", "full_name", "name_affix", "email", "email_status",
	"title", "seniority_raw", "department_raw", "linkedin_url", "do_not_contact", "phone"}

// siteLead is the organisation lead a new site made from person record l
// (organisation part part) starts as: the organisation attributes of the
// record, its address and site phone, and their provenance.
func siteLead(l, part *lead.Lead) *lead.Lead {
	s := *part
	s.V = l.V
	s.Industry, s.EmployeeCount, s.RevenueUSD = l.Industry, l.EmployeeCount, l.RevenueUSD
	s.Technologies, s.FoundedYear, s.HQ = slices.Clone(l.Technologies), l.FoundedYear, l.HQ
	s.UpcomingTechnologies, s.JobPostings = slices.Clone(l.UpcomingTechnologies), slices.Clone(l.JobPostings)
	s.FundingEvents, s.Growth, s.Intent = slices.Clone(l.FundingEvents), l.Growth, slices.Clone(l.Intent)
	s.FirstSource = l.FirstSource
	if len(l.Provenance) > 0 {
		s.Provenance = maps.Clone(l.Provenance)
		for _, a := range personAttributes {
			delete(s.Provenance, a)
		}
		if len(s.Phones) == 1 {
			v := s.Phones[0].E164
			if v == "" {
				v = s.Phones[0].Raw
			}
			for _, o := range l.Provenance["phone"] {
				if o.Value == v {
					s.Provenance["phone"] = []lead.Observation{o}
				}
			}
		}
	}
	return &s
}

// siteOnRecord is site s as record l gives it, for the record's envelope
// (nil when s is).
func siteOnRecord(s *lead.Site, l *lead.Lead) *lead.Site {
	if s == nil {
		return nil
	}
	out := &lead.Site{LeadID: s.LeadID, OrganisationID: s.OrganisationID}
	if part := organisationPart(l); part != nil {
		out.Company = part.Company
		out.Phone = part.Phone
		if len(part.Phones) == 1 && out.Phone == "" {
			out.Phone = part.Phones[0].Raw
		}
		if a := (lead.Address{Street: part.Street, City: part.City, State: part.State, Postcode: part.Postcode, Country: part.Country}); a != (lead.Address{}) {
			out.Address = &a
		}
	}
	return out
}

// addSite records on person lead l that it was seen at site s (nil: none).
func addSite(l *lead.Lead, s *lead.Site) {
	if s != nil {
		l.AddSite(*s)
	}
}
