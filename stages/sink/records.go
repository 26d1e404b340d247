package sink

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/internal/textsafe"
)

// cfValue is one lead custom field to write: its key ("CF_108") and text.
type cfValue struct{ key, value string }

// fieldDef is a tenant's definition of one of leadstream's custom fields.
type fieldDef struct {
	id      int
	options map[string]int // dropdown text (lower case) → option id
}

// fieldSet holds the resolved lead custom fields, by key.
type fieldSet struct {
	byKey map[string]fieldDef
	byID  map[int]string
}

// leadFields are the CF_1xx fields the sink writes, with their default ids
// (crm.md §5.1: the number in the key). CF_101 is required.
var leadFields = []string{"CF_101", "CF_102", "CF_103", "CF_104", "CF_105", "CF_106", "CF_107", "CF_108", "CF_109", "CF_110", "CF_111", "CF_112", "CF_113"}

func defaultID(key string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(key, "CF_"))
	return n
}

// defaultFieldSet is the dry run's: every field at its default id, no
// dropdown resolution.
func defaultFieldSet() *fieldSet {
	fs := &fieldSet{byKey: map[string]fieldDef{}, byID: map[int]string{}}
	for _, k := range leadFields {
		fs.byKey[k] = fieldDef{id: defaultID(k)}
		fs.byID[defaultID(k)] = k
	}
	return fs
}

// resolveFields checks leadstream's lead fields against the tenant's
// FieldInfo (crm.md §5.1): each configured id must exist; a missing
// required field is fatal, a missing optional one is logged and skipped.
func resolveFields(ctx context.Context, c *halopsa.Client, log *slog.Logger) (*fieldSet, error) {
	fis, err := c.FieldInfos(ctx, halopsa.FieldTypeTickets)
	if err != nil {
		return nil, fmt.Errorf("sink: reading HaloPSA custom fields: %w", err)
	}
	byID := map[int]halopsa.FieldInfo{}
	for _, f := range fis {
		byID[f.ID] = f
	}
	fs := &fieldSet{byKey: map[string]fieldDef{}, byID: map[int]string{}}
	for _, k := range leadFields {
		f, ok := byID[defaultID(k)]
		if !ok {
			if k == "CF_101" {
				return nil, fmt.Errorf("sink: HaloPSA has no ticket custom field %d (%s, required): create it or fix halopsa.custom_fields", defaultID(k), k)
			}
			log.Warn("HaloPSA has no ticket custom field for this optional lead field; it is not written", "field", k, "id", defaultID(k))
			continue
		}
		d := fieldDef{id: f.ID}
		if len(f.Values) > 0 {
			d.options = map[string]int{}
			for _, v := range f.Values {
				d.options[strings.ToLower(v.Name)] = v.ID
			}
		}
		fs.byKey[k] = d
		fs.byID[f.ID] = k
	}
	return fs, nil
}

// values turns lead field values into HaloPSA customfields, dropdown text
// resolved to its option id when the tenant lists options.
func (fs *fieldSet) values(vs []cfValue) []halopsa.CustomField {
	var out []halopsa.CustomField
	for _, v := range vs {
		d, ok := fs.byKey[v.key]
		if !ok || v.value == "" {
			continue
		}
		var val any = textsafe.Cell(v.value)
		if id, ok := d.options[strings.ToLower(v.value)]; ok {
			val = id
		}
		out = append(out, halopsa.CustomField{ID: d.id, Value: val})
	}
	return out
}

// label names a field CustomFieldMismatches reported (its id, or its name
// for a name-form write) by its lead field key, CF_1xx, when known.
func (fs *fieldSet) label(field string) string {
	if id, err := strconv.Atoi(field); err == nil {
		if k, ok := fs.byID[id]; ok {
			return k
		}
	}
	return field
}

// cfValues maps written customfields back to key → value text.
func cfValues(cfs []halopsa.CustomField, fs *fieldSet) map[string]string {
	out := make(map[string]string, len(cfs))
	for _, c := range cfs {
		if k, ok := fs.byID[c.ID]; ok {
			out[k] = fmt.Sprint(c.Value)
		}
	}
	return out
}

