package workflow

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var at = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func defaultEngine(t *testing.T) *Engine {
	t.Helper()
	e, err := Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	return e
}

// promotable returns facts that satisfy every auto_promote condition.
func promotable() Facts {
	return Facts{Fields: map[string]string{
		"CF_201": "Legacy servers", "CF_204": "$10K-$50K", "CF_205": "1-3 months", "CF_206": "78",
	}}
}

func TestEmbeddedDefaultMatchesConfigFile(t *testing.T) {
	shipped, err := os.ReadFile(filepath.Join("..", "..", "config", "workflow.json"))
	if err != nil {
		t.Fatalf("read config/workflow.json: %v", err)
	}
	if !bytes.Equal(shipped, defaultConfig) {
		t.Fatal("internal/workflow/default.json differs from config/workflow.json; copy one over the other")
	}
	if !bytes.Equal(DefaultConfig(), defaultConfig) {
		t.Fatal("DefaultConfig does not return the embedded file")
	}
}

// TestAllowedTransitions walks every (from, to) pair of the default file and
// checks it is legal for a person, with the trigger the file names.
func TestAllowedTransitions(t *testing.T) {
	e := defaultEngine(t)
	var cfg Config
	if err := json.Unmarshal(defaultConfig, &cfg); err != nil {
		t.Fatal(err)
	}
	wantRows := 0
	for _, row := range cfg.Transitions {
		for _, from := range row.From {
			wantRows++
			t.Run(from+"->"+row.To, func(t *testing.T) {
				ev, err := e.Transition(State{TicketID: "T1", Status: from}, row.To, Facts{}, at)
				if err != nil {
					t.Fatalf("Transition: %v", err)
				}
				want := Event{
					Type: EventType, TicketID: "T1", Entity: e.Entity(row.To),
					From: from, FromID: cfg.Entities[e.Entity(from)].Statuses[from].ID,
					To: row.To, ToID: cfg.Entities[e.Entity(row.To)].Statuses[row.To].ID,
					At: at, Trigger: personTrigger(row.Trigger),
				}
				if ev != want {
					t.Errorf("event = %+v, want %+v", ev, want)
				}
			})
		}
	}
	// §7.2 has 25 (from, to) pairs (the two follow steps included), plus 3
	// manual conversions from statuses 1–3 (§7.3).
	if wantRows != 28 {
		t.Errorf("default file has %d (from, to) pairs, want 28", wantRows)
	}
}

func TestRefusedTransitions(t *testing.T) {
	e := defaultEngine(t)
	dnc := Facts{Fields: map[string]string{"CF_105": "true"}}
	observed := func(f Facts) Facts { f.Origin = OriginHaloPSA; return f }
	engine := func(f Facts) Facts { f.Origin = OriginEngine; return f }
	tests := []struct {
		name, from, to string
		facts          Facts
		reason         string
	}{
		{"skip a step", "new_lead", "contacted", Facts{}, ReasonNotAllowed},
		{"backward", "contacted", "researching", Facts{}, ReasonNotAllowed},
		{"reopen exit", "no_interest", "contacted", Facts{}, ReasonNotAllowed},
		{"won is final", "won", "lost", Facts{}, ReasonNotAllowed},
		{"cross entity", "engaged", "new_prospect", Facts{}, ReasonNotAllowed},
		{"unknown to", "new_lead", "bogus", Facts{}, ReasonUnknownStatus},
		{"unknown from", "bogus", "new_lead", Facts{}, ReasonUnknownStatus},
		{"same status", "qualified", "qualified", Facts{}, ReasonSameStatus},
		{"promote from prospecting", "prospecting", "promoted_to_opportunity", Facts{}, ReasonNotAllowed},
		{"observed promote from prospecting", "prospecting", "promoted_to_opportunity", observed(Facts{}), ReasonNotAllowed},
		{"observed convert from no_interest", "no_interest", "converted_to_prospect", observed(Facts{}), ReasonNotAllowed},
		{"observed convert from do_not_contact", "do_not_contact", "converted_to_prospect", observed(Facts{}), ReasonNotAllowed},
		{"observed convert while suppressed", "contacted", "converted_to_prospect", observed(Facts{Suppressed: true}), ReasonDoNotContact},
		{"observed promote with CF_105", "qualified", "promoted_to_opportunity", observed(dnc), ReasonDoNotContact},
		{"engine makes no manual move", "new_lead", "researching", engine(Facts{}), ReasonNotAllowed},
		{"engine DNC only from 1 or 2", "contacted", "do_not_contact", engine(Facts{}), ReasonNotAllowed},
		{"auto promote low fit", "qualified", "promoted_to_opportunity", engine(withField(promotable(), "CF_206", "69")), ReasonConditionFailed + "min_fit_score"},
		{"auto promote non-numeric fit", "qualified", "promoted_to_opportunity", engine(withField(promotable(), "CF_206", "high")), ReasonConditionFailed + "min_fit_score"},
		{"auto promote no pain points", "qualified", "promoted_to_opportunity", engine(withField(promotable(), "CF_201", "  ")), ReasonMissingField + "CF_201"},
		{"auto promote no budget", "qualified", "promoted_to_opportunity", engine(withField(promotable(), "CF_204", "")), ReasonMissingField + "CF_204"},
		{"auto promote no timeframe", "qualified", "promoted_to_opportunity", engine(withField(promotable(), "CF_205", "")), ReasonMissingField + "CF_205"},
		{"auto promote DNC", "qualified", "promoted_to_opportunity", engine(withField(promotable(), "CF_105", "true")), ReasonDoNotContact},
		{"auto promote suppressed", "qualified", "promoted_to_opportunity", engine(Facts{Fields: promotable().Fields, Suppressed: true}), ReasonDoNotContact},
		{"auto convert DNC", "engaged", "converted_to_prospect", engine(dnc), ReasonDoNotContact},
		{"auto convert suppressed", "engaged", "converted_to_prospect", engine(Facts{Suppressed: true}), ReasonDoNotContact},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Transition(State{Status: tc.from}, tc.to, tc.facts, at)
			var re *RefusedError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want *RefusedError", err)
			}
			if re.From != tc.from || re.To != tc.to || re.Reason != tc.reason {
				t.Errorf("refused %+v, want {%s %s %s}", *re, tc.from, tc.to, tc.reason)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("error text %q lacks reason", err)
			}
		})
	}
}

