// Package providers turns the export files of leadstream's nine data
// providers (ten source keys, crm.md §1.1) into canonical rows for the
// import pipeline.
//
// Readers (connectors/csvfile, connectors/jsonfile, connectors/xlsxfile)
// yield RAW rows in the provider's own field names: CSV/XLSX header names,
// or dotted paths into a JSON record ("organization.keywords.0"). A
// declarative Mapping per provider then builds the canonical columns
// (Canonical) from those raw fields. The default mappings are embedded JSON
// files (mappings/<provider>.json, one per source key); a user JSON file can
// override or add rules per provider (LoadSet). Raw fields that no rule used
// are kept in the output under their original name, so nothing is dropped.
//
// Detect picks the provider from an export's header names, and Open and
// Opener sniff a file's format (CSV, JSON, JSON lines, XLSX) and return a
// pipeline.RowSource of canonical rows for pipeline.ImportFile.
package providers

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Source keys, in the default merge precedence of crm.md §1.1.
const (
	Apollo       = "apollo"
	ZoomInfo     = "zoominfo"
	Lusha        = "lusha"
	Seamless     = "seamless"
	UpLead       = "uplead"
	RocketReach  = "rocketreach"
	Lead411      = "lead411"
	Hunter       = "hunter"
	BookYourData = "bookyourdata"
	LeadsBlue    = "leadsblue"
)

// Keys returns the ten provider source keys in precedence order.
func Keys() []string {
	return []string{Apollo, ZoomInfo, Lusha, Seamless, UpLead, RocketReach, Lead411, Hunter, BookYourData, LeadsBlue}
}

// Canonical lists the canonical column names a mapping produces: the
// canonical field table of providers.md §11 in the column names the
// normalize stage reads (internal/lead). provider_id is written as
// record_id (pipeline.ImportFile uses it as the source record id); the HQ
// address goes to the hq_* columns and the person's location to
// street/city/state/postcode/country; revenue is whole USD.
var canonical = []string{
	"record_id", "first_name", "last_name", "full_name", "title", "seniority", "department",
	"email", "email_status", "email_confidence", "personal_email",
	"phone", "mobile_phone", "company_phone", "linkedin_url",
	"company", "domain", "website", "industry", "employee_count", "revenue", "technologies", "founded_year",
	"street", "city", "state", "postcode", "country",
	"hq_street", "hq_city", "hq_state", "hq_postcode", "hq_country", "do_not_contact",
}

// Canonical returns the canonical column names.
func Canonical() []string { return slices.Clone(canonical) }

// reserved holds column names the normalize stage reads as fields (the
// canonical names and their common aliases). A raw field no rule used whose
// name is one of these is passed on as "<provider>.<name>" instead, so an
// unmapped provider column (UpLead "county", say) is never mistaken for a
// canonical one.
var reserved = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range canonical {
		m[c] = true
	}
	for _, a := range strings.Fields(`firstname first given_name lastname surname family_name fullname name
		contact_name email_address work_email business_email emails email_verification phone_number telephone
		phone_type direct_phone work_phone direct_dial mobile cell cell_phone hq_phone corporate_phone job_title
		position management_level company_name organization organisation account_name company_domain
		company_website url website_url address street_address town region province county zip zip_code
		postal_code country_code linkedin person_linkedin_url employees headcount company_size annual_revenue
		revenue_usd tech_stack technology founded year_founded dnc opt_out entity_id`) {
		m[a] = true
	}
	return m
}()

// reservedMax is the length of the longest reserved name.
const reservedMax = 24

//go:embed mappings/*.json
var defaultFiles embed.FS

