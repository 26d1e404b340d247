package match

import (
	"slices"
	"strings"
)

// Prepared is a record with its comparison forms (name and address match
// forms, e-mail parts) computed once. A store that offers the same
// candidate records to many incoming records keeps them prepared, so
// that Decide does not recompute the forms of every candidate each time.
// A Prepared is read-only and may be shared.
type Prepared struct {
	rec Record
	p   prep
}

// Prepare returns r with its comparison forms.
func Prepare(r Record) *Prepared {
	x := &Prepared{rec: r}
	x.p = prepare(&x.rec)
	return x
}

// Record returns the prepared record.
func (x *Prepared) Record() Record { return x.rec }

// prepared returns the comparison forms of c.Record: c.Prepared's when
// set (a copy, so that per-pair memos stay with the pair), else computed.
func (c *Candidate) prepared() prep {
	if c.Prepared != nil {
		return c.Prepared.p
	}
	return prepare(&c.Record)
}

// record returns the candidate's record: Prepared's when set.
func (c *Candidate) record() *Record {
	if c.Prepared != nil {
		return &c.Prepared.rec
	}
	return &c.Record
}

// SetOrganisationID sets the organisation the record's lead belongs to
// (Record.OrgID), once its lead is decided.
func (x *Prepared) SetOrganisationID(id string) { x.rec.OrgID = id }

// IsOrganisation reports Record().Organisation without copying the record.
func (x *Prepared) IsOrganisation() bool { return x.rec.Organisation }

// EmailKey returns Record().Email without copying the record.
func (x *Prepared) EmailKey() string { return x.rec.Email }

// Thin reports whether the record is thin: a full person name and a city
// and nothing else (Config.ThinRecordsByCity).
func (x *Prepared) Thin() bool { return x.p.thin() }

// SiteForm is what tells an organisation record's spelling and site
// apart from another's: its name's core tokens in order, postcode, street
// and phone ("" for a person record). Two records of one lead with the
// same form add nothing to each other as match records.
func (x *Prepared) SiteForm() string {
	if !x.rec.Organisation {
		return ""
	}
	toks := slices.Clone(x.p.org)
	slices.Sort(toks)
	return strings.Join(toks, " ") + "|" + x.p.postcode + "|" + x.p.street + "|" + x.rec.Phone
}
