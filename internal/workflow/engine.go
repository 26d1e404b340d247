// Package workflow implements the Lead → Prospect → Opportunity status
// workflow of the CRM spec (§7): the statuses of §7.1, the allowed
// transitions of §7.2, the automatic rules of §7.3 (auto_convert,
// auto_promote) and the do-not-contact blocks of §7.4.
//
// The engine is driven by the JSON configuration file of §7.7. The spec's
// defaults ship as config/workflow.json and are embedded in this package as
// default.json (the two files must stay byte-identical; a test checks it).
//
// The engine is pure: it decides whether a status change is legal and
// returns an [Event] ready to publish on the [Topic] topic. It never calls
// HaloPSA and keeps no state between calls.
package workflow

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Topic is the topic status-change events are published on.
const Topic = "leads.events"

// EventType is the type of every event this package emits.
const EventType = "status_changed"

// Reasons carried by [RefusedError]. Condition failures use the prefixes
// ReasonConditionFailed and ReasonMissingField followed by a name.
const (
	ReasonNotAllowed      = "not_allowed"
	ReasonUnknownStatus   = "unknown_status"
	ReasonSameStatus      = "same_status"
	ReasonDoNotContact    = "do_not_contact"
	ReasonRuleDisabled    = "rule_disabled"
	ReasonConditionFailed = "condition_failed:"
	ReasonMissingField    = "missing_field:"
)

// dncStatus is the lead status a DNC signal moves a ticket to (§7.4).
const dncStatus = "do_not_contact"

// isDNCSource reports whether leadstream itself may move a ticket from
// status to do_not_contact: only from status 1 or 2 (§7.4).
func isDNCSource(status string) bool {
	return status == "new_lead" || status == "researching"
}

// dncField is the do-not-contact custom field (CF_105).
const dncField = "CF_105"

//go:embed default.json
var defaultConfig []byte

// DefaultConfig returns a copy of the embedded default configuration.
func DefaultConfig() []byte { return bytes.Clone(defaultConfig) }

// Origin says who makes a status change.
type Origin int

const (
	// OriginPerson (the zero value) is a change a person asks for. Only
	// configured transitions are allowed; the automatic rules' fit and field
	// checks are skipped (a person decided, §7.3), but do-not-contact blocks
	// every move into a non-exit status.
	OriginPerson Origin = iota
	// OriginEngine is a change leadstream makes itself: a configured rule
	// transition whose conditions all hold, a follow step, or the DNC move
	// from new_lead or researching (§7.4).
	OriginEngine
	// OriginHaloPSA is a change a person already made in HaloPSA, observed by
	// webhook or poll. Unconfigured moves are accepted with off_path set
	// (§7.2), except moves into a status that starts an automation
	// (converted_to_prospect, promoted_to_opportunity), which are refused
	// when unconfigured or while do-not-contact holds (§7.3 "Refusals").
	OriginHaloPSA
)

// State is where a ticket (or opportunity) is now.
type State struct {
	TicketID string // HaloPSA ticket or opportunity id, copied to events
	Status   string // status code, e.g. "engaged"
}

// Facts are the record values conditions are evaluated against.
type Facts struct {
	// Fields holds custom-field values as stored in HaloPSA, keyed by
	// "CF_nnn" (e.g. "CF_206": "78").
	Fields map[string]string
	// FitScore and QualityScore are leadstream's scores (§3), if known.
	FitScore     *int
	QualityScore *int
	// Suppressed is true when the contact is on the suppression list (§7.4).
	Suppressed bool
	// Origin says who makes the change.
	Origin Origin
	// ObservedBy is "webhook" or "poll" for OriginHaloPSA changes.
	ObservedBy string
}

// DoNotContact reports whether a DNC signal holds: the contact is
// suppressed or CF_105 is true.
func (f Facts) DoNotContact() bool {
	return f.Suppressed || truthy(f.Fields[dncField])
}

// Event is one status change, as published on [Topic].
type Event struct {
	Type       string    `json:"type"`
	TicketID   string    `json:"ticket_id,omitempty"`
	Entity     string    `json:"entity"`
	From       string    `json:"from"`
	FromID     int       `json:"from_id"`
	To         string    `json:"to"`
	ToID       int       `json:"to_id"`
	At         time.Time `json:"at"`
	Trigger    string    `json:"trigger"`
	Auto       bool      `json:"auto"`
	OffPath    bool      `json:"off_path"`
	ObservedBy string    `json:"observed_by,omitempty"`
}