func withField(f Facts, key, value string) Facts {
	fields := make(map[string]string, len(f.Fields)+1)
	for k, v := range f.Fields {
		fields[k] = v
	}
	fields[key] = value
	f.Fields = fields
	return f
}

func TestDoNotContact(t *testing.T) {
	e := defaultEngine(t)
	for _, f := range []Facts{{Fields: map[string]string{"CF_105": "true"}}, {Suppressed: true}} {
		// A person may not move a DNC contact into an outreach status...
		for _, step := range [][2]string{
			{"new_lead", "researching"}, {"researching", "contacted"}, {"contacted", "engaged"},
			{"engaged", "converted_to_prospect"}, {"new_prospect", "prospecting"},
			{"qualified", "promoted_to_opportunity"}, {"new_opportunity", "progressing"},
		} {
			_, err := e.Transition(State{Status: step[0]}, step[1], f, at)
			var re *RefusedError
			if !errors.As(err, &re) || re.Reason != ReasonDoNotContact {
				t.Errorf("%v %s→%s: err = %v, want do_not_contact", f, step[0], step[1], err)
			}
		}
		// ...but may close it.
		for _, step := range [][2]string{{"contacted", "do_not_contact"}, {"engaged", "no_interest"}, {"qualified", "disqualified"}, {"negotiation", "lost"}} {
			if _, err := e.Transition(State{Status: step[0]}, step[1], f, at); err != nil {
				t.Errorf("%s→%s under DNC: %v", step[0], step[1], err)
			}
		}
		// No automatic rule fires.
		if evs := e.Auto(State{Status: "engaged"}, f, at); len(evs) != 0 {
			t.Errorf("Auto converted a DNC contact: %+v", evs)
		}
	}
	// leadstream moves a DNC lead to status 6 only from 1 or 2 (§7.4).
	for _, from := range []string{"new_lead", "researching"} {
		ev, err := e.Transition(State{Status: from}, "do_not_contact", Facts{Suppressed: true, Origin: OriginEngine}, at)
		if err != nil {
			t.Fatalf("engine DNC move from %s: %v", from, err)
		}
		if !ev.Auto || ev.Trigger != "do_not_contact" || ev.ToID != 6 {
			t.Errorf("engine DNC event = %+v", ev)
		}
	}
}

