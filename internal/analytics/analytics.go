// Package analytics computes the workflow analytics of crm.md §7.8 from
// the transition log (the status_changed events the crm stage writes to
// leads.events): per stage (lead, prospect, opportunity) the cohort of
// tickets that entered it within [from, to), how many advanced, exited or
// are still open, the conversion rate, dwell times per stage and per
// status, the funnel rate and the bottleneck.
//
// Reading the log: a ticket's status intervals run from one transition to
// the next. A ticket enters a stage with the first transition that touches
// one of the stage's statuses (its "from" or its "to"): for a lead created
// at new_lead the log's first entry is the move out of it, which is when
// leadstream first knew of the lead in that stage. Dwell is measured only
// on intervals whose start is in the log.
package analytics

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/leadstream/leadstream/internal/workflow"
)

// Transition is one entry of the transition log.
type Transition struct {
	TicketID string    `json:"ticket_id"`
	Entity   string    `json:"entity"`
	From     string    `json:"from"`
	To       string    `json:"to"`
	At       time.Time `json:"at"`
	Trigger  string    `json:"trigger"`
	OffPath  bool      `json:"off_path"`
}

// Dwell summarises durations in seconds; nil where there were none.
type Dwell struct {
	Mean          *float64 `json:"mean"`
	Median        *float64 `json:"median"`
	OpenAgeMedian *float64 `json:"open_age_median"`
}

// StatusReport is one status of a stage.
type StatusReport struct {
	ID      int    `json:"id"`
	Code    string `json:"code"`
	Entered int    `json:"entered"`
	Dwell   Dwell  `json:"dwell_seconds"`
}

// StageReport is one stage of the funnel.
type StageReport struct {
	Stage          string         `json:"stage"`
	Entered        int            `json:"entered"`
	Advanced       int            `json:"advanced"`
	Exited         int            `json:"exited"`
	Open           int            `json:"open"`
	ConversionRate *float64       `json:"conversion_rate"`
	Dwell          Dwell          `json:"dwell_seconds"`
	Statuses       []StatusReport `json:"statuses"`
}

// Period is the reported window.
type Period struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Report is the answer of GET /api/analytics/workflow.
type Report struct {
	Period             Period        `json:"period"`
	Stages             []StageReport `json:"stages"`
	FunnelRate         *float64      `json:"funnel_rate"`
	Bottleneck         Bottleneck    `json:"bottleneck"`
	OffPathTransitions int           `json:"off_path_transitions"`
}

// Bottleneck names the slowest status and the weakest stage; each is nil
// without min_sample completed observations.
type Bottleneck struct {
	ByDwell *struct {
		Status        string  `json:"status"`
		MedianSeconds float64 `json:"median_seconds"`
	} `json:"by_dwell"`
	ByConversion *struct {
		Stage          string  `json:"stage"`
		ConversionRate float64 `json:"conversion_rate"`
	} `json:"by_conversion"`
}

// Stages in funnel order.
var Stages = []string{workflow.EntityLead, workflow.EntityProspect, workflow.EntityOpportunity}

// Model is the workflow's statuses: code → entity, id and kind.
type Model struct {
	entity map[string]string
	def    map[string]workflow.StatusDef
	// MinSample is the fewest completed observations a bottleneck needs.
	MinSample int
}

// DefaultModel reads the embedded default workflow configuration.
func DefaultModel() (*Model, error) {
	return NewModel(workflow.DefaultConfig())
}

// NewModel reads a workflow configuration file (crm.md §7.7).
func NewModel(configJSON []byte) (*Model, error) {
	var cfg workflow.Config
	if err := json.Unmarshal(configJSON, &cfg); err != nil {
		return nil, fmt.Errorf("analytics: workflow configuration: %w", err)
	}
	m := &Model{entity: map[string]string{}, def: map[string]workflow.StatusDef{}, MinSample: cfg.Analytics.MinSample}
	if m.MinSample <= 0 {
		m.MinSample = 20
	}
	for ent, e := range cfg.Entities {
		for code, d := range e.Statuses {
			m.entity[code], m.def[code] = ent, d
		}
	}
	return m, nil
}

// interval is one stay of a ticket in a status or a stage.
type interval struct {
	start, end time.Time // end zero: open
}

