package workflow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
)

// Status kinds of §7.1.
const (
	KindInitial = "initial"
	KindActive  = "active"
	KindExit    = "exit"
	KindAdvance = "advance"
)

// Entity names of §7.1.
const (
	EntityLead        = "lead"
	EntityProspect    = "prospect"
	EntityOpportunity = "opportunity"
)

// Transition triggers. Any other trigger must name a rule of the
// configuration's "rules" object (auto_convert, auto_promote).
const (
	// TriggerManual marks a move a person makes in HaloPSA.
	TriggerManual = "manual"
	// TriggerFollow marks the system step that follows an advance
	// (converted_to_prospect → new_prospect, promoted_to_opportunity →
	// new_opportunity); it carries the advance's timestamp (§7.1).
	TriggerFollow = "follow"
)

// Config is the workflow configuration file of §7.7.
type Config struct {
	Version                int                  `json:"version"`
	PollingIntervalMinutes int                  `json:"polling_interval_minutes"`
	Entities               map[string]EntityDef `json:"entities"`
	Transitions            []TransitionDef      `json:"transitions"`
	Rules                  map[string]RuleDef   `json:"rules"`
	Thresholds             map[string]float64   `json:"thresholds"`
	OpportunityDefaults    OpportunityDefaults  `json:"opportunity_defaults"`
	Analytics              Analytics            `json:"analytics"`
}

// EntityDef describes one entity (lead, prospect, opportunity).
type EntityDef struct {
	TicketTypeID *int      `json:"ticket_type_id"`
	Statuses     StatusMap `json:"statuses"`
}

// StatusDef is one status of an entity.
type StatusDef struct {
	ID          int    `json:"id"`
	Kind        string `json:"kind"`
	Probability *int   `json:"probability,omitempty"`
}

// StatusMap maps status codes to their definitions.
type StatusMap map[string]StatusDef

// TransitionDef is one row of §7.2: any status of From may move to To.
type TransitionDef struct {
	From    []string `json:"from"`
	To      string   `json:"to"`
	Trigger string   `json:"trigger"`
}

// RuleDef is an automatic rule of §7.3.
type RuleDef struct {
	Enabled    bool        `json:"enabled"`
	WhenStatus string      `json:"when_status"`
	Conditions []Condition `json:"conditions"`
}

// Condition is {field, op, value | threshold} of §7.7.
type Condition struct {
	Field     string          `json:"field"`
	Op        string          `json:"op"`
	Value     json.RawMessage `json:"value,omitempty"`
	Threshold string          `json:"threshold,omitempty"`
}

// OpportunityDefaults holds the value maps of §6.6.
type OpportunityDefaults struct {
	BudgetValue     map[string]float64 `json:"budget_value"`
	TimeframeMonths map[string]int     `json:"timeframe_months"`
}

// Analytics holds the §7.8 settings.
type Analytics struct {
	MinSample int `json:"min_sample"`
}

// Condition operators of §7.7.
const (
	OpEq       = "eq"
	OpNe       = "ne"
	OpGt       = "gt"
	OpGte      = "gte"
	OpLt       = "lt"
	OpLte      = "lte"
	OpIn       = "in"
	OpEmpty    = "empty"
	OpNotEmpty = "not_empty"
	OpTrue     = "true"
	OpNotTrue  = "not_true"
)

