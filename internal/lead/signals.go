package lead

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FundingEvent is one funding round of the organisation (spec §1.2).
type FundingEvent struct {
	Type      string `json:"type,omitempty"` // "Series B", "Seed", …
	AmountUSD int64  `json:"amount_usd,omitempty"`
	Date      string `json:"date,omitempty"` // YYYY-MM-DD (or YYYY-MM)
}

// Growth is the organisation's growth (spec §1.2), in per cent over the
// provider's period (Apollo: twelve months). Nil fields are unknown.
type Growth struct {
	EmployeeGrowthPct *float64 `json:"employee_growth_pct,omitempty"`
	RevenueGrowthPct  *float64 `json:"revenue_growth_pct,omitempty"`
}

// Intent is one source's buyer-intent reading of the organisation (spec
// §1.2): the source key, its strength word, the topics and the date of the
// last activity (YYYY-MM-DD).
type Intent struct {
	Source       string   `json:"source"`
	Strength     string   `json:"strength,omitempty"`
	Topics       []string `json:"topics,omitempty"`
	LastActivity string   `json:"last_activity,omitempty"`
}

// maxSignalText is the length of the text custom fields CF_103, CF_104
// and CF_111.
const maxSignalText = 4000

// joinWithin joins parts with sep, stopping at the last whole part that
// fits in limit characters.
func joinWithin(parts []string, sep string, limit int) string {
	var b strings.Builder
	for _, p := range parts {
		n := len(p)
		if b.Len() > 0 {
			n += len(sep)
		}
		if b.Len()+n > limit {
			break
		}
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(p)
	}
	return b.String()
}

// eventMonth parses an event date (YYYY-MM-DD, YYYY-MM or an RFC 3339
// time) to its month.
func eventMonth(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.DateOnly, "2006-01", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC), true
		}
	}
	if len(s) >= 10 {
		if t, err := time.Parse(time.DateOnly, s[:10]); err == nil {
			return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC), true
		}
	}
	return time.Time{}, false
}

// money is an amount in the short form of CF_103: $950, $120K, $12.5M,
// $1.2B (one decimal, dropped when zero).
func money(usd int64) string {
	f := func(v float64, unit string) string {
		s := strconv.FormatFloat(v, 'f', 1, 64)
		return "$" + strings.TrimSuffix(s, ".0") + unit
	}
	switch {
	case usd >= 1_000_000_000:
		return f(float64(usd)/1e9, "B")
	case usd >= 1_000_000:
		return f(float64(usd)/1e6, "M")
	case usd >= 1_000:
		return f(float64(usd)/1e3, "K")
	}
	return "$" + strconv.FormatInt(usd, 10)
}

// GrowthSignals is CF_103 (spec §5.2): the funding events of the last 24
// months before now, newest first, as "Funding: <type> <$12.5M>
// (<YYYY-MM>)", then "Hiring growth +<n>%" when employee growth is at
// least 10 % and "Revenue growth +<n>%" when revenue growth is at least
// 20 %; at most 10 signals, joined " | ". Empty when none applies.
func GrowthSignals(events []FundingEvent, g *Growth, now time.Time) string {
	type dated struct {
		at   time.Time
		text string
	}
	cutoff := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -24, 0)
	var fs []dated
	seen := map[string]bool{}
	for _, e := range events {
		at, ok := eventMonth(e.Date)
		if !ok || at.Before(cutoff) || at.After(now) {
			continue
		}
		words := []string{"Funding:"}
		if t := strings.TrimSpace(e.Type); t != "" {
			words = append(words, t)
		}
		if e.AmountUSD > 0 {
			words = append(words, money(e.AmountUSD))
		}
		if len(words) == 1 {
			continue // neither a type nor an amount: nothing to say
		}
		text := strings.Join(words, " ") + " (" + at.Format("2006-01") + ")"
		if seen[text] {
			continue
		}
		seen[text] = true
		fs = append(fs, dated{at, text})
	}
	slices.SortStableFunc(fs, func(a, b dated) int { return b.at.Compare(a.at) })
	var out []string
	for _, f := range fs {
		out = append(out, f.text)
	}
	if g != nil && g.EmployeeGrowthPct != nil && *g.EmployeeGrowthPct >= 10 {
		out = append(out, fmt.Sprintf("Hiring growth +%.0f%%", *g.EmployeeGrowthPct))
	}
	if g != nil && g.RevenueGrowthPct != nil && *g.RevenueGrowthPct >= 20 {
		out = append(out, fmt.Sprintf("Revenue growth +%.0f%%", *g.RevenueGrowthPct))
	}
	if len(out) > 10 {
		out = out[:10]
	}
	return joinWithin(out, " | ", maxSignalText)
}