func TestOffPath(t *testing.T) {
	e := defaultEngine(t)
	obs := Facts{Origin: OriginHaloPSA, ObservedBy: "poll"}
	for _, step := range [][2]string{
		{"new_lead", "engaged"},               // skipped steps
		{"negotiation", "new_opportunity"},    // backward
		{"no_interest", "contacted"},          // re-opened exit
		{"new_lead", "converted_to_prospect"}, // manual conversion from 1 (§7.3), configured
	} {
		ev, err := e.Transition(State{Status: step[0]}, step[1], obs, at)
		if err != nil {
			t.Fatalf("%s→%s observed: %v", step[0], step[1], err)
		}
		wantOff := step[1] != "converted_to_prospect"
		if ev.OffPath != wantOff || ev.ObservedBy != "poll" || ev.Trigger != TriggerManual || ev.Auto {
			t.Errorf("%s→%s event = %+v, want off_path %v", step[0], step[1], ev, wantOff)
		}
	}
}

func TestAuto(t *testing.T) {
	e := defaultEngine(t)
	evs := e.Auto(State{TicketID: "T", Status: "engaged"}, Facts{}, at)
	assertPath(t, evs, "engaged", "converted_to_prospect", "new_prospect")
	if evs[0].Trigger != "auto_convert" || evs[1].Trigger != TriggerFollow || evs[1].Entity != EntityProspect {
		t.Errorf("conversion events = %+v", evs)
	}
	evs = e.Auto(State{TicketID: "T", Status: "qualified"}, promotable(), at)
	assertPath(t, evs, "qualified", "promoted_to_opportunity", "new_opportunity")
	if evs[0].Trigger != "auto_promote" || evs[1].Entity != EntityOpportunity {
		t.Errorf("promotion events = %+v", evs)
	}
	for _, ev := range evs {
		if !ev.Auto || !ev.At.Equal(at) || ev.TicketID != "T" {
			t.Errorf("auto event = %+v", ev)
		}
	}
	// Fit exactly at the threshold promotes; below it waits for a person.
	if evs := e.Auto(State{Status: "qualified"}, withField(promotable(), "CF_206", "70"), at); len(evs) != 2 {
		t.Errorf("fit 70 did not promote: %+v", evs)
	}
	if evs := e.Auto(State{Status: "qualified"}, withField(promotable(), "CF_206", "69"), at); len(evs) != 0 {
		t.Errorf("fit 69 promoted: %+v", evs)
	}
	for _, st := range []string{"new_lead", "contacted", "prospecting", "negotiation", "won"} {
		if evs := e.Auto(State{Status: st}, promotable(), at); len(evs) != 0 {
			t.Errorf("Auto at %s = %+v, want none", st, evs)
		}
	}
	// With the rule off, engaged leads wait for a person.
	off := bytes.Replace(defaultConfig, []byte(`"auto_convert": {"enabled": true`), []byte(`"auto_convert": {"enabled": false`), 1)
	eo, err := Load(bytes.NewReader(off))
	if err != nil {
		t.Fatal(err)
	}
	if evs := eo.Auto(State{Status: "engaged"}, Facts{}, at); len(evs) != 0 {
		t.Errorf("disabled auto_convert fired: %+v", evs)
	}
	if _, err := eo.Transition(State{Status: "engaged"}, "converted_to_prospect", Facts{}, at); err != nil {
		t.Errorf("manual conversion with rule off: %v", err)
	}
}

func assertPath(t *testing.T, evs []Event, path ...string) {
	t.Helper()
	if len(evs) != len(path)-1 {
		t.Fatalf("got %d events %+v, want path %v", len(evs), evs, path)
	}
	for i, ev := range evs {
		if ev.From != path[i] || ev.To != path[i+1] {
			t.Fatalf("event %d = %s→%s, want %s→%s", i, ev.From, ev.To, path[i], path[i+1])
		}
	}
}