// isCFField reports whether field is a custom-field key such as CF_206.
func isCFField(field string) bool {
	if len(field) != 6 || !strings.HasPrefix(field, "CF_") {
		return false
	}
	for _, r := range field[3:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// isUnaryOp reports whether op takes neither value nor threshold.
func isUnaryOp(op string) bool {
	switch op {
	case OpEmpty, OpNotEmpty, OpTrue, OpNotTrue:
		return true
	}
	return false
}

// isCompareOp reports whether op compares against one value or threshold.
func isCompareOp(op string) bool {
	switch op {
	case OpEq, OpNe, OpGt, OpGte, OpLt, OpLte:
		return true
	}
	return false
}

// isKind reports whether kind is a status kind of §7.1.
func isKind(kind string) bool {
	switch kind {
	case KindInitial, KindActive, KindExit, KindAdvance:
		return true
	}
	return false
}

// parseConfig decodes r strictly (unknown and duplicate keys are errors) and
// validates it.
func parseConfig(r io.Reader) (*Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if err := checkDuplicateKeys(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var cfg Config
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if dec.More() {
		return nil, errors.New("decode: trailing data after the configuration object")
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// checkDuplicateKeys rejects a document in which any object repeats a key;
// encoding/json would silently keep the last one (e.g. a status defined twice).
func checkDuplicateKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := walkValue(dec, ""); err != nil {
		return err
	}
	return nil
}

// walkValue consumes one JSON value from dec, checking every object in it.
func walkValue(dec *json.Decoder, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("decode %s: %w", displayPath(path), err)
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	switch delim {
	case '{':
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return fmt.Errorf("decode %s: %w", displayPath(path), err)
			}
			key, _ := tok.(string)
			child := key
			if path != "" {
				child = path + "." + key
			}
			if seen[key] {
				return fmt.Errorf("%s: duplicate key %q", displayPath(path), key)
			}
			seen[key] = true
			if err := walkValue(dec, child); err != nil {
				return err
			}
		}
	case '[':
		for i := 0; dec.More(); i++ {
			if err := walkValue(dec, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	if _, err := dec.Token(); err != nil { // closing delimiter
		return fmt.Errorf("decode %s: %w", displayPath(path), err)
	}
	return nil
}

func displayPath(path string) string {
	if path == "" {
		return "(root)"
	}
	return path
}

// validate checks the semantic rules of §7.7. Each error names the offending
// field by its JSON path.
func (c *Config) validate() error {
	if c.Version != 1 {
		return fmt.Errorf("version: unsupported version %d (want 1)", c.Version)
	}
	if c.PollingIntervalMinutes <= 0 {
		return fmt.Errorf("polling_interval_minutes: must be positive, got %d", c.PollingIntervalMinutes)
	}
	if c.Analytics.MinSample < 0 {
		return fmt.Errorf("analytics.min_sample: must not be negative, got %d", c.Analytics.MinSample)
	}
	owner := map[string]string{} // status code → entity
	for _, ent := range []string{EntityLead, EntityProspect, EntityOpportunity} {
		if _, ok := c.Entities[ent]; !ok {
			return fmt.Errorf("entities.%s: missing", ent)
		}
	}
	for _, ent := range sortedKeys(c.Entities) {
		def := c.Entities[ent]
		path := "entities." + ent
		switch ent {
		case EntityLead, EntityProspect, EntityOpportunity:
		default:
			return fmt.Errorf("%s: unknown entity %q", path, ent)
		}
		if len(def.Statuses) == 0 {
			return fmt.Errorf("%s.statuses: empty", path)
		}
		ids := map[int]string{}
		initial := 0
		for _, code := range sortedKeys(def.Statuses) {
			st := def.Statuses[code]
			sp := path + ".statuses." + code
			if code == "" {
				return fmt.Errorf("%s.statuses: empty status code", path)
			}
			if prev, ok := owner[code]; ok {
				return fmt.Errorf("%s: duplicate status name, already defined in entities.%s", sp, prev)
			}
			owner[code] = ent
			if st.ID <= 0 {
				return fmt.Errorf("%s.id: must be positive, got %d", sp, st.ID)
			}
			if prev, ok := ids[st.ID]; ok {
				return fmt.Errorf("%s.id: duplicate id %d, already used by %q", sp, st.ID, prev)
			}
			ids[st.ID] = code
			if !isKind(st.Kind) {
				return fmt.Errorf("%s.kind: unknown kind %q", sp, st.Kind)
			}
			if st.Kind == KindInitial {
				initial++
			}
			if st.Probability != nil && (*st.Probability < 0 || *st.Probability > 100) {
				return fmt.Errorf("%s.probability: must be 0-100, got %d", sp, *st.Probability)
			}
		}
		if initial != 1 {
			return fmt.Errorf("%s.statuses: want exactly one initial status, got %d", path, initial)
		}
	}

	for name := range c.Thresholds {
		if name == "" {
			return errors.New("thresholds: empty threshold name")
		}
	}
	if v, ok := c.Thresholds["min_fit_score"]; !ok {
		return errors.New("thresholds.min_fit_score: missing")
	} else if v < 0 || v > 100 {
		return fmt.Errorf("thresholds.min_fit_score: must be 0-100, got %v", v)
	}

	for _, name := range sortedKeys(c.Rules) {
		rule := c.Rules[name]
		path := "rules." + name
		switch name {
		case "", TriggerManual, TriggerFollow:
			return fmt.Errorf("%s: reserved rule name %q", path, name)
		}
		if _, ok := owner[rule.WhenStatus]; !ok {
			return fmt.Errorf("%s.when_status: unknown status %q", path, rule.WhenStatus)
		}
		for i, cond := range rule.Conditions {
			if err := c.validateCondition(cond, owner); err != nil {
				return fmt.Errorf("%s.conditions[%d]: %w", path, i, err)
			}
		}
	}

	type edge struct{ from, to string }
	seen := map[edge]int{}
	for i, t := range c.Transitions {
		path := fmt.Sprintf("transitions[%d]", i)
		toEnt, ok := owner[t.To]
		if !ok {
			return fmt.Errorf("%s.to: unknown status %q", path, t.To)
		}
		if len(t.From) == 0 {
			return fmt.Errorf("%s.from: empty", path)
		}
		switch t.Trigger {
		case TriggerManual, TriggerFollow:
		default:
			rule, ok := c.Rules[t.Trigger]
			if !ok {
				return fmt.Errorf("%s.trigger: unknown trigger %q (want manual, follow or a rule name)", path, t.Trigger)
			}
			if !slices.Contains(t.From, rule.WhenStatus) {
				return fmt.Errorf("%s.trigger: rule %q fires at %q, which is not in from", path, t.Trigger, rule.WhenStatus)
			}
		}
		for j, from := range t.From {
			fromEnt, ok := owner[from]
			if !ok {
				return fmt.Errorf("%s.from[%d]: unknown status %q", path, j, from)
			}
			if from == t.To {
				return fmt.Errorf("%s.from[%d]: self-transition %q", path, j, from)
			}
			if fromEnt != toEnt && t.Trigger != TriggerFollow {
				return fmt.Errorf("%s.from[%d]: %q (%s) → %q (%s) crosses entities; only trigger follow may", path, j, from, fromEnt, t.To, toEnt)
			}
			e := edge{from, t.To}
			if prev, dup := seen[e]; dup {
				return fmt.Errorf("%s.from[%d]: duplicate transition %q → %q, already in transitions[%d]", path, j, from, t.To, prev)
			}
			seen[e] = i
		}
	}
	return nil
}

// validateCondition checks one {field, op, value | threshold}.
func (c *Config) validateCondition(cond Condition, owner map[string]string) error {
	switch {
	case isCFField(cond.Field), cond.Field == "status", cond.Field == "fit_score", cond.Field == "quality_score":
	default:
		return fmt.Errorf("field: unknown field %q (want CF_nnn, status, fit_score or quality_score)", cond.Field)
	}
	hasValue := len(cond.Value) > 0
	hasThreshold := cond.Threshold != ""
	switch {
	case isUnaryOp(cond.Op):
		if hasValue || hasThreshold {
			return fmt.Errorf("op: %q takes neither value nor threshold", cond.Op)
		}
		return nil
	case isCompareOp(cond.Op), cond.Op == OpIn:
	default:
		return fmt.Errorf("op: unknown operator %q", cond.Op)
	}
	if hasValue == hasThreshold {
		return fmt.Errorf("op: %q needs exactly one of value or threshold", cond.Op)
	}
	if hasThreshold {
		if cond.Op == OpIn {
			return errors.New("threshold: op in needs a value list, not a threshold")
		}
		if _, ok := c.Thresholds[cond.Threshold]; !ok {
			return fmt.Errorf("threshold: unknown threshold %q", cond.Threshold)
		}
		return nil
	}
	vals, err := conditionValues(cond)
	if err != nil {
		return fmt.Errorf("value: %w", err)
	}
	if cond.Field == "status" {
		for _, v := range vals {
			if _, ok := owner[v]; !ok {
				return fmt.Errorf("value: unknown status %q", v)
			}
		}
	}
	switch cond.Op {
	case OpGt, OpGte, OpLt, OpLte:
		if _, ok := parseNumber(vals[0]); !ok {
			return fmt.Errorf("value: %q is not a number", vals[0])
		}
	}
	return nil
}

// conditionValues returns the condition's value as strings: a list for op in,
// a single element otherwise. Numbers and booleans are kept in JSON form.
func conditionValues(cond Condition) ([]string, error) {
	if cond.Op == OpIn {
		var raw []json.RawMessage
		if err := json.Unmarshal(cond.Value, &raw); err != nil {
			return nil, fmt.Errorf("op in needs a JSON array: %w", err)
		}
		if len(raw) == 0 {
			return nil, errors.New("op in needs a non-empty array")
		}
		out := make([]string, 0, len(raw))
		for i, r := range raw {
			s, err := scalar(r)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := scalar(cond.Value)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

// scalar renders a JSON string, number or boolean as a string.
func scalar(raw json.RawMessage) (string, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", fmt.Errorf("bad JSON value: %w", err)
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case float64, bool:
		return string(bytes.TrimSpace(raw)), nil
	default:
		return "", fmt.Errorf("want a string, number or boolean, got %s", bytes.TrimSpace(raw))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
