package api

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/segmentio/encoding/json"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/pipeline"
)

// MaxBulkLeads is the most leads one bulk request may carry (crm.md §9.1).
const MaxBulkLeads = 1000

// BulkSources are the source keys a bulk request may name: the providers
// (crm.md §1.1). halopsa and review are not imports.
var BulkSources = []string{"apollo", "zoominfo", "lusha", "seamless", "uplead", "rocketreach", "lead411", "hunter", "bookyourdata", "leadsblue"}

// maxField is the longest string a bulk lead field may hold.
const maxField = 1000

// bulkField describes one field of a bulk lead: its JSON kind and the raw
// column it feeds.
type bulkField struct {
	kind   string // string, bool, int, range, strings, address
	column string
}

var bulkFields = map[string]bulkField{
	"first_name": {"string", "first_name"}, "last_name": {"string", "last_name"}, "full_name": {"string", "full_name"},
	"email": {"string", "email"}, "phone": {"string", "phone"}, "mobile": {"string", "mobile"},
	"title": {"string", "title"}, "seniority": {"string", "seniority"}, "department": {"string", "department"},
	"linkedin_url": {"string", "linkedin_url"}, "city": {"string", "city"}, "state": {"string", "state"},
	"country": {"string", "country"}, "company": {"string", "company"}, "website": {"string", "website"},
	"industry": {"string", "industry"}, "company_phone": {"string", "company_phone"},
	"source_record_id": {"string", ""}, "employee_count": {"range", "employee_count"},
	"revenue_usd": {"range", "revenue_usd"}, "technologies": {"strings", "technologies"},
	"founded_year": {"int", "founded_year"}, "hq_address": {"address", ""}, "do_not_contact": {"bool", "do_not_contact"},
}

// fieldError is a schema error of one field.
type fieldError struct {
	field, msg string
}

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

// bulkRaw checks one bulk lead against the schema and returns its raw
// columns (as an import row would carry them) and its source record id.
func bulkRaw(obj map[string]json.RawMessage) (map[string]string, string, error) {
	raw := map[string]string{}
	recordID := ""
	str := func(name string, v json.RawMessage, limit int) (string, error) {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", &fieldError{name, "must be a string"}
		}
		if utf8.RuneCountInString(s) > limit {
			return "", &fieldError{name, fmt.Sprintf("longer than %d characters", limit)}
		}
		return s, nil
	}
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		v := obj[name]
		f, ok := bulkFields[name]
		if !ok {
			return nil, "", &fieldError{name, "unknown field"}
		}
		if bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			continue
		}
		switch f.kind {
		case "string":
			limit := maxField
			if name == "email" {
				limit = 254
			}
			s, err := str(name, v, limit)
			if err != nil {
				return nil, "", err
			}
			if name == "source_record_id" {
				recordID = s
			} else if s != "" {
				raw[f.column] = s
			}
		case "bool":
			var b bool
			if err := json.Unmarshal(v, &b); err != nil {
				return nil, "", &fieldError{name, "must be true or false"}
			}
			raw[f.column] = strconv.FormatBool(b)
		case "int":
			var n int
			if err := json.Unmarshal(v, &n); err != nil || n < 0 || n > 9999 {
				return nil, "", &fieldError{name, "must be a year"}
			}
			raw[f.column] = strconv.Itoa(n)
		case "range":
			var n float64
			if err := json.Unmarshal(v, &n); err == nil {
				if n < 0 {
					return nil, "", &fieldError{name, "must not be negative"}
				}
				raw[f.column] = strconv.FormatInt(int64(n), 10)
				continue
			}
			var r struct {
				Min *float64 `json:"min"`
				Max *float64 `json:"max"`
			}
			if err := json.Unmarshal(v, &r); err != nil || (r.Min == nil && r.Max == nil) {
				return nil, "", &fieldError{name, "must be a number or {min, max}"}
			}
			lo, hi := "", ""
			if r.Min != nil {
				lo = strconv.FormatInt(int64(*r.Min), 10)
			}
			if r.Max != nil {
				hi = strconv.FormatInt(int64(*r.Max), 10)
			}
			switch {
			case hi == "":
				raw[f.column] = lo + "+"
			case lo == "":
				raw[f.column] = "0-" + hi
			default:
				raw[f.column] = lo + "-" + hi
			}
		case "strings":
			var list []string
			if err := json.Unmarshal(v, &list); err != nil {
				return nil, "", &fieldError{name, "must be an array of strings"}
			}
			for i, s := range list {
				if utf8.RuneCountInString(s) > 200 || strings.ContainsAny(s, ",;|") {
					return nil, "", &fieldError{fmt.Sprintf("%s[%d]", name, i), "at most 200 characters, without , ; or |"}
				}
			}
			if len(list) > 0 {
				raw[f.column] = strings.Join(list, ", ")
			}
		case "address":
			var a map[string]json.RawMessage
			if err := json.Unmarshal(v, &a); err != nil {
				return nil, "", &fieldError{name, "must be an object {street, city, state, postcode, country}"}
			}
			for k, av := range a {
				switch k {
				case "street", "city", "state", "postcode", "country":
				default:
					return nil, "", &fieldError{name + "." + k, "unknown field"}
				}
				if bytes.Equal(bytes.TrimSpace(av), []byte("null")) {
					continue
				}
				s, err := str(name+"."+k, av, maxField)
				if err != nil {
					return nil, "", err
				}
				if s != "" {
					raw["hq_"+k] = s
				}
			}
		}
	}
	return raw, recordID, nil
}