// ticketCFs are a lead's CF_1xx values (crm.md §5.2); only derived values,
// never filler. CF_105 is written by the suppression path only.
func (p *processor) ticketCFs(l *lead.Lead) []cfValue {
	var out []cfValue
	addv := func(k, v string) {
		if v != "" {
			out = append(out, cfValue{k, v})
		}
	}
	addv("CF_102", l.Industry)
	// CF_101 is required (crm.md §5.2): a provider's name, else the label
	// of canonical files.
	source := p.stage.opts.ImportSourceLabel
	if cf := l.CustomFields; cf != nil && cf.LeadSource != "" {
		source = cf.LeadSource
	}
	addv("CF_101", source)
	if cf := l.CustomFields; cf != nil {
		addv("CF_103", cf.GrowthSignals)
		addv("CF_104", cf.ProjectPipelines)
		addv("CF_106", cf.TechnologyStack)
		addv("CF_107", cf.RevenueRange)
		addv("CF_108", cf.EmployeeRange)
		addv("CF_109", cf.ManagementLevel)
		addv("CF_110", cf.Department)
		addv("CF_111", cf.IntentSignals)
		if cf.FoundedYear > 0 {
			addv("CF_112", strconv.Itoa(cf.FoundedYear))
		}
		addv("CF_113", cf.LocationHQ)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// clientBody is the Client create of crm.md §6.2, with the HQ address
// seeding the main site (so no separate Site call is needed).
func (p *processor) clientBody(name string, l *lead.Lead, fallback bool) map[string]any {
	b := map[string]any{"name": name}
	if fallback {
		b["notes"] = "Created by leadstream for contacts without a company"
		return textsafe.Body(b)
	}
	website := l.Website
	if d := lead.RegistrableDomain(l.Domain); website == "" && d != "" {
		website = "https://" + d
	}
	setIf(b, "website", website)
	setIf(b, "main_phonenumber", phoneOf(l, lead.PhoneCompany))
	b["notes"] = fmt.Sprintf("Created by leadstream from %s on %s", sourceName(l), p.stage.opts.Now().UTC().Format("2006-01-02"))
	if a, ok := siteAddress(l); ok {
		b["newclient_sitename"] = "Head Office"
		if l.IsOrganisation() {
			b["newclient_sitename"] = siteName(l)
		}
		b["newclient_delivery_address"] = addressBody(a)
	}
	return textsafe.Body(b, "main_phonenumber")
}

// siteAddress is the address a lead's Site has: an organisation record's
// own address (the site it is), else the head office.
func siteAddress(l *lead.Lead) (lead.Address, bool) {
	if l.IsOrganisation() {
		a := lead.Address{Street: l.Street, City: l.City, State: l.State, Postcode: l.Postcode, Country: l.Country}
		if a.Street != "" || a.City != "" || a.Postcode != "" {
			return a, true
		}
	}
	if a := l.HQ; a != nil && (a.Street != "" || a.City != "" || a.Postcode != "") {
		return *a, true
	}
	return lead.Address{}, false
}

// addressBody is a HaloPSA AddressStore: street, city, state, country and
// postcode, as the sink matches Sites by (line1, line2, postcode).
func addressBody(a lead.Address) map[string]any {
	addr := map[string]any{}
	setIf(addr, "line1", a.Street)
	setIf(addr, "line2", a.City)
	setIf(addr, "line3", a.State)
	if a.Country != "" {
		addr["line4"] = lead.CountryName(a.Country)
	}
	setIf(addr, "postcode", a.Postcode)
	return addr
}

// siteName names an organisation lead's Site: its city and street
// ("Bristol, 7 Quay Street"), else "Head Office".
func siteName(l *lead.Lead) string {
	a, _ := siteAddress(l)
	var parts []string
	for _, s := range []string{a.City, a.Street} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return "Head Office"
	}
	return strings.Join(parts, ", ")
}

// siteBody is the Site create of an organisation lead at a Client it did
// not make (halopsa.md §3.4).
func (p *processor) siteBody(it *item) map[string]any {
	l := it.in.Lead
	b := map[string]any{"client_id": it.m.ClientID, "name": siteName(l)}
	if a, ok := siteAddress(l); ok {
		b["delivery_address"] = addressBody(a)
	}
	ph := phoneOf(l, lead.PhoneCompany)
	if ph == "" {
		ph = l.Phone
	}
	setIf(b, "phonenumber", ph)
	return textsafe.Body(b, "phonenumber")
}

// userBody is the Users record of crm.md §6.3.
func (p *processor) userBody(l *lead.Lead, m mapping) map[string]any {
	b := map[string]any{}
	setIf(b, "firstname", l.FirstName)
	setIf(b, "surname", l.LastName)
	setIf(b, "name", personName(l))
	setIf(b, "emailaddress", l.Email)
	// The direct number (crm.md §6.3), else a primary number of unknown
	// kind; never the company's main number, which is the Client's.
	direct := phoneOf(l, lead.PhoneDirect)
	if direct == "" && l.Phone != "" && l.Phone == phoneOf(l, lead.PhoneOther) {
		direct = l.Phone
	}
	setIf(b, "phonenumber", direct)
	setIf(b, "mobilenumber", phoneOf(l, lead.PhoneMobile))
	setIf(b, "title", l.Title)
	if m.ClientID != 0 {
		b["client_id"] = m.ClientID
	}
	if m.SiteID != 0 {
		b["site_id"] = m.SiteID
	}
	return textsafe.Body(b, "phonenumber", "mobilenumber")
}

// ticketBody is the lead ticket of crm.md §6.4, and the custom fields in it.
func (p *processor) ticketBody(it *item) (map[string]any, []halopsa.CustomField) {
	l := it.in.Lead
	o := p.stage.opts
	summary := personName(l)
	if c := orgName(l, it.m.OrgKey); c != "" {
		summary += " - " + c
	}
	if l.IsOrganisation() {
		summary = orgName(l, it.m.OrgKey) + " - " + siteName(l)
	}
	cfs := p.fields.values(p.ticketCFs(l))
	b := map[string]any{
		"tickettype_id": o.LeadTicketTypeID,
		"summary":       summary,
		"details": fmt.Sprintf("Lead imported from %s on %s %s", sourceName(l), o.Now().UTC().Format("2006-01-02"),
			lead.TicketRef(it.in.LeadID, it.in.Key)),
		"status_id":   o.NewStatusID,
		"priority_id": o.PriorityID,
		"client_id":   it.m.ClientID,
	}
	if it.m.UserID != 0 {
		b["user_id"] = it.m.UserID
	}
	if it.m.SiteID != 0 {
		b["site_id"] = it.m.SiteID
	}
	textsafe.Body(b)
	if len(cfs) > 0 {
		b["customfields"] = cfs
	}
	return b, cfs
}

// fillEmpty returns the string fields of desired that leadstream never
// wrote (or wrote empty) and that are not person-owned (crm.md §7.5).
func fillEmpty(desired map[string]any, last map[string]string, owned func(string) bool) map[string]any {
	out := map[string]any{}
	for k, v := range desired {
		s, ok := v.(string)
		if !ok || s == "" || last[k] != "" || owned(k) {
			continue
		}
		out[k] = s
	}
	return out
}

// stringFields keeps the string values of a body.
func stringFields(b map[string]any) map[string]string {
	out := make(map[string]string, len(b))
	for k, v := range b {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

func setIf(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

// phoneOf is the first valid number of a kind, in E.164.
func phoneOf(l *lead.Lead, kind string) string {
	for _, ph := range l.Phones {
		if ph.Kind == kind && ph.Valid && ph.E164 != "" {
			return ph.E164
		}
	}
	return ""
}

// personName is the Users name: the full name, else first + last, else
// the e-mail address.
func personName(l *lead.Lead) string {
	switch {
	case l.FullName != "":
		return l.FullName
	case l.FirstName != "" || l.LastName != "":
		return strings.TrimSpace(l.FirstName + " " + l.LastName)
	default:
		return l.Email
	}
}

// orgName is the Client name: the company, else the domain of its
// organisation key.
func orgName(l *lead.Lead, org string) string {
	if l.Company != "" {
		return l.Company
	}
	if strings.HasPrefix(org, "d:") {
		return org[2:]
	}
	return ""
}

// sourceName is the display name of the lead's first source.
func sourceName(l *lead.Lead) string {
	if l.CustomFields != nil && l.CustomFields.LeadSource != "" {
		return l.CustomFields.LeadSource
	}
	if l.FirstSource != "" {
		return l.FirstSource
	}
	return "an import"
}