// ProjectPipelines is CF_104 (spec §5.2): "Adopting: <tech, …>" and
// "Hiring for: <up to 5 posting titles>", joined " | ". Empty when the
// lead has neither.
func ProjectPipelines(upcoming, postings []string) string {
	var parts []string
	if ts := nonEmpty(upcoming, 0); len(ts) > 0 {
		parts = append(parts, "Adopting: "+strings.Join(ts, ", "))
	}
	if ps := nonEmpty(postings, 5); len(ps) > 0 {
		parts = append(parts, "Hiring for: "+strings.Join(ps, ", "))
	}
	s := strings.Join(parts, " | ")
	if len(s) > maxSignalText {
		// Cut at the last whole item that fits.
		cut := strings.LastIndex(s[:maxSignalText], ", ")
		if cut < 0 {
			cut = maxSignalText
		}
		s = s[:cut]
	}
	return s
}

// nonEmpty returns the trimmed, case-insensitively distinct values of vs,
// at most limit of them (0: all).
func nonEmpty(vs []string, limit int) []string {
	var out []string
	for _, v := range vs {
		v = strings.TrimSpace(v)
		if v == "" || slices.ContainsFunc(out, func(x string) bool { return strings.EqualFold(x, v) }) {
			continue
		}
		out = append(out, v)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out
}

// IntentSignals is CF_111 (spec §5.2): one segment per source, newest
// last activity first, "<Source> <Strength>: <topic>, <topic> (last
// activity YYYY-MM-DD)", joined " | ". Topics are capped at 20 (spec
// §4.4); a source without topics says nothing.
func IntentSignals(intents []Intent) string {
	is := slices.Clone(intents)
	slices.SortStableFunc(is, func(a, b Intent) int {
		if c := strings.Compare(b.LastActivity, a.LastActivity); c != 0 {
			return c
		}
		return strings.Compare(a.Source, b.Source)
	})
	var out []string
	for _, in := range is {
		topics := nonEmpty(in.Topics, 20)
		if len(topics) == 0 {
			continue
		}
		head := sourceDisplay[in.Source]
		if head == "" {
			head = in.Source
		}
		if s := strings.TrimSpace(in.Strength); s != "" {
			head += " " + s
		}
		seg := head + ": " + strings.Join(topics, ", ")
		if at, err := time.Parse(time.DateOnly, firstN(in.LastActivity, 10)); err == nil {
			seg += " (last activity " + at.Format(time.DateOnly) + ")"
		}
		out = append(out, seg)
	}
	return joinWithin(out, " | ", maxSignalText)
}

func firstN(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// AddIntent records src's intent reading, replacing an older one of the
// same source (a newer or equal last activity wins).
func (l *Lead) AddIntent(in Intent) {
	for i, x := range l.Intent {
		if x.Source == in.Source {
			if in.LastActivity >= x.LastActivity {
				l.Intent[i] = in
			}
			return
		}
	}
	l.Intent = append(l.Intent, in)
}

// AddFundingEvent records e unless the same round (type and month) is
// known.
func (l *Lead) AddFundingEvent(e FundingEvent) {
	for _, x := range l.FundingEvents {
		if strings.EqualFold(x.Type, e.Type) && firstN(x.Date, 7) == firstN(e.Date, 7) {
			return
		}
	}
	l.FundingEvents = append(l.FundingEvents, e)
}

// mergeSignals folds other's company signals into l: unions of the
// upcoming technologies, job postings and funding rounds, intent per
// source by the newest activity, growth figures l lacks.
func (l *Lead) mergeSignals(other *Lead) {
	l.UpcomingTechnologies = nonEmpty(append(slices.Clone(l.UpcomingTechnologies), other.UpcomingTechnologies...), 0)
	l.JobPostings = nonEmpty(append(slices.Clone(l.JobPostings), other.JobPostings...), 0)
	for _, e := range other.FundingEvents {
		l.AddFundingEvent(e)
	}
	for _, in := range other.Intent {
		l.AddIntent(in)
	}
	if g := other.Growth; g != nil {
		if l.Growth == nil {
			l.Growth = &Growth{}
		}
		if l.Growth.EmployeeGrowthPct == nil {
			l.Growth.EmployeeGrowthPct = g.EmployeeGrowthPct
		}
		if l.Growth.RevenueGrowthPct == nil {
			l.Growth.RevenueGrowthPct = g.RevenueGrowthPct
		}
	}
}