// RefusedError is returned for an illegal transition. Reason is
// machine-readable: "not_allowed", "unknown_status", "same_status",
// "do_not_contact", "rule_disabled", "condition_failed:<name>" or
// "missing_field:<CF key>".
type RefusedError struct {
	From   string
	To     string
	Reason string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("workflow: transition %s → %s refused: %s", e.From, e.To, e.Reason)
}

// statusInfo is a status with the entity it belongs to.
type statusInfo struct {
	entity string
	def    StatusDef
}

type edge struct{ from, to string }

// Engine applies a validated workflow configuration. It is immutable and
// safe for concurrent use.
type Engine struct {
	cfg      *Config
	statuses map[string]statusInfo
	edges    map[edge]string // → trigger
	// follows maps an advance status to the status its follow step leads to.
	follows map[string]string
}

// Load reads, validates and compiles a workflow configuration (§7.7).
func Load(r io.Reader) (*Engine, error) {
	cfg, err := parseConfig(r)
	if err != nil {
		return nil, fmt.Errorf("workflow: load config: %w", err)
	}
	e := &Engine{
		cfg:      cfg,
		statuses: map[string]statusInfo{},
		edges:    map[edge]string{},
		follows:  map[string]string{},
	}
	for ent, def := range cfg.Entities {
		for code, st := range def.Statuses {
			e.statuses[code] = statusInfo{entity: ent, def: st}
		}
	}
	for _, t := range cfg.Transitions {
		for _, from := range t.From {
			e.edges[edge{from, t.To}] = t.Trigger
			if t.Trigger == TriggerFollow {
				e.follows[from] = t.To
			}
		}
	}
	return e, nil
}

// Default returns an engine for the embedded default configuration.
func Default() (*Engine, error) {
	e, err := Load(bytes.NewReader(defaultConfig))
	if err != nil {
		return nil, fmt.Errorf("workflow: embedded default: %w", err)
	}
	return e, nil
}

// MinFitScore returns the promotion threshold (thresholds.min_fit_score).
func (e *Engine) MinFitScore() float64 { return e.cfg.Thresholds["min_fit_score"] }

// Entity returns the entity a status belongs to, or "" if it is unknown.
func (e *Engine) Entity(status string) string { return e.statuses[status].entity }

// Transition decides whether current may move to the status to, given facts.
// A legal move returns the Event to publish; an illegal one a *RefusedError.
func (e *Engine) Transition(current State, to string, facts Facts, at time.Time) (Event, error) {
	from := current.Status
	refuse := func(reason string) (Event, error) {
		return Event{}, &RefusedError{From: from, To: to, Reason: reason}
	}
	fromInfo, okFrom := e.statuses[from]
	toInfo, okTo := e.statuses[to]
	if !okFrom || !okTo {
		return refuse(ReasonUnknownStatus)
	}
	if from == to {
		return refuse(ReasonSameStatus)
	}
	trigger, configured := e.edges[edge{from, to}]
	_, startsAutomation := e.follows[to]

	ev := Event{
		Type: EventType, TicketID: current.TicketID, Entity: toInfo.entity,
		From: from, FromID: fromInfo.def.ID, To: to, ToID: toInfo.def.ID,
		At: at.UTC(), Trigger: trigger,
	}
	switch facts.Origin {
	case OriginEngine:
		if !configured {
			return refuse(ReasonNotAllowed)
		}
		ev.Auto = true
		switch trigger {
		case TriggerFollow:
		case TriggerManual:
			// The only manual row leadstream may take itself is the DNC
			// move from status 1 or 2 (§7.4).
			if to != dncStatus || !isDNCSource(from) {
				return refuse(ReasonNotAllowed)
			}
			ev.Trigger = dncStatus
		default:
			rule := e.cfg.Rules[trigger]
			if !rule.Enabled {
				return refuse(ReasonRuleDisabled)
			}
			if facts.Suppressed {
				return refuse(ReasonDoNotContact)
			}
			for _, c := range rule.Conditions {
				if reason := e.check(c, current, facts); reason != "" {
					return refuse(reason)
				}
			}
		}
	case OriginPerson:
		if !configured {
			return refuse(ReasonNotAllowed)
		}
		if toInfo.def.Kind != KindExit && facts.DoNotContact() {
			return refuse(ReasonDoNotContact)
		}
		ev.Trigger = personTrigger(trigger)
	case OriginHaloPSA:
		if startsAutomation {
			if !configured {
				return refuse(ReasonNotAllowed)
			}
			if facts.DoNotContact() {
				return refuse(ReasonDoNotContact)
			}
		}
		ev.OffPath = !configured
		ev.ObservedBy = facts.ObservedBy
		ev.Trigger = personTrigger(trigger)
	default:
		return Event{}, fmt.Errorf("workflow: transition %s → %s: unknown origin %d", from, to, facts.Origin)
	}
	return ev, nil
}