// Rule says how one canonical column is read from a raw row.
//
// In JSON a rule is a path string, a list of paths (the first that yields a
// value wins), or an object {"paths": [...], "join": ", ", "transforms":
// [...]}. With join set, the values of all paths are joined (duplicates
// dropped) instead.
//
// A path is a CSV/XLSX header name (matched case-insensitively, white space
// collapsed) or a dotted path into a JSON record. In a dotted path "*"
// stands for every array index ("organization.technology_names.*"), and
// "name[key=value]" keeps the elements of array name whose key equals value
// (also "!=", and "~" for contains; case-insensitive), e.g.
// "phones[type=mobile].number". A path may end in a condition on another
// field, "contactPhone1?contactPhone1DataType!=mobile", and in transforms
// after "|" that apply to that path only: "Revenue (in 000s USD)|multiply:1000".
//
// Transforms: trim, lower, upper, strip_quote (a leading "'", as in Apollo
// phones), unescape_slashes ("\/" → "/"), host (a URL's host without
// "www."), last_segment (the text after the last "/"), multiply:N (a
// number; a value that is not one is not used), and join:SEP (joins the
// values of a wildcard path into one, e.g. a [min,max] pair).
type Rule struct {
	Paths      []string `json:"paths"`
	Join       string   `json:"join,omitempty"`
	Transforms []string `json:"transforms,omitempty"`
}

// UnmarshalJSON accepts a string, a list of strings or the object form.
func (r *Rule) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*r = Rule{Paths: []string{s}}
		return nil
	case len(b) > 0 && b[0] == '[':
		var ps []string
		if err := json.Unmarshal(b, &ps); err != nil {
			return err
		}
		*r = Rule{Paths: ps}
		return nil
	}
	type plain Rule
	var p plain
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return err
	}
	*r = Rule(p)
	return nil
}

// Signature describes the header names that identify a provider's export
// (see Detect). Names are matched case-insensitively; a JSON path matches
// a flattened field name or any dotted suffix of one, with array indexes
// written as "*".
type Signature struct {
	// Markers are names only this provider's exports carry; one suffices.
	Markers []string `json:"markers,omitempty"`
	// Fields are names its exports usually carry; at least MinFields of
	// them must be present when no provider's marker is.
	Fields    []string `json:"fields,omitempty"`
	MinFields int      `json:"min_fields,omitempty"`
}

// Mapping is one provider's configuration.
type Mapping struct {
	Provider string `json:"provider"`
	// Note says where the layout comes from (confirmed or assumed).
	Note string `json:"note,omitempty"`
	// Roots are JSON object prefixes tried before each dotted path, for
	// records wrapped in an envelope ({"person": {...}}); the bare path is
	// tried last.
	Roots []string `json:"roots,omitempty"`
	// NullValues are values that mean "missing" (case-insensitive); the
	// default is "N/A", "Not Available", "-", "null".
	NullValues []string        `json:"null_values,omitempty"`
	Signature  Signature       `json:"signature"`
	Fields     map[string]Rule `json:"fields"`

	rules   []compiledRule
	nulls   map[string]bool
	nullMax int
}

type compiledRule struct {
	target string
	join   string
	tf     []transform
	paths  []compiledPath
}

type compiledPath struct {
	text  string
	keys  []string // literal lookups in order (roots, then bare; exact then folded)
	nRoot int      // how many of keys carry a root prefix
	wild  []segment
	roots []string
	cond  *condition
	tf    []transform
	lit   string // literal start of a wildcard path, up to its first "*" or filter
}

type segment struct {
	name   string // literal, or "*" for any index
	filter *condition
}

type condition struct {
	key, op, value string
	keys           []string // for a path condition: rooted, bare and folded keys
}

type transform struct {
	name string
	arg  string
	num  float64
}

// Set is a complete, read-only collection of provider mappings.
type Set struct {
	m map[string]*Mapping
}

// DefaultSet returns the embedded default mappings.
func DefaultSet() (*Set, error) {
	s := &Set{m: make(map[string]*Mapping)}
	for _, key := range Keys() {
		name := "mappings/" + key + ".json"
		b, err := defaultFiles.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("default mapping %s: %w", name, err)
		}
		var m Mapping
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("default mapping %s: %w", name, err)
		}
		if m.Provider != key {
			return nil, fmt.Errorf("default mapping %s: provider is %q, want %q", name, m.Provider, key)
		}
		if err := m.compile(); err != nil {
			return nil, fmt.Errorf("default mapping %s: %w", name, err)
		}
		s.m[key] = &m
	}
	return s, nil
}

