package halosandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

type table struct {
	next int
	rows map[int]*record
}

type cfValue struct {
	value   any
	display string
}

type record struct {
	id      int
	f       map[string]any
	cf      map[int]cfValue
	opp     bool
	updated time.Time
}

const haloTime = "2006-01-02T15:04:05.000Z"

func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request, parts []string, body []byte) {
	s.mu.Lock()
	s.stats.APIRequests++
	var tok *token
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		tok = s.tokens[strings.TrimSpace(h[7:])]
	}
	var clientID string
	var tokOK bool
	var scopes map[string]bool
	if tok != nil {
		clientID = tok.clientID
		tokOK = !tok.revoked && time.Now().Before(tok.expiry)
		scopes = tok.scopes
	}
	s.mu.Unlock()

	if !s.admit(w, s.rateKey(clientID)) {
		return
	}
	res := strings.ToLower(parts[0])
	if res == "authinfo" && len(parts) == 1 {
		writeJSON(w, 200, map[string]any{"auth_url": "http://" + r.Host + "/auth", "tenant_id": s.opts.Tenant})
		return
	}
	if !tokOK {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	write := r.Method != http.MethodGet
	if s.opts.EnforceScopes && !scopeAllows(scopes, scopeFor(res), write) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	e := entities[res]
	if f, ok := s.nextFault(res, r.Method); ok {
		if f.Commit && e != nil && len(parts) == 1 && r.Method == http.MethodPost && isJSONContentType(r.Header.Get("Content-Type")) {
			s.upsert(&discardWriter{}, e, body)
		}
		s.answerFault(w, f)
		return
	}

	_, ro := readOnly[res]
	if e == nil && !ro {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	q := lowerQuery(r.URL.Query())
	switch {
	case len(parts) == 1 && r.Method == http.MethodGet:
		if e != nil {
			s.list(w, e, q)
		} else {
			s.listReadOnly(w, res, q)
		}
	case len(parts) == 1 && r.Method == http.MethodPost:
		if e == nil {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		if !isJSONContentType(r.Header.Get("Content-Type")) {
			writeJSON(w, http.StatusUnsupportedMediaType, map[string]any{
				"type": "https://tools.ietf.org/html/rfc7231#section-6.5.13", "title": "Unsupported Media Type", "status": 415})
			return
		}
		s.upsert(w, e, body)
	case len(parts) == 2 && (r.Method == http.MethodGet || r.Method == http.MethodDelete):
		id, err := strconv.Atoi(parts[1])
		if err != nil {
			writeJSON(w, 400, map[string][]string{"id": {fmt.Sprintf("The value '%s' is not valid.", parts[1])}})
			return
		}
		if e == nil {
			if r.Method == http.MethodGet {
				s.getReadOnly(w, res, id)
			} else {
				w.WriteHeader(http.StatusMethodNotAllowed)
			}
			return
		}
		if r.Method == http.MethodGet {
			s.get(w, e, id)
		} else {
			s.delete(w, e, id)
		}
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

func scopeAllows(scopes map[string]bool, area string, write bool) bool {
	if scopes["all"] || scopes["all:standard"] || scopes["admin"] || area == "" {
		return true
	}
	if scopes["edit:"+area] {
		return true
	}
	return !write && scopes["read:"+area]
}

func lowerQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		lk := strings.ToLower(k)
		out[lk] = append(out[lk], v...)
	}
	return out
}

// ---- reads -----------------------------------------------------------------

func (s *Server) get(w http.ResponseWriter, e *entity, id int) {
	s.mu.Lock()
	rec, ok := s.tables[e.table].rows[id]
	var out map[string]any
	if ok {
		out = s.render(e, rec, true, nil)
	}
	s.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	writeJSON(w, 200, out)
}

func (s *Server) delete(w http.ResponseWriter, e *entity, id int) {
	s.mu.Lock()
	rec, ok := s.tables[e.table].rows[id]
	var out map[string]any
	if ok {
		out = s.render(e, rec, true, nil)
		delete(s.tables[e.table].rows, id)
	}
	s.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	writeJSON(w, 200, out)
}

// render returns the JSON form of a record: the full object (GET by id,
// write echo) or a reduced list row with exactly the custom fields in cfs.
func (s *Server) render(e *entity, r *record, full bool, cfs []int) map[string]any {
	out := map[string]any{"id": r.id}
	if full {
		for k, v := range r.f {
			out[k] = v
		}
	} else {
		for _, k := range e.listFields {
			if v, ok := r.f[k]; ok {
				out[k] = v
			}
		}
	}
	if e.typeID == 0 {
		return out
	}
	if full {
		arr := []map[string]any{}
		for _, fi := range s.opts.Seed.FieldInfo {
			if fi.TypeID == e.typeID {
				arr = append(arr, cfJSON(fi, r.cf))
			}
		}
		out["customfields"] = arr
	} else if cfs != nil {
		arr := []map[string]any{}
		for _, id := range cfs {
			for _, fi := range s.opts.Seed.FieldInfo {
				if fi.ID == id && fi.TypeID == e.typeID {
					arr = append(arr, cfJSON(fi, r.cf))
				}
			}
		}
		out["customfields"] = arr
	}
	return out
}

func cfJSON(fi FieldInfo, vals map[int]cfValue) map[string]any {
	v, ok := vals[fi.ID]
	val, disp := any(""), ""
	if ok {
		val, disp = v.value, v.display
	}
	return map[string]any{"id": fi.ID, "name": fi.Name, "label": fi.Label, "type": fi.Type, "value": val, "display": disp}
}

func (s *Server) list(w http.ResponseWriter, e *entity, q url.Values) {
	s.mu.Lock()
	rows := s.filter(e, q)
	orderRows(rows, q.Get("order"), isTrue(q.Get("orderdesc")))
	total := len(rows)
	var cfs []int
	if v := q.Get("include_custom_fields"); v != "" {
		cfs = []int{}
		for _, p := range strings.Split(v, ",") {
			if id, err := strconv.Atoi(strings.TrimSpace(p)); err == nil {
				cfs = append(cfs, id)
			}
		}
	}
	env := map[string]any{}
	switch {
	case isTrue(q.Get("pageinate")):
		page := atoiDefault(q.Get("page_no"), 1)
		if page < 1 {
			page = 1
		}
		size := atoiDefault(q.Get("page_size"), 50)
		if size < 1 {
			size = 50
		}
		if e.table == "faults" && size > 100 {
			size = 100
		}
		start := min((page-1)*size, total)
		rows = rows[start:min(start+size, total)]
		env["page_no"], env["page_size"], env["record_count"] = page, size, total
	case q.Get("count") != "":
		n := atoiDefault(q.Get("count"), total)
		rows = rows[:max(0, min(n, total))]
		env["record_count"] = len(rows)
	default:
		env["record_count"] = total
	}
	out := make([]map[string]any, 0, len(rows))
	// Client rows carry the website only when asked for (as HaloPSA does).
	dropWebsite := e.name == "Client" && !isTrue(q.Get("include_website"))
	// Site rows carry their addresses only when asked for (includeaddress).
	addAddress := e.name == "Site" && isTrue(q.Get("includeaddress"))
	for _, r := range rows {
		row := s.render(e, r, false, cfs)
		if dropWebsite {
			delete(row, "website")
		}
		if addAddress {
			for _, k := range []string{"delivery_address", "invoice_address"} {
				if v, ok := r.f[k]; ok {
					row[k] = v
				}
			}
		}
		out = append(out, row)
	}
	s.mu.Unlock()
	env[e.key] = out
	writeJSON(w, 200, env)
}

// filter returns the records of e matching q. Caller holds s.mu.
func (s *Server) filter(e *entity, q url.Values) []*record {
	includeInactive := isTrue(q.Get("includeinactive")) || q.Get("activeinactive") != ""
	search := strings.ToLower(strings.TrimSpace(q.Get("search")))
	searchCols := e.search
	if e.name == "Users" && isTrue(q.Get("search_phonenumbers")) {
		searchCols = append(append([]string(nil), searchCols...), "phonenumber", "mobilenumber")
	}
	intFilters := map[string]string{"client_id": "client_id", "site_id": "site_id", "user_id": "user_id",
		"status_id": "status_id", "requesttype_id": "tickettype_id", "toplevel_id": "toplevel_id",
		"ticket_id": "ticket_id", "agent_id": "agent_id", "ticketid": "ticketid"}
	var from, to time.Time
	if v := q.Get("lastupdatefromdate"); v != "" {
		from, _ = parseTime(v)
	}
	if v := q.Get("lastupdatetodate"); v != "" {
		to, _ = parseTime(v)
	}
	var out []*record
rows:
	for _, r := range s.tables[e.table].rows {
		if e.table == "faults" && r.opp != (e.name == "Opportunities") {
			continue
		}
		if _, has := e.fields["inactive"]; has && !includeInactive && r.f["inactive"] == true {
			continue
		}
		if search != "" {
			hit := false
			for _, c := range searchCols {
				if sv, ok := r.f[c].(string); ok && strings.Contains(strings.ToLower(sv), search) {
					hit = true
					break
				}
			}
			if e.table == "faults" && strconv.Itoa(r.id) == search {
				hit = true
			}
			if !hit {
				continue
			}
		}
		for _, c := range []string{"summary", "details", "oppcompanyname", "oppcontactname", "oppemailaddress"} {
			if v := q.Get("search_" + c); v != "" {
				sv, _ := r.f[c].(string)
				if !strings.Contains(strings.ToLower(sv), strings.ToLower(v)) {
					continue rows
				}
			}
		}
		for param, field := range intFilters {
			v := q.Get(param)
			if v == "" {
				continue
			}
			if _, has := e.fields[field]; !has {
				continue
			}
			want, err := strconv.ParseFloat(v, 64)
			if err != nil || toFloat(r.f[field]) != want {
				continue rows
			}
		}
		if e.table == "faults" && (isTrue(q.Get("open_only")) || isTrue(q.Get("closed_only"))) {
			closed := s.statusClosed(int(toFloat(r.f["status_id"])))
			if isTrue(q.Get("open_only")) && closed || isTrue(q.Get("closed_only")) && !closed {
				continue
			}
		}
		if !from.IsZero() && r.updated.Before(from) || !to.IsZero() && r.updated.After(to) {
			continue
		}
		out = append(out, r)
	}
	return out
}

func (s *Server) statusClosed(id int) bool {
	for _, st := range s.opts.Seed.Statuses {
		if st.ID == id {
			return st.Closed
		}
	}
	return false
}

func orderRows(rows []*record, field string, desc bool) {
	field = strings.ToLower(field)
	less := func(a, b *record) int {
		if field == "" || field == "id" {
			return a.id - b.id
		}
		av, bv := a.f[field], b.f[field]
		as, aok := av.(string)
		bs, bok := bv.(string)
		if aok || bok {
			if c := strings.Compare(strings.ToLower(as), strings.ToLower(bs)); c != 0 {
				return c
			}
		} else if fa, fb := toFloat(av), toFloat(bv); fa != fb {
			if fa < fb {
				return -1
			}
			return 1
		}
		return a.id - b.id
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if desc {
			return less(rows[j], rows[i]) < 0
		}
		return less(rows[i], rows[j]) < 0
	})
}

func (s *Server) listReadOnly(w http.ResponseWriter, res string, q url.Values) {
	seed := s.opts.Seed
	switch res {
	case "tickettype":
		out := []TicketType{}
		dom := strings.ToLower(q.Get("domain"))
		for _, t := range seed.TicketTypes {
			if dom == "" || strings.EqualFold(t.Use, dom) {
				out = append(out, t)
			}
		}
		writeJSON(w, 200, out)
	case "status":
		out := []Status{}
		tt := atoiDefault(q.Get("tickettype_id"), 0)
		typ := atoiDefault(q.Get("type"), 0)
		for _, st := range seed.Statuses {
			if tt != 0 && len(st.TicketTypeIDs) > 0 && !containsInt(st.TicketTypeIDs, tt) {
				continue
			}
			if typ != 0 && st.Type != typ {
				continue
			}
			out = append(out, st)
		}
		writeJSON(w, 200, out)
	case "fieldinfo":
		out := []FieldInfo{}
		typeID := atoiDefault(q.Get("typeid"), 0)
		withValues := isTrue(q.Get("includevalues"))
		for _, f := range seed.FieldInfo {
			if typeID != 0 && f.TypeID != typeID {
				continue
			}
			if !withValues {
				f.Values = nil
			}
			out = append(out, f)
		}
		writeJSON(w, 200, out)
	case "lookup":
		id := q.Get("lookupid")
		if id == "" {
			writeJSON(w, 400, "lookupid must be specified")
			return
		}
		n := atoiDefault(id, -1)
		out := []Lookup{}
		for _, l := range seed.Lookups {
			if l.LookupID == n {
				out = append(out, l)
			}
		}
		writeJSON(w, 200, out)
	case "toplevel":
		writeJSON(w, 200, map[string]any{"record_count": len(seed.TopLevels), "tree": seed.TopLevels})
	case "webhook":
		s.mu.Lock()
		out := make([]map[string]any, 0, len(s.webhooks))
		for _, h := range s.webhooks {
			out = append(out, map[string]any{"id": h.ID, "name": h.Name, "url": h.URL, "method": 1, "content_type": "application/json",
				"payload_type": int(h.PayloadType), "batch": h.Batch})
		}
		s.mu.Unlock()
		writeJSON(w, 200, out)
	case "webhookevent":
		s.mu.Lock()
		evs := make([]map[string]any, 0, len(s.events))
		for _, d := range s.events {
			evs = append(evs, d.json())
		}
		s.mu.Unlock()
		writeJSON(w, 200, map[string]any{"record_count": len(evs), "events": evs})
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func (s *Server) getReadOnly(w http.ResponseWriter, res string, id int) {
	seed := s.opts.Seed
	var found any
	switch res {
	case "tickettype":
		for _, t := range seed.TicketTypes {
			if t.ID == id {
				found = t
			}
		}
	case "status":
		for _, t := range seed.Statuses {
			if t.ID == id {
				found = t
			}
		}
	case "fieldinfo":
		for _, t := range seed.FieldInfo {
			if t.ID == id {
				found = t
			}
		}
	case "toplevel":
		for _, t := range seed.TopLevels {
			if t.ID == id {
				found = t
			}
		}
	}
	if found == nil {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	writeJSON(w, 200, found)
}

// ---- writes ----------------------------------------------------------------

type cfIn struct {
	id    int
	name  string
	value any
}

type elem struct {
	f          map[string]any
	createOnly map[string]any
	cfs        []cfIn
	id         int
	create     bool
}

func (s *Server) exception(w http.ResponseWriter, msg string) {
	writeJSON(w, 400, map[string]any{"ClassName": "System.Exception", "Message": msg, "Data": nil,
		"InnerException": nil, "HelpURL": nil, "StackTraceString": nil, "RemoteStackTraceString": nil,
		"RemoteStackIndex": 0, "ExceptionMethod": nil, "HResult": -2146233088, "Source": nil, "WatsonBuckets": nil})
}

func (s *Server) upsert(w http.ResponseWriter, e *entity, body []byte) {
	var raws []json.RawMessage
	if err := json.Unmarshal(body, &raws); err != nil {
		writeJSON(w, 400, map[string][]string{"": {
			"Cannot deserialize the current JSON value into type 'System.Collections.Generic.List`1[" + e.name +
				"]' because the type requires a JSON array (e.g. [1,2,3]) to deserialize correctly. Path '', line 1, position 1."}})
		return
	}
	modelErrs := map[string][]string{}
	elems := make([]elem, len(raws))
	for i, raw := range raws {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil || obj == nil {
			modelErrs[fmt.Sprintf("[%d]", i)] = []string{"Unexpected token when deserializing object. Path '[" + strconv.Itoa(i) + "]'."}
			continue
		}
		elems[i] = coerce(e, i, obj, modelErrs)
	}
	if len(modelErrs) > 0 {
		writeJSON(w, 400, modelErrs)
		return
	}

	s.mu.Lock()
	tbl := s.tables[e.table]
	// Validate the whole batch before writing anything (all-or-nothing).
	for i := range elems {
		el := &elems[i]
		if el.id > 0 {
			if _, ok := tbl.rows[el.id]; !ok {
				if !s.opts.UnknownIDCreates {
					s.mu.Unlock()
					w.WriteHeader(http.StatusNotFound)
					return
				}
				el.id = 0
			}
		}
		el.create = el.id == 0
		if el.create {
			for _, group := range e.required {
				ok := false
				for _, k := range group {
					if !isEmpty(el.f[k]) {
						ok = true
					}
				}
				if !ok {
					modelErrs[fmt.Sprintf("[%d].%s", i, group[0])] = []string{fmt.Sprintf("The %s field is required.", group[0])}
				}
			}
		}
	}
	if len(modelErrs) > 0 {
		s.mu.Unlock()
		writeJSON(w, 400, modelErrs)
		return
	}
	if !s.opts.DisableBusinessRules {
		for i := range elems {
			if msg := s.businessRule(e, &elems[i]); msg != "" {
				s.mu.Unlock()
				s.exception(w, msg)
				return
			}
		}
	}
	now := time.Now()
	out := make([]map[string]any, 0, len(elems))
	var evs []event
	for i := range elems {
		rec, ev := s.apply(e, &elems[i], now)
		out = append(out, s.render(e, rec, true, nil))
		evs = append(evs, ev...)
	}
	s.mu.Unlock()
	s.emit(evs)
	if len(out) == 1 {
		writeJSON(w, 200, out[0])
		return
	}
	writeJSON(w, 200, out)
}

// coerce converts a decoded element to the entity's known fields, recording
// ASP.NET-style conversion errors. Unknown keys are dropped silently.
func coerce(e *entity, i int, obj map[string]any, errs map[string][]string) elem {
	el := elem{f: map[string]any{}, createOnly: map[string]any{}}
	for k, v := range obj {
		lk := strings.ToLower(k)
		path := fmt.Sprintf("[%d].%s", i, lk)
		if lk == "customfields" && e.typeID != 0 {
			arr, ok := v.([]any)
			if !ok {
				if v != nil {
					errs[path] = []string{fmt.Sprintf("Cannot deserialize the current JSON value into type 'List`1[CustomField]'. Path '%s'.", path)}
				}
				continue
			}
			for _, it := range arr {
				m, ok := it.(map[string]any)
				if !ok {
					continue
				}
				c := cfIn{value: m["value"]}
				if id, ok := m["id"]; ok {
					n, err := toInt(id)
					if err != nil {
						errs[path] = []string{fmt.Sprintf("Could not convert string to integer: %v. Path '%s'.", id, path)}
						continue
					}
					c.id = n
				}
				if n, ok := m["name"].(string); ok {
					c.name = n
				}
				el.cfs = append(el.cfs, c)
			}
			continue
		}
		if e.createOnly[lk] {
			el.createOnly[lk] = v
			continue
		}
		kd, known := e.fields[lk]
		if !known {
			continue
		}
		cv, msg := convert(kd, v)
		if msg != "" {
			errs[path] = []string{fmt.Sprintf("%s Path '%s'.", msg, path)}
			continue
		}
		if lk == "id" {
			el.id, _ = cv.(int)
			continue
		}
		el.f[lk] = cv
	}
	return el
}

func convert(kd kind, v any) (any, string) {
	switch kd {
	case kInt:
		if v == nil {
			return 0, ""
		}
		n, err := toInt(v)
		if err != nil {
			return nil, fmt.Sprintf("Could not convert string to integer: %v.", v)
		}
		return n, ""
	case kNum:
		if v == nil {
			return 0.0, ""
		}
		switch t := v.(type) {
		case json.Number:
			f, err := t.Float64()
			if err == nil {
				return f, ""
			}
		case string:
			if f, err := strconv.ParseFloat(strings.TrimSpace(t), 64); err == nil {
				return f, ""
			}
		}
		return nil, fmt.Sprintf("Could not convert string to double: %v.", v)
	case kBool:
		switch t := v.(type) {
		case nil:
			return false, ""
		case bool:
			return t, ""
		case json.Number:
			return t.String() != "0", ""
		case string:
			if b, err := strconv.ParseBool(strings.TrimSpace(t)); err == nil {
				return b, ""
			}
		}
		return nil, fmt.Sprintf("Could not convert string to boolean: %v.", v)
	case kStr:
		switch t := v.(type) {
		case nil:
			return "", ""
		case string:
			return t, ""
		case json.Number:
			return t.String(), ""
		case bool:
			if t {
				return "True", ""
			}
			return "False", ""
		}
		return nil, "Unexpected character encountered while parsing value: {."
	case kDate:
		switch t := v.(type) {
		case nil:
			return "", ""
		case string:
			if t == "" {
				return "", ""
			}
			if _, ok := parseTime(t); ok {
				return t, ""
			}
		}
		return nil, fmt.Sprintf("Could not convert string to DateTime: %v.", v)
	case kAddr:
		m, ok := v.(map[string]any)
		if !ok {
			if v == nil {
				return map[string]any{}, ""
			}
			return nil, "Unexpected character encountered while parsing value."
		}
		out := map[string]any{}
		for _, k := range []string{"line1", "line2", "line3", "line4", "postcode"} {
			for mk, mv := range m {
				if strings.EqualFold(mk, k) {
					sv, _ := convert(kStr, mv)
					out[k] = sv
				}
			}
		}
		return out, ""
	}
	return v, ""
}

// businessRule returns a .NET-exception message when the element breaks a
// referential rule. Caller holds s.mu.
func (s *Server) businessRule(e *entity, el *elem) string {
	get := func(k string) float64 {
		if v, ok := el.f[k]; ok {
			return toFloat(v)
		}
		if !el.create {
			if r := s.tables[e.table].rows[el.id]; r != nil {
				return toFloat(r.f[k])
			}
		}
		return 0
	}
	clients := s.tables["client"].rows
	sites := s.tables["site"].rows
	switch e.name {
	case "Site":
		if c := int(get("client_id")); c != 0 && clients[c] == nil {
			return fmt.Sprintf("Client %d does not exist", c)
		}
	case "Users":
		c := int(get("client_id"))
		if c != 0 && clients[c] == nil {
			return fmt.Sprintf("Client %d does not exist", c)
		}
		if sid := int(get("site_id")); sid != 0 {
			site := sites[sid]
			if site == nil || int(toFloat(site.f["client_id"])) != c {
				return "The selected Site does not belong to the selected Customer"
			}
		}
	case "Actions":
		if t := int(get("ticket_id")); s.tables["faults"].rows[t] == nil {
			return fmt.Sprintf("Ticket %d does not exist", t)
		}
	}
	return ""
}

// apply writes one validated element. Caller holds s.mu.
func (s *Server) apply(e *entity, el *elem, now time.Time) (*record, []event) {
	tbl := s.tables[e.table]
	stamp := now.UTC().Format(haloTime)
	var rec *record
	var prevStatus any
	if el.create {
		tbl.next++
		rec = &record{id: tbl.next, f: map[string]any{}, cf: map[int]cfValue{}, opp: e.name == "Opportunities"}
		tbl.rows[rec.id] = rec
	} else {
		rec = tbl.rows[el.id]
		prevStatus = rec.f["status_id"]
	}
	for k, v := range el.f {
		rec.f[k] = v
	}
	s.applyCustomFields(e, rec, el.cfs)
	rec.updated = now
	switch e.name {
	case "Client":
		if el.create {
			setDefault(rec.f, "toplevel_id", s.opts.Seed.DefaultTopLevelID)
			setDefault(rec.f, "inactive", false)
			setDefault(rec.f, "is_account", true)
			rec.f["datecreated"] = stamp
			siteName, _ := el.createOnly["newclient_sitename"].(string)
			if siteName == "" {
				siteName = "Main"
			}
			st := s.tables["site"]
			st.next++
			site := &record{id: st.next, cf: map[int]cfValue{}, updated: now, f: map[string]any{
				"name": siteName, "client_id": rec.id, "client_name": rec.f["name"], "inactive": false, "last_update": stamp}}
			if p, ok := el.createOnly["newclient_phonenumber"].(string); ok {
				site.f["phonenumber"] = p
			}
			if a, ok := el.createOnly["newclient_delivery_address"]; ok {
				if av, msg := convert(kAddr, a); msg == "" {
					site.f["delivery_address"] = av
				}
			}
			st.rows[site.id] = site
			rec.f["main_site_id"] = site.id
		}
		for _, tl := range s.opts.Seed.TopLevels {
			if tl.ID == int(toFloat(rec.f["toplevel_id"])) {
				rec.f["toplevel_name"] = tl.Name
			}
		}
		rec.f["alastupdate"] = stamp
	case "Site":
		if c := s.tables["client"].rows[int(toFloat(rec.f["client_id"]))]; c != nil {
			rec.f["client_name"] = c.f["name"]
		}
		setDefault(rec.f, "inactive", false)
		rec.f["last_update"] = stamp
	case "Users":
		c := s.tables["client"].rows[int(toFloat(rec.f["client_id"]))]
		if c != nil {
			rec.f["client_name"] = c.f["name"]
			if toFloat(rec.f["site_id"]) == 0 {
				rec.f["site_id"] = toFloat(c.f["main_site_id"])
			}
		}
		if site := s.tables["site"].rows[int(toFloat(rec.f["site_id"]))]; site != nil {
			rec.f["site_name"] = site.f["name"]
		}
		rec.f["site_id_int"] = int(toFloat(rec.f["site_id"]))
		if isEmpty(rec.f["name"]) {
			fn, _ := rec.f["firstname"].(string)
			sn, _ := rec.f["surname"].(string)
			rec.f["name"] = strings.TrimSpace(fn + " " + sn)
		}
		setDefault(rec.f, "inactive", false)
		setDefault(rec.f, "is_prospect", false)
		rec.f["last_update"] = stamp
	case "Tickets", "Opportunities":
		if el.create {
			def := s.opts.Seed.DefaultTicketTypeID
			if rec.opp {
				def = s.opts.Seed.DefaultOpportunityTypeID
			}
			setDefault(rec.f, "tickettype_id", def)
			setDefault(rec.f, "status_id", s.opts.Seed.DefaultStatusID)
			rec.f["dateoccurred"] = stamp
			rec.f["agent_id"] = s.opts.APIAgentID
		}
		if c := s.tables["client"].rows[int(toFloat(rec.f["client_id"]))]; c != nil {
			rec.f["client_name"] = c.f["name"]
		}
		rec.f["last_update"] = stamp
	case "Actions":
		if el.create {
			setDefault(rec.f, "datetime", stamp)
			rec.f["who"] = "API"
		}
		if t := s.tables["faults"].rows[int(toFloat(rec.f["ticket_id"]))]; t != nil {
			t.f["last_update"] = stamp
			t.updated = now
		}
	case "CRMNote":
		if el.create {
			setDefault(rec.f, "datetime", stamp)
			rec.f["who_agentid"] = s.opts.APIAgentID
		}
	}
	return rec, s.eventsFor(e, rec, el.create, prevStatus)
}

func setDefault(m map[string]any, k string, v any) {
	if _, ok := m[k]; !ok {
		m[k] = v
	}
}

// applyCustomFields merges custom-field writes field by field; unknown ids
// and names are ignored. Caller holds s.mu.
func (s *Server) applyCustomFields(e *entity, rec *record, in []cfIn) {
	for _, c := range in {
		var fi *FieldInfo
		for i := range s.opts.Seed.FieldInfo {
			f := &s.opts.Seed.FieldInfo[i]
			if f.TypeID != e.typeID {
				continue
			}
			if c.id != 0 && f.ID == c.id || c.id == 0 && c.name != "" && s.cfNameMatches(f.Name, c.name) {
				fi = f
				break
			}
		}
		if fi == nil {
			continue
		}
		if c.value == nil {
			delete(rec.cf, fi.ID)
			continue
		}
		rec.cf[fi.ID] = cfStore(fi, c.value)
	}
}

func (s *Server) cfNameMatches(defName, name string) bool {
	if strings.EqualFold(defName, name) {
		return true
	}
	if s.opts.StrictCustomFieldNames {
		return false
	}
	strip := func(x string) string {
		x = strings.ToLower(strings.TrimSpace(x))
		return strings.TrimLeft(strings.TrimPrefix(x, "cf"), "_")
	}
	return strip(defName) == strip(name)
}

func cfStore(fi *FieldInfo, v any) cfValue {
	if n, ok := v.(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			v = int(i)
		} else if f, err := n.Float64(); err == nil {
			v = f
		}
	}
	if len(fi.Values) > 0 {
		if id, err := toInt(v); err == nil {
			for _, o := range fi.Values {
				if o.ID == id {
					return cfValue{value: o.ID, display: o.Name}
				}
			}
		}
		if sv, ok := v.(string); ok {
			for _, o := range fi.Values {
				if strings.EqualFold(o.Name, strings.TrimSpace(sv)) {
					return cfValue{value: o.ID, display: o.Name}
				}
			}
		}
	}
	return cfValue{value: v, display: fmt.Sprint(v)}
}

// ---- small helpers -----------------------------------------------------------

func toInt(v any) (int, error) {
	switch t := v.(type) {
	case int:
		return t, nil
	case float64:
		if t == float64(int(t)) {
			return int(t), nil
		}
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return int(i), nil
		}
		if f, err := t.Float64(); err == nil && f == float64(int(f)) {
			return int(f), nil
		}
	case string:
		if i, err := strconv.Atoi(strings.TrimSpace(t)); err == nil {
			return i, nil
		}
	}
	return 0, fmt.Errorf("not an integer: %v", v)
}

func toFloat(v any) float64 {
	switch t := v.(type) {
	case int:
		return float64(t)
	case float64:
		return t
	case json.Number:
		f, _ := t.Float64()
		return f
	case string:
		f, _ := strconv.ParseFloat(t, 64)
		return f
	}
	return 0
}

func isEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(t) == ""
	case int:
		return t == 0
	case float64:
		return t == 0
	}
	return false
}

func isTrue(s string) bool {
	b, _ := strconv.ParseBool(strings.TrimSpace(s))
	return b
}

func atoiDefault(s string, d int) int {
	if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
		return n
	}
	return d
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z", "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