// personTrigger is the trigger recorded for a change a person makes: follow
// steps stay "follow", everything else (including a person setting 8 or
// 14, §7.3) is "manual".
func personTrigger(configured string) string {
	if configured == TriggerFollow {
		return TriggerFollow
	}
	return TriggerManual
}

// Auto returns the transitions the enabled automatic rules (§7.3) make from
// current, each followed by its follow steps (engaged → converted_to_prospect
// → new_prospect, qualified → promoted_to_opportunity → new_opportunity), all
// stamped with at. It returns nil when no rule fires.
func (e *Engine) Auto(current State, facts Facts, at time.Time) []Event {
	facts.Origin = OriginEngine
	var out []Event
	for _, name := range sortedKeys(e.cfg.Rules) {
		rule := e.cfg.Rules[name]
		if !rule.Enabled || rule.WhenStatus != current.Status {
			continue
		}
		var targets []string
		for ed, trig := range e.edges {
			if trig == name && ed.from == current.Status {
				targets = append(targets, ed.to)
			}
		}
		sort.Strings(targets)
		for _, to := range targets {
			ev, err := e.Transition(current, to, facts, at)
			if err != nil {
				continue
			}
			out = append(out, ev)
			out = append(out, e.followSteps(State{TicketID: current.TicketID, Status: to}, facts, at)...)
		}
	}
	return out
}

// followSteps returns the chain of follow transitions from current.
func (e *Engine) followSteps(current State, facts Facts, at time.Time) []Event {
	var out []Event
	seen := map[string]bool{current.Status: true}
	for {
		next, ok := e.follows[current.Status]
		if !ok || seen[next] {
			return out
		}
		ev, err := e.Transition(current, next, facts, at)
		if err != nil {
			return out
		}
		out = append(out, ev)
		seen[next] = true
		current.Status = next
	}
}

// check evaluates one condition and returns "" when it holds, else the
// refusal reason.
func (e *Engine) check(c Condition, current State, facts Facts) string {
	if e.holds(c, current, facts) {
		return ""
	}
	switch {
	case c.Field == dncField && (c.Op == OpNotTrue || c.Op == OpEmpty):
		return ReasonDoNotContact
	case c.Op == OpNotEmpty:
		return ReasonMissingField + c.Field
	case c.Threshold != "":
		return ReasonConditionFailed + c.Threshold
	default:
		return ReasonConditionFailed + c.Field + "_" + c.Op
	}
}

// holds reports whether condition c holds for the record.
func (e *Engine) holds(c Condition, current State, facts Facts) bool {
	got := strings.TrimSpace(fieldValue(c.Field, current, facts))
	switch c.Op {
	case OpEmpty:
		return got == ""
	case OpNotEmpty:
		return got != ""
	case OpTrue:
		return truthy(got)
	case OpNotTrue:
		return !truthy(got)
	}
	var want []string
	if c.Threshold != "" {
		want = []string{strconv.FormatFloat(e.cfg.Thresholds[c.Threshold], 'f', -1, 64)}
	} else {
		vals, err := conditionValues(c)
		if err != nil { // rejected by validation; treat as not holding
			return false
		}
		want = vals
	}
	switch c.Op {
	case OpIn:
		for _, w := range want {
			if equal(got, w) {
				return true
			}
		}
		return false
	case OpEq:
		return equal(got, want[0])
	case OpNe:
		return !equal(got, want[0])
	}
	// Ordered comparisons: a non-numeric value is never eligible (§7.3).
	g, ok1 := parseNumber(got)
	w, ok2 := parseNumber(want[0])
	if !ok1 || !ok2 {
		return false
	}
	switch c.Op {
	case OpGt:
		return g > w
	case OpGte:
		return g >= w
	case OpLt:
		return g < w
	case OpLte:
		return g <= w
	}
	return false
}

// fieldValue returns the value a condition field refers to.
func fieldValue(field string, current State, facts Facts) string {
	switch field {
	case "status":
		return current.Status
	case "fit_score":
		return intString(facts.FitScore)
	case "quality_score":
		return intString(facts.QualityScore)
	}
	return facts.Fields[field]
}

func intString(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

// equal compares numerically when both sides are numbers, else as strings.
func equal(a, b string) bool {
	if x, ok := parseNumber(a); ok {
		if y, ok := parseNumber(b); ok {
			return x == y
		}
	}
	return a == b
}

func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f, err == nil
}

// truthy reports whether a HaloPSA boolean field value is true.
func truthy(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes":
		return true
	}
	return false
}