// rejectedLead is one lead a bulk request refused.
type rejectedLead struct {
	Index int            `json:"index"`
	Error map[string]any `json:"error"`
}

func (s *Server) bulk(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Source string            `json:"source"`
		Leads  []json.RawMessage `json:"leads"`
	}
	if err := json.Unmarshal(body(r), &req); err != nil {
		writeError(w, http.StatusBadRequest, CodeInvalidJSON, "the body is not a JSON object {source, leads}", nil)
		return
	}
	if !slices.Contains(BulkSources, req.Source) {
		writeError(w, http.StatusBadRequest, CodeValidation, "source: unknown source key (one of "+strings.Join(BulkSources, ", ")+")",
			map[string]any{"field": "source"})
		return
	}
	if req.Leads == nil {
		writeError(w, http.StatusBadRequest, CodeValidation, "leads: required", map[string]any{"field": "leads"})
		return
	}
	if len(req.Leads) > MaxBulkLeads {
		writeError(w, http.StatusRequestEntityTooLarge, CodePayloadTooLarge, fmt.Sprintf("at most %d leads per request (got %d)", MaxBulkLeads, len(req.Leads)), nil)
		return
	}
	now := s.opts.Now().UTC()
	batchID := "bulk_" + newID()
	topic := s.opts.Namespace.Topic(pipeline.TopicRaw)
	rejected := []rejectedLead{}
	recs := make([]*kgo.Record, 0, len(req.Leads))
	for i, l := range req.Leads {
		var obj map[string]json.RawMessage
		var err error
		if jerr := json.Unmarshal(l, &obj); jerr != nil || obj == nil {
			err = &fieldError{"", "must be an object"}
		}
		var raw map[string]string
		var recordID string
		if err == nil {
			raw, recordID, err = bulkRaw(obj)
		}
		if err != nil {
			fe := err.(*fieldError)
			field := fmt.Sprintf("leads[%d]", i)
			if fe.field != "" {
				field += "." + fe.field
			}
			rejected = append(rejected, rejectedLead{Index: i, Error: map[string]any{"code": CodeValidation,
				"message": err.Error(), "details": map[string]any{"field": field}}})
			continue
		}
		if recordID == "" {
			recordID = batchID + ":" + strconv.Itoa(i)
		}
		env := &pipeline.Envelope{
			TraceID:   batchID + ":" + strconv.Itoa(i),
			Source:    pipeline.Source{Provider: req.Source, RecordID: recordID, ImportID: batchID},
			FirstSeen: now,
			Raw:       raw,
		}
		rec, err := env.SealedRecord(s.opts.Sealer, topic, env.TraceID)
		if err != nil {
			s.internal(w, "encoding a lead", err)
			return
		}
		recs = append(recs, rec)
	}
	if len(recs) > 0 {
		if err := s.opts.Producer.ProduceSync(r.Context(), recs...).FirstErr(); err != nil {
			s.log.Error("bulk: producing to "+pipeline.TopicRaw+" failed", "leads", len(recs), "err", err)
			writeError(w, http.StatusServiceUnavailable, CodeServiceUnavailable, "the leads could not be stored; retry later", nil)
			return
		}
	}
	s.log.Info("bulk accepted", "batch_id", batchID, "source", req.Source, "accepted", len(recs), "rejected", len(rejected), "key", caller(r).ID)
	writeJSON(w, http.StatusAccepted, map[string]any{"batch_id": batchID, "accepted": len(recs), "rejected": rejected})
}