// Override is one provider's entry in a user mapping file. Fields replace
// the default rule of the same canonical column, add new columns, or (with
// null) remove a default rule. Roots, NullValues and Signature, when given,
// replace the defaults.
type Override struct {
	Roots      []string         `json:"roots,omitempty"`
	NullValues []string         `json:"null_values,omitempty"`
	Signature  *Signature       `json:"signature,omitempty"`
	Fields     map[string]*Rule `json:"fields"`
}

// LoadSet returns the default mappings with the user file at path (if path
// is not empty) applied on top. The file is a JSON object keyed by source
// key:
//
//	{"apollo": {"fields": {"technologies": {"paths": ["Technologies",
//	  "organization.keywords.*"], "join": ", "}, "industry": null}}}
func LoadSet(path string) (*Set, error) {
	s, err := DefaultSet()
	if err != nil || path == "" {
		return s, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mapping file: %w", err)
	}
	defer f.Close()
	return s.WithOverrides(f, path)
}

// WithOverrides returns a new Set with the overrides read from r (named
// name in errors) applied; s is not changed.
func (s *Set) WithOverrides(r io.Reader, name string) (*Set, error) {
	var ov map[string]Override
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ov); err != nil {
		return nil, fmt.Errorf("mapping file %s: %w", name, err)
	}
	out := &Set{m: maps.Clone(s.m)}
	for _, key := range slices.Sorted(maps.Keys(ov)) {
		o := ov[key]
		base, ok := s.m[key]
		if !ok {
			return nil, fmt.Errorf("mapping file %s: unknown provider %q (known: %s)", name, key, strings.Join(Keys(), ", "))
		}
		m := &Mapping{Provider: key, Note: base.Note, Roots: base.Roots, NullValues: base.NullValues,
			Signature: base.Signature, Fields: maps.Clone(base.Fields)}
		if o.Roots != nil {
			m.Roots = o.Roots
		}
		if o.NullValues != nil {
			m.NullValues = o.NullValues
		}
		if o.Signature != nil {
			m.Signature = *o.Signature
		}
		for col, rule := range o.Fields {
			if !validColumn(col) {
				return nil, fmt.Errorf("mapping file %s: %s: column %q: use lower-case letters, digits and _", name, key, col)
			}
			if rule == nil || len(rule.Paths) == 0 {
				delete(m.Fields, col)
				continue
			}
			m.Fields[col] = *rule
		}
		if err := m.compile(); err != nil {
			return nil, fmt.Errorf("mapping file %s: %s: %w", name, key, err)
		}
		out.m[key] = m
	}
	return out, nil
}

// Mapping returns the mapping of a source key.
func (s *Set) Mapping(provider string) (*Mapping, error) {
	m, ok := s.m[provider]
	if !ok {
		return nil, fmt.Errorf("unknown provider %q (known: %s)", provider, strings.Join(Keys(), ", "))
	}
	return m, nil
}