// Compute reports on the transitions for [from, to); now ages the open
// intervals (to when it is earlier).
func (m *Model) Compute(log []Transition, from, to, now time.Time, only string) *Report {
	if now.After(to) {
		now = to
	}
	byTicket := map[string][]Transition{}
	r := &Report{Period: Period{From: from.UTC(), To: to.UTC()}}
	for _, t := range log {
		if t.TicketID == "" {
			continue
		}
		byTicket[t.TicketID] = append(byTicket[t.TicketID], t)
		if t.OffPath && in(t.At, from, to) {
			r.OffPathTransitions++
		}
	}
	type stageAcc struct {
		entered, advanced, exited int
		done, open                []float64
	}
	stages := map[string]*stageAcc{}
	statusEntered := map[string]int{}
	statusDone, statusOpen := map[string][]float64{}, map[string][]float64{}
	for _, s := range Stages {
		stages[s] = &stageAcc{}
	}
	for _, ts := range byTicket {
		sort.SliceStable(ts, func(i, j int) bool { return ts[i].At.Before(ts[j].At) })
		// Status intervals.
		for i, t := range ts {
			end := time.Time{}
			if i+1 < len(ts) {
				end = ts[i+1].At
			}
			if in(t.At, from, to) {
				statusEntered[t.To]++
			}
			switch {
			case !end.IsZero() && in(end, from, to):
				statusDone[t.To] = append(statusDone[t.To], end.Sub(t.At).Seconds())
			case end.IsZero() && in(t.At, from, to) && m.def[t.To].Kind != workflow.KindExit && m.def[t.To].Kind != workflow.KindAdvance:
				statusOpen[t.To] = append(statusOpen[t.To], now.Sub(t.At).Seconds())
			}
		}
		// Stage stays.
		for _, stage := range Stages {
			var entry, leave time.Time
			outcome := ""
			for _, t := range ts {
				touches := m.entity[t.From] == stage || m.entity[t.To] == stage
				if entry.IsZero() && touches {
					entry = t.At
				}
				if !entry.IsZero() && outcome == "" && m.entity[t.To] == stage {
					switch m.def[t.To].Kind {
					case workflow.KindAdvance:
						outcome, leave = "advanced", t.At
					case workflow.KindExit:
						outcome, leave = "exited", t.At
					}
				}
				if !entry.IsZero() && outcome == "" && m.entity[t.To] != "" && m.entity[t.To] != stage && m.entity[t.From] == stage {
					// Moved on to another stage without the advance status.
					outcome, leave = "advanced", t.At
				}
			}
			if entry.IsZero() || !in(entry, from, to) {
				continue
			}
			acc := stages[stage]
			acc.entered++
			switch outcome {
			case "advanced":
				acc.advanced++
			case "exited":
				acc.exited++
			}
			if leave.IsZero() {
				acc.open = append(acc.open, now.Sub(entry).Seconds())
			} else if in(leave, from, to) {
				acc.done = append(acc.done, leave.Sub(entry).Seconds())
			}
		}
	}
	type cand struct {
		code   string
		median float64
	}
	var slowest *cand
	for _, stage := range Stages {
		if only != "" && only != stage {
			continue
		}
		acc := stages[stage]
		sr := StageReport{Stage: stage, Entered: acc.entered, Advanced: acc.advanced, Exited: acc.exited,
			Open: acc.entered - acc.advanced - acc.exited, Dwell: dwell(acc.done, acc.open)}
		if n := acc.advanced + acc.exited; n > 0 {
			sr.ConversionRate = ptr(round(float64(acc.advanced) / float64(n)))
			if n >= m.MinSample && (r.Bottleneck.ByConversion == nil || *sr.ConversionRate < r.Bottleneck.ByConversion.ConversionRate) {
				r.Bottleneck.ByConversion = &struct {
					Stage          string  `json:"stage"`
					ConversionRate float64 `json:"conversion_rate"`
				}{stage, *sr.ConversionRate}
			}
		}
		for _, code := range m.codes(stage) {
			d := m.def[code]
			st := StatusReport{ID: d.ID, Code: code, Entered: statusEntered[code], Dwell: dwell(statusDone[code], statusOpen[code])}
			sr.Statuses = append(sr.Statuses, st)
			if d.Kind != workflow.KindExit && len(statusDone[code]) >= m.MinSample && st.Dwell.Median != nil &&
				(slowest == nil || *st.Dwell.Median > slowest.median) {
				slowest = &cand{code, *st.Dwell.Median}
			}
		}
		r.Stages = append(r.Stages, sr)
	}
	if slowest != nil {
		r.Bottleneck.ByDwell = &struct {
			Status        string  `json:"status"`
			MedianSeconds float64 `json:"median_seconds"`
		}{slowest.code, slowest.median}
	}
	if leads := stages[workflow.EntityLead].entered; leads > 0 {
		r.FunnelRate = ptr(round(float64(stages[workflow.EntityOpportunity].advanced) / float64(leads)))
	}
	return r
}

// codes lists a stage's status codes by id.
func (m *Model) codes(stage string) []string {
	var out []string
	for code, ent := range m.entity {
		if ent == stage {
			out = append(out, code)
		}
	}
	sort.Slice(out, func(i, j int) bool { return m.def[out[i]].ID < m.def[out[j]].ID })
	return out
}

func in(t, from, to time.Time) bool { return !t.Before(from) && t.Before(to) }

func dwell(done, open []float64) Dwell {
	var d Dwell
	if len(done) > 0 {
		sum := 0.0
		for _, v := range done {
			sum += v
		}
		d.Mean = ptr(round(sum / float64(len(done))))
		d.Median = ptr(round(median(done)))
	}
	if len(open) > 0 {
		d.OpenAgeMedian = ptr(round(median(open)))
	}
	return d
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func round(v float64) float64 { return math.Round(v*1000) / 1000 }

func ptr(v float64) *float64 { return &v }