// TestLeadToWon takes one ticket through every stage, mixing person moves
// with the automatic rules, and checks the event log.
func TestLeadToWon(t *testing.T) {
	e := defaultEngine(t)
	cur := State{TicketID: "4711", Status: "new_lead"}
	var log []Event
	move := func(to string, f Facts) {
		t.Helper()
		ev, err := e.Transition(cur, to, f, at.Add(time.Duration(len(log))*time.Hour))
		if err != nil {
			t.Fatalf("%s → %s: %v", cur.Status, to, err)
		}
		log = append(log, ev)
		cur.Status = to
	}
	auto := func(f Facts) {
		t.Helper()
		evs := e.Auto(cur, f, at.Add(time.Duration(len(log))*time.Hour))
		if len(evs) == 0 {
			t.Fatalf("no automatic rule fired at %s", cur.Status)
		}
		log = append(log, evs...)
		cur.Status = evs[len(evs)-1].To
	}
	move("researching", Facts{})
	move("contacted", Facts{})
	move("engaged", Facts{})
	auto(Facts{})
	move("prospecting", Facts{})
	move("qualified", Facts{})
	auto(promotable())
	move("progressing", Facts{})
	move("negotiation", Facts{})
	move("won", Facts{})

	want := []string{"new_lead", "researching", "contacted", "engaged", "converted_to_prospect", "new_prospect",
		"prospecting", "qualified", "promoted_to_opportunity", "new_opportunity", "progressing", "negotiation", "won"}
	assertPath(t, log, want...)
	if !log[3].At.Equal(log[4].At) || !log[7].At.Equal(log[8].At) {
		t.Error("an advance and its follow step must share one timestamp")
	}
	for _, ev := range log {
		if ev.OffPath {
			t.Errorf("on-path move marked off_path: %+v", ev)
		}
	}
	// Events are JSON with snake_case keys.
	b, err := json.Marshal(log[len(log)-1])
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"ticket_id":"4711"`, `"entity":"opportunity"`, `"from":"negotiation"`, `"to":"won"`, `"to_id":23`, `"off_path":false`, `"trigger":"manual"`, `"auto":false`} {
		if !bytes.Contains(b, []byte(key)) {
			t.Errorf("event JSON %s lacks %s", b, key)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	base := string(defaultConfig)
	tests := []struct {
		name, old, new, want string
	}{
		{"unknown top-level key", `"version": 1,`, `"version": 1, "colour": "red",`, `unknown field "colour"`},
		{"unknown status key", `"new_lead": {"id": 1, "kind": "initial"}`, `"new_lead": {"id": 1, "kind": "initial", "x": 1}`, `unknown field "x"`},
		{"bad version", `"version": 1,`, `"version": 2,`, "version"},
		{"duplicate status in entity", `"researching": {"id": 2, "kind": "active"}`, `"researching": {"id": 2, "kind": "active"}, "researching": {"id": 9, "kind": "active"}`, `entities.lead.statuses: duplicate key "researching"`},
		{"duplicate rule", `"auto_promote": {"enabled": true`, `"auto_convert": {"enabled": true`, `rules: duplicate key "auto_convert"`},
		{"duplicate threshold", `"warm_from": 60`, `"warm_from": 60, "hot_above": 90`, `thresholds: duplicate key "hot_above"`},
		{"duplicate status across entities", `"prospecting": {"id": 11, "kind": "active"}`, `"prospecting": {"id": 11, "kind": "active"}, "engaged": {"id": 15, "kind": "active"}`, "entities.prospect.statuses.engaged: duplicate status name"},
		{"duplicate id", `"contacted": {"id": 3,`, `"contacted": {"id": 2,`, "entities.lead.statuses.researching.id: duplicate id 2, already used by \"contacted\""},
		{"bad kind", `"engaged": {"id": 4, "kind": "active"}`, `"engaged": {"id": 4, "kind": "hot"}`, `entities.lead.statuses.engaged.kind: unknown kind "hot"`},
		{"two initials", `"researching": {"id": 2, "kind": "active"}`, `"researching": {"id": 2, "kind": "initial"}`, "entities.lead.statuses: want exactly one initial"},
		{"missing entity", `"opportunity": {"ticket_type_id": null`, `"deal": {"ticket_type_id": null`, "entities.opportunity: missing"},
		{"unknown to", `"to": "researching", "trigger": "manual"`, `"to": "researchin", "trigger": "manual"`, `transitions[0].to: unknown status "researchin"`},
		{"unknown from", `{"from": ["new_lead"], "to": "researching"`, `{"from": ["nu_lead"], "to": "researching"`, `transitions[0].from[0]: unknown status "nu_lead"`},
		{"empty from", `{"from": ["new_lead"], "to": "researching"`, `{"from": [], "to": "researching"`, "transitions[0].from: empty"},
		{"duplicate transition", `{"from": ["researching"], "to": "contacted", "trigger": "manual"}`, `{"from": ["researching"], "to": "contacted", "trigger": "manual"}, {"from": ["researching"], "to": "contacted", "trigger": "manual"}`, "transitions[2].from[0]: duplicate transition"},
		{"self transition", `{"from": ["new_lead"], "to": "researching"`, `{"from": ["researching"], "to": "researching"`, "transitions[0].from[0]: self-transition"},
		{"cross entity", `{"from": ["prospecting"], "to": "qualified"`, `{"from": ["contacted"], "to": "qualified"`, "crosses entities"},
		{"unknown trigger", `"to": "researching", "trigger": "manual"`, `"to": "researching", "trigger": "robot"`, `transitions[0].trigger: unknown trigger "robot"`},
		{"rule when_status", `"when_status": "engaged"`, `"when_status": "engagd"`, `rules.auto_convert.when_status: unknown status "engagd"`},
		{"bad op", `{"field": "CF_201", "op": "not_empty"}`, `{"field": "CF_201", "op": "present"}`, `rules.auto_promote.conditions[1]: op: unknown operator "present"`},
		{"bad field", `{"field": "CF_201", "op": "not_empty"}`, `{"field": "pain", "op": "not_empty"}`, `rules.auto_promote.conditions[1]: field: unknown field "pain"`},
		{"unknown threshold", `"threshold": "min_fit_score"}`, `"threshold": "min_fit"}`, `rules.auto_promote.conditions[0]: threshold: unknown threshold "min_fit"`},
		{"value and threshold", `"threshold": "min_fit_score"}`, `"threshold": "min_fit_score", "value": 70}`, "needs exactly one of value or threshold"},
		{"unary with value", `{"field": "CF_201", "op": "not_empty"}`, `{"field": "CF_201", "op": "not_empty", "value": "x"}`, "takes neither value nor threshold"},
		{"gte non-number", `"threshold": "min_fit_score"}`, `"value": "high"}`, `value: "high" is not a number`},
		{"in without list", `{"field": "CF_201", "op": "not_empty"}`, `{"field": "status", "op": "in", "value": "qualified"}`, "op in needs a JSON array"},
		{"status value unknown", `{"field": "CF_201", "op": "not_empty"}`, `{"field": "status", "op": "in", "value": ["qualifed"]}`, `value: unknown status "qualifed"`},
		{"missing min_fit_score", `"min_fit_score": 70,`, ``, "thresholds.min_fit_score: missing"},
		{"bad probability", `"probability": 100}`, `"probability": 101}`, "entities.opportunity.statuses.won.probability"},
		{"trailing data", `"analytics": {"min_sample": 20}`, `"analytics": {"min_sample": 20}} {`, "trailing data"},
		{"not JSON", "{", "[", "decode"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(base, tc.old) {
				t.Fatalf("test fixture: %q not in default config", tc.old)
			}
			src := strings.Replace(base, tc.old, tc.new, 1)
			_, err := Load(strings.NewReader(src))
			if err == nil {
				t.Fatalf("Load accepted a config with %s", tc.name)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "workflow: load config: ") {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestConditionOps(t *testing.T) {
	e := defaultEngine(t)
	fit := 82
	cur := State{Status: "qualified"}
	f := Facts{FitScore: &fit, Fields: map[string]string{"CF_105": "TRUE", "CF_204": "$10K-$50K"}}
	tests := []struct {
		c    Condition
		want bool
	}{
		{Condition{Field: "fit_score", Op: OpGt, Value: json.RawMessage(`80`)}, true},
		{Condition{Field: "fit_score", Op: OpLte, Value: json.RawMessage(`80`)}, false},
		{Condition{Field: "fit_score", Op: OpGte, Threshold: "hot_above"}, true},
		{Condition{Field: "fit_score", Op: OpLt, Threshold: "warm_from"}, false},
		{Condition{Field: "quality_score", Op: OpLt, Threshold: "quality_review_below"}, false},
		{Condition{Field: "quality_score", Op: OpEmpty}, true},
		{Condition{Field: "fit_score", Op: OpEq, Value: json.RawMessage(`82.0`)}, true},
		{Condition{Field: "status", Op: OpNe, Value: json.RawMessage(`"qualified"`)}, false},
		{Condition{Field: "status", Op: OpIn, Value: json.RawMessage(`["prospecting","qualified"]`)}, true},
		{Condition{Field: "CF_204", Op: OpIn, Value: json.RawMessage(`["<$10K"]`)}, false},
		{Condition{Field: "CF_105", Op: OpTrue}, true},
		{Condition{Field: "CF_105", Op: OpNotTrue}, false},
		{Condition{Field: "CF_999", Op: OpNotTrue}, true},
	}
	for _, tc := range tests {
		if got := e.holds(tc.c, cur, f); got != tc.want {
			t.Errorf("%+v holds = %v, want %v", tc.c, got, tc.want)
		}
	}
}