func validColumn(c string) bool {
	if c == "" {
		return false
	}
	for _, r := range c {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// compile checks the rules and prepares their lookups.
func (m *Mapping) compile() error {
	m.nulls = make(map[string]bool)
	nv := m.NullValues
	if nv == nil {
		nv = []string{"N/A", "Not Available", "-", "null"}
	}
	for _, v := range nv {
		v = strings.ToLower(strings.TrimSpace(v))
		m.nulls[v] = true
		m.nullMax = max(m.nullMax, len(v))
	}
	m.rules = m.rules[:0:0]
	for _, col := range slices.Sorted(maps.Keys(m.Fields)) {
		if !validColumn(col) {
			return fmt.Errorf("field %q: use lower-case letters, digits and _", col)
		}
		r := m.Fields[col]
		cr := compiledRule{target: col, join: r.Join}
		var err error
		if cr.tf, err = parseTransforms(r.Transforms); err != nil {
			return fmt.Errorf("field %s: %w", col, err)
		}
		if len(r.Paths) == 0 {
			return fmt.Errorf("field %s: no paths", col)
		}
		for _, p := range r.Paths {
			cp, err := compilePath(p, m.Roots)
			if err != nil {
				return fmt.Errorf("field %s: path %q: %w", col, p, err)
			}
			cr.paths = append(cr.paths, cp)
		}
		m.rules = append(m.rules, cr)
	}
	return nil
}

func compilePath(p string, roots []string) (compiledPath, error) {
	cp := compiledPath{text: p, roots: roots}
	parts := strings.Split(p, "|")
	var err error
	if cp.tf, err = parseTransforms(parts[1:]); err != nil {
		return cp, err
	}
	expr := strings.TrimSpace(parts[0])
	if i := strings.IndexByte(expr, '?'); i >= 0 {
		c, err := parseCondition(expr[i+1:])
		if err != nil {
			return cp, err
		}
		for _, r := range roots {
			c.keys = append(c.keys, r+"."+c.key)
		}
		c.keys = append(c.keys, c.key, fold(c.key))
		cp.cond = &c
		expr = strings.TrimSpace(expr[:i])
	}
	if expr == "" {
		return cp, errors.New("empty path")
	}
	if !strings.ContainsAny(expr, "*[") {
		for _, r := range roots {
			cp.keys = append(cp.keys, r+"."+expr)
		}
		cp.nRoot = len(roots)
		cp.keys = append(cp.keys, expr)
		folded := fold(expr)
		if folded != expr {
			cp.keys = append(cp.keys, folded)
		}
		return cp, nil
	}
	for s := range strings.SplitSeq(expr, ".") {
		seg := segment{name: s}
		if i := strings.IndexByte(s, '['); i >= 0 {
			if !strings.HasSuffix(s, "]") || i == 0 {
				return cp, fmt.Errorf("bad filter %q: want name[key=value]", s)
			}
			c, err := parseCondition(s[i+1 : len(s)-1])
			if err != nil {
				return cp, err
			}
			seg = segment{name: s[:i], filter: &c}
		}
		cp.wild = append(cp.wild, seg)
	}
	for _, seg := range cp.wild {
		if seg.name == "*" {
			break
		}
		cp.lit += seg.name + "."
		if seg.filter != nil {
			break
		}
	}
	return cp, nil
}

func parseCondition(s string) (condition, error) {
	for _, op := range []string{"!=", "=", "~"} {
		if i := strings.Index(s, op); i > 0 {
			return condition{key: strings.TrimSpace(s[:i]), op: op, value: strings.ToLower(strings.TrimSpace(s[i+len(op):]))}, nil
		}
	}
	return condition{}, fmt.Errorf("bad condition %q: want key=value, key!=value or key~value", s)
}

func parseTransforms(ts []string) ([]transform, error) {
	var out []transform
	for _, t := range ts {
		name, arg, _ := strings.Cut(strings.TrimSpace(t), ":")
		tf := transform{name: name, arg: arg}
		switch name {
		case "trim", "lower", "upper", "strip_quote", "unescape_slashes", "host", "last_segment":
		case "join":
		case "multiply":
			f, err := strconv.ParseFloat(arg, 64)
			if err != nil {
				return nil, fmt.Errorf("transform %q: multiply needs a number", t)
			}
			tf.num = f
		default:
			return nil, fmt.Errorf("unknown transform %q", t)
		}
		out = append(out, tf)
	}
	return out, nil
}

// fold is the case- and space-insensitive form of a header name; the CSV
// and XLSX readers deliver lower-cased, trimmed header names.
func fold(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// Apply maps one raw row to canonical columns. Raw fields that no rule
// used are added under their original name (or "<provider>.<name>" when
// that name is a canonical column or alias). raw is not changed.
func (m *Mapping) Apply(raw map[string]string) map[string]string {
	out := make(map[string]string, len(raw))
	used := make(map[string]bool, len(m.rules))
	var vals, keys, pvBuf, pkBuf []string
	// Wildcard paths only ever match dotted (JSON) names; list them once.
	var dotted []string
	for k := range raw {
		if strings.IndexByte(k, '.') >= 0 {
			dotted = append(dotted, k)
		}
	}
	for i := range m.rules {
		r := &m.rules[i]
		vals = vals[:0]
		keys = keys[:0]
		for j := range r.paths {
			p := &r.paths[j]
			pv, pk := m.lookup(p, raw, dotted, pvBuf[:0], pkBuf[:0])
			pvBuf, pkBuf = pv, pk
			if len(pv) == 0 {
				continue
			}
			var ok bool
			if pv, ok = applyTransforms(p.tf, pv); !ok {
				continue
			}
			if pv, ok = applyTransforms(r.tf, pv); !ok {
				continue
			}
			pv = slices.DeleteFunc(pv, func(s string) bool { return s == "" })
			if len(pv) == 0 {
				continue
			}
			keys = append(keys, pk...)
			if r.join == "" {
				vals = append(vals, pv[0])
				break
			}
			for _, v := range pv {
				if !slices.ContainsFunc(vals, func(x string) bool { return strings.EqualFold(x, v) }) {
					vals = append(vals, v)
				}
			}
		}
		if len(vals) == 0 {
			continue
		}
		out[r.target] = strings.Join(vals, r.join)
		for _, k := range keys {
			used[k] = true
		}
	}
	for k, v := range raw {
		if used[k] || v == "" {
			continue
		}
		name := k
		if len(k) <= reservedMax && reserved[strings.ToLower(strings.TrimSpace(k))] || out[name] != "" {
			name = m.Provider + "." + k
		}
		out[name] = v
	}
	return out
}

// lookup returns the values one path yields and the raw keys they came from.
// The results are appended to vals and keys.
func (m *Mapping) lookup(p *compiledPath, raw map[string]string, dotted, vals, keys []string) ([]string, []string) {
	if p.cond != nil && !m.condHolds(p.cond, "", raw) {
		return vals, keys
	}
	if p.wild == nil {
		lits := p.keys
		if len(dotted) == 0 {
			lits = lits[p.nRoot:] // no dotted names: no root-prefixed ones
		}
		for _, k := range lits {
			if v, ok := raw[k]; ok && !m.null(v) {
				return append(vals, v), append(keys, k)
			}
		}
		return vals, keys
	}
	if len(dotted) == 0 {
		return vals, keys
	}
	for _, root := range p.roots {
		if v, k := m.wildcard(p, root, raw, dotted); len(v) > 0 {
			return append(vals, v...), append(keys, k...)
		}
	}
	v, k := m.wildcard(p, "", raw, dotted)
	return append(vals, v...), append(keys, k...)
}

func (m *Mapping) null(v string) bool {
	v = strings.TrimSpace(v)
	return v == "" || len(v) <= m.nullMax && m.nulls[strings.ToLower(v)]
}

// wildcard matches a path with "*" and filters against the flattened keys
// of raw, in array order.
func (m *Mapping) wildcard(p *compiledPath, root string, raw map[string]string, dotted []string) ([]string, []string) {
	segs := p.wild
	type hit struct {
		idx []int
		key string
	}
	var hits []hit
	prefix := ""
	if root != "" {
		prefix = root + "."
	}
	for _, k := range dotted {
		if !strings.HasPrefix(k, prefix) || !strings.HasPrefix(k[len(prefix):], p.lit) || m.null(raw[k]) {
			continue
		}
		parts := strings.Split(k[len(prefix):], ".")
		idx, ok := matchSegs(segs, parts)
		if !ok {
			continue
		}
		if !m.filtersHold(segs, parts, k[:len(prefix)], raw) {
			continue
		}
		hits = append(hits, hit{idx, k})
	}
	slices.SortFunc(hits, func(a, b hit) int { return slices.Compare(a.idx, b.idx) })
	vals := make([]string, len(hits))
	keys := make([]string, len(hits))
	for i, h := range hits {
		vals[i], keys[i] = raw[h.key], h.key
	}
	return vals, keys
}

// matchSegs matches key parts against the path; a "*" or a filtered
// segment takes a name (for filters) and then an array index.
func matchSegs(segs []segment, parts []string) ([]int, bool) {
	var idx []int
	i := 0
	for _, s := range segs {
		switch {
		case s.name == "*":
			if i >= len(parts) {
				return nil, false
			}
			n, err := strconv.Atoi(parts[i])
			if err != nil {
				return nil, false
			}
			idx = append(idx, n)
			i++
		case s.filter != nil:
			if i+1 >= len(parts) || parts[i] != s.name {
				return nil, false
			}
			n, err := strconv.Atoi(parts[i+1])
			if err != nil {
				return nil, false
			}
			idx = append(idx, n)
			i += 2
		default:
			if i >= len(parts) || parts[i] != s.name {
				return nil, false
			}
			i++
		}
	}
	return idx, i == len(parts)
}

// filtersHold checks each filtered segment against the sibling field of the
// matched element.
func (m *Mapping) filtersHold(segs []segment, parts []string, prefix string, raw map[string]string) bool {
	i := 0
	base := prefix
	for _, s := range segs {
		switch {
		case s.name == "*":
			base += parts[i] + "."
			i++
		case s.filter != nil:
			elem := base + parts[i] + "." + parts[i+1] + "."
			if !m.condHolds(s.filter, elem, raw) {
				return false
			}
			base = elem
			i += 2
		default:
			base += parts[i] + "."
			i++
		}
	}
	return true
}

// condHolds tests a condition on the field prefix+key (or, for a bare
// condition, on the key under each root, then the bare key).
func (m *Mapping) condHolds(c *condition, prefix string, raw map[string]string) bool {
	v, found := "", false
	if prefix != "" {
		v, found = raw[prefix+c.key]
	} else {
		for _, k := range c.keys {
			if v, found = raw[k]; found {
				break
			}
		}
	}
	v = strings.ToLower(strings.TrimSpace(v))
	switch c.op {
	case "=":
		return found && v == c.value
	case "!=":
		return v != c.value
	default:
		return found && strings.Contains(v, c.value)
	}
}

// applyTransforms runs the transforms over the values; false means a value
// could not be converted and the path yields nothing.
func applyTransforms(tfs []transform, vals []string) ([]string, bool) {
	if len(tfs) == 0 {
		return vals, true
	}
	out := slices.Clone(vals)
	for _, t := range tfs {
		if t.name == "join" {
			out = []string{strings.Join(slices.DeleteFunc(out, func(s string) bool { return s == "" }), t.arg)}
			continue
		}
		for i, v := range out {
			switch t.name {
			case "trim":
				v = strings.TrimSpace(v)
			case "lower":
				v = strings.ToLower(v)
			case "upper":
				v = strings.ToUpper(v)
			case "strip_quote":
				v = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), "'"))
			case "unescape_slashes":
				v = strings.ReplaceAll(v, `\/`, "/")
			case "host":
				v = host(v)
			case "last_segment":
				v = strings.TrimRight(strings.TrimSpace(v), "/")
				v = v[strings.LastIndexByte(v, '/')+1:]
			case "multiply":
				f, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(v), ",", ""), 64)
				if err != nil {
					return nil, false
				}
				v = strconv.FormatFloat(f*t.num, 'f', -1, 64)
			}
			out[i] = v
		}
	}
	return out, true
}

func host(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if _, rest, ok := strings.Cut(v, "://"); ok {
		v = rest
	}
	if i := strings.IndexAny(v, "/?#"); i >= 0 {
		v = v[:i]
	}
	if i := strings.LastIndexByte(v, ':'); i >= 0 {
		v = v[:i]
	}
	return strings.TrimPrefix(v, "www.")
}
