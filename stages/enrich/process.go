package enrich

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/connectors/pull"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
	"github.com/leadstream/leadstream/stages/enrich/ledger"
)

// Skip reasons (metric labels and lead issue codes "enrich_<reason>").
const (
	reasonBudget        = "budget"
	reasonDown          = "provider_down"
	reasonQuota         = "quota"
	reasonLedgerOpen    = "ledger_open"
	reasonNotConfigured = "not_configured"
	reasonNotFound      = "not_found"
	reasonNoIdentity    = "no_identity"
	reasonInvalidValue  = "invalid_value"
)

// maxConcurrentCalls bounds one provider's requests in flight per
// partition; the client's limiter paces them.
const maxConcurrentCalls = 8

// stateTable is the part of pipeline.Table the processor uses.
type stateTable interface {
	ledger.Table
	Commit(ctx context.Context) error
}

type processor struct {
	s         *Stage
	partition int32
	table     stateTable
	lg        *ledger.Ledger
}

// item is one lead going down the waterfall.
type item struct {
	l        *lead.Lead
	pk, dk   string   // the primary person key (ledger item) and the domain key
	keys     []string // every person key, pk first
	need     []enrich.Attribute
	filled   map[enrich.Attribute]bool
	tried    map[string]bool // person lookups at a provider, answered or skipped
	triedCo  map[string]bool // company lookups at a provider
	why      map[enrich.Attribute]string
	exhaust  map[enrich.Attribute]bool
	lookedUp bool
}

func (it *item) unmet() []enrich.Attribute {
	var out []enrich.Attribute
	for _, a := range it.need {
		if !it.filled[a] && !it.exhaust[a] {
			out = append(out, a)
		}
	}
	return out
}

// Process implements pipeline.Processor.
func (p *processor) Process(ctx context.Context, in *pipeline.Envelope, out *pipeline.Emitter) error {
	errs, err := p.ProcessBatch(ctx, []*pipeline.Envelope{in}, []*pipeline.Emitter{out})
	if err != nil {
		return err
	}
	return errs[0]
}

// ProcessBatch implements pipeline.BatchProcessor.
func (p *processor) ProcessBatch(ctx context.Context, batch []*pipeline.Envelope, outs []*pipeline.Emitter) ([]error, error) {
	if p.lg != nil {
		now := p.s.opts.Now()
		var items []*item
		for _, env := range batch {
			l := env.Lead
			if l == nil || l.DoNotContact {
				continue
			}
			need := p.s.opts.Waterfall.Needs(l, now)
			if len(need) == 0 {
				continue
			}
			keys := ledger.PersonKeys(env.LeadID, l)
			pk := ""
			if len(keys) > 0 {
				pk = keys[0]
			}
			items = append(items, &item{l: l, pk: pk, keys: keys, dk: ledger.DomainKey(l.Domain), need: need,
				filled: map[enrich.Attribute]bool{}, tried: map[string]bool{}, triedCo: map[string]bool{},
				why: map[enrich.Attribute]string{}, exhaust: map[enrich.Attribute]bool{}})
		}
		if len(items) > 0 {
			if err := p.enrich(ctx, items, now); err != nil {
				return nil, err
			}
		}
	}
	errs := make([]error, len(batch))
	for i, env := range batch {
		if env.Lead != nil {
			score(env.Lead)
		}
		outs[i].Emit(pipeline.TopicEnriched, env.Key, env)
	}
	return errs, nil
}

// personCall is one paid lookup of a person at a provider; several items
// of one person share it.
type personCall struct {
	provider string
	pk       string
	keys     []string
	person   enrich.Person
	want     []enrich.Attribute
	items    []*item
	result   enrich.Result
	err      error
}

// companyCall is one paid lookup of a domain at a provider.
type companyCall struct {
	provider string
	dk       string
	domain   string
	items    []*item
	facts    enrich.CompanyFacts
	credits  float64
	found    bool
	err      error
}

// enrich runs the waterfall rounds: each round asks every item's next
// provider for its unmet attributes, from the cache where it can, else
// with paid calls entered in the ledger first.
func (p *processor) enrich(ctx context.Context, items []*item, now time.Time) error {
	m := p.s.opts.Metrics
	for round := 0; round < 16; round++ {
		persons := map[string]*personCall{}    // provider|pk → call
		companies := map[string]*companyCall{} // provider|dk → call
		var order []string
		var corder []string
		active := false
		for _, it := range items {
			byProv := map[string][]enrich.Attribute{}
			for _, a := range it.unmet() {
				prov := p.nextProvider(it, a)
				if prov == "" {
					it.exhaust[a] = true
					continue
				}
				byProv[prov] = append(byProv[prov], a)
			}
			for prov, want := range byProv {
				active = true
				if slices.Contains(want, enrich.Company) {
					it.triedCo[prov] = true
					if err := p.planCompany(it, prov, now, companies, &corder); err != nil {
						return err
					}
					want = slices.DeleteFunc(want, func(a enrich.Attribute) bool { return a == enrich.Company })
					if len(want) == 0 {
						continue
					}
				}
				it.tried[prov] = true
				if err := p.planPerson(ctx, it, prov, want, now, persons, &order); err != nil {
					return err
				}
			}
		}
		if !active {
			break
		}
		if len(order)+len(corder) == 0 {
			continue
		}
		// The ledger entries are durable before any call is sent.
		if err := p.table.Commit(ctx); err != nil {
			return fmt.Errorf("enrich: ledger: %w", err)
		}
		p.call(ctx, persons, order, companies, corder)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		for _, k := range order {
			c := persons[k]
			if err := p.settlePerson(c, now); err != nil {
				return err
			}
		}
		for _, k := range corder {
			c := companies[k]
			if err := p.settleCompany(c, now); err != nil {
				return err
			}
		}
		if err := p.table.Commit(ctx); err != nil {
			return fmt.Errorf("enrich: ledger: %w", err)
		}
	}
	for _, it := range items {
		if it.lookedUp {
			m.lookedUp.Add(1)
		}
		filledAny := false
		for _, a := range it.need {
			if it.filled[a] {
				filledAny = true
				continue
			}
			why := it.why[a]
			if why == "" {
				why = reasonNotFound
			}
			m.Unfilled.WithLabelValues(string(a), why).Inc()
			it.l.Issues = append(it.l.Issues, lead.Issue{Field: string(a), Code: "enrich_" + why})
		}
		if filledAny {
			m.filled.Add(1)
			it.l.Rederive()
		}
	}
	return nil
}

// nextProvider is the first provider of a's waterfall not yet tried for it.
func (p *processor) nextProvider(it *item, a enrich.Attribute) string {
	for _, prov := range p.s.opts.Waterfall.Attributes[a].Providers {
		tried := it.tried[prov]
		if a == enrich.Company {
			tried = it.triedCo[prov]
		}
		if !tried {
			return prov
		}
	}
	return ""
}

func (it *item) skip(want []enrich.Attribute, why string) {
	for _, a := range want {
		it.why[a] = why
	}
}

// budgetShare is this partition's share of a budget.
func (p *processor) budgetShare(b *float64) *float64 {
	if b == nil {
		return nil
	}
	v := *b / float64(p.s.opts.Partitions)
	return &v
}

// admit decides whether a paid call may go to prov; it returns the skip
// reason otherwise.
func (p *processor) admit(prov, item string, cost float64, now time.Time) (string, error) {
	if why, down := p.s.health.down(prov, now); down {
		return why, nil
	}
	if e, ok, err := p.lg.Entry(prov, item, now); err != nil {
		return "", err
	} else if ok && e.State == ledger.Open {
		// Paid for before and the answer was lost (a crash between the
		// call and storing it): never pay again for it, unless the
		// provider does not charge a repeat, which is then the way to
		// get the answer back.
		if fr, ok := p.s.opts.Providers[prov].(enrich.FreeRepeater); !ok || !fr.RepeatsFree() {
			return reasonLedgerOpen, nil
		}
		p.s.opts.Metrics.Reconciled.WithLabelValues(prov).Inc()
		return "", nil
	}
	pc := p.s.opts.Waterfall.Providers[prov]
	ok, err := p.lg.Allows(prov, cost, p.budgetShare(pc.Budget.Day), p.budgetShare(pc.Budget.Month), now)
	if err != nil {
		return "", err
	}
	if !ok {
		return reasonBudget, nil
	}
	return "", p.lg.Begin(prov, item, cost, now)
}

func (p *processor) planPerson(ctx context.Context, it *item, prov string, want []enrich.Attribute, now time.Time, calls map[string]*personCall, order *[]string) error {
	m := p.s.opts.Metrics
	pv := p.s.opts.Providers[prov]
	if pv == nil {
		it.skip(want, reasonNotConfigured)
		m.Skipped.WithLabelValues(prov, reasonNotConfigured).Inc()
		return nil
	}
	// An address the lead has but nobody verified is verified by a
	// provider that can, under the address's own key, rather than found
	// again.
	pk, keys := it.pk, it.keys
	verify := p.verifyAddress(it, pv, want)
	if verify != "" {
		pk = ledger.VerifyKey(verify)
		keys = []string{pk}
	}
	if pk == "" {
		it.skip(want, reasonNoIdentity)
		return nil
	}
	for _, k := range keys {
		if c, ok := calls[prov+"|"+k]; ok {
			// The same person in this round: one call serves both. (A
			// wanted attribute added now may miss a reveal already planned.)
			it.lookedUp = true
			c.items = append(c.items, it)
			for _, a := range want {
				if !slices.Contains(c.want, a) {
					c.want = append(c.want, a)
				}
			}
			return nil
		}
	}
	for _, k := range keys {
		ans, ok, err := p.lg.Person(prov, k, now)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		it.lookedUp = true
		m.hit(prov)
		if ans.RevealPending {
			ans = p.reconcile(ctx, prov, k, ans)
		}
		// Found under another key: the lead's own keys learn it too.
		for _, other := range keys {
			if other != k {
				p.lg.PutPerson(prov, other, ans)
			}
		}
		p.apply(it, prov, ans.Result, now)
		return nil
	}
	why, err := p.admit(prov, pk, pv.Cost(want), now)
	if err != nil {
		return err
	}
	if why != "" {
		it.skip(want, why)
		m.Skipped.WithLabelValues(prov, why).Inc()
		return nil
	}
	it.lookedUp = true
	c := &personCall{provider: prov, pk: pk, keys: keys, want: slices.Clone(want), items: []*item{it}, person: enrich.Person{
		Ref: pk, FirstName: it.l.FirstName, LastName: it.l.LastName, Company: it.l.Company, Domain: it.l.Domain,
		Email: it.l.Email, LinkedIn: it.l.LinkedInURL, VerifyEmail: verify}}
	for _, k := range keys {
		calls[prov+"|"+k] = c
	}
	*order = append(*order, prov+"|"+pk)
	return nil
}

// verifyAddress is the address prov should verify for it instead of
// finding one: only when the e-mail rule asks for unverified addresses,
// the e-mail is all that is wanted from prov, prov verifies, and the
// lead's primary address is usable but unverified (or has no status).
func (p *processor) verifyAddress(it *item, pv enrich.Provider, want []enrich.Attribute) string {
	if len(want) != 1 || want[0] != enrich.Email || !p.s.opts.Waterfall.Attributes[enrich.Email].When.Unverified {
		return ""
	}
	if v, ok := pv.(enrich.Verifier); !ok || !v.VerifiesEmail() {
		return ""
	}
	e, ok := it.l.PrimaryEmail()
	if !ok || !e.Usable() || (e.Status != lead.EmailUnverified && e.Status != lead.EmailNone && e.Status != "") {
		return ""
	}
	return e.Address
}

func (p *processor) planCompany(it *item, prov string, now time.Time, calls map[string]*companyCall, order *[]string) error {
	m := p.s.opts.Metrics
	cp := p.s.opts.Companies[prov]
	want := []enrich.Attribute{enrich.Company}
	if cp == nil {
		it.skip(want, reasonNotConfigured)
		m.Skipped.WithLabelValues(prov, reasonNotConfigured).Inc()
		return nil
	}
	if it.dk == "" {
		it.skip(want, reasonNoIdentity)
		return nil
	}
	if c, ok := calls[prov+"|"+it.dk]; ok {
		it.lookedUp = true
		c.items = append(c.items, it)
		return nil
	}
	ans, ok, err := p.lg.Company(prov, it.dk, now)
	if err != nil {
		return err
	}
	if ok {
		it.lookedUp = true
		m.hit(prov)
		if ans.Found {
			p.applyCompany(it, prov, ans.Facts, now)
		}
		return nil
	}
	why, err := p.admit(prov, "d"+it.dk, 1, now)
	if err != nil {
		return err
	}
	if why != "" {
		it.skip(want, why)
		m.Skipped.WithLabelValues(prov, why).Inc()
		return nil
	}
	it.lookedUp = true
	k := prov + "|" + it.dk
	calls[k] = &companyCall{provider: prov, dk: it.dk, domain: it.l.Domain, items: []*item{it}}
	*order = append(*order, k)
	return nil
}

// call sends the round's calls: person calls in chunks of each provider's
// batch size, everything concurrently up to maxConcurrentCalls per
// provider (each client paces itself below its rate limit).
func (p *processor) call(ctx context.Context, persons map[string]*personCall, order []string, companies map[string]*companyCall, corder []string) {
	sems := map[string]chan struct{}{}
	sem := func(prov string) chan struct{} {
		if s, ok := sems[prov]; ok {
			return s
		}
		s := make(chan struct{}, maxConcurrentCalls)
		sems[prov] = s
		return s
	}
	var wg sync.WaitGroup
	// Chunk person calls per provider and per wanted set (one request
	// reveals the same fields for everyone in it).
	chunks := map[string][]*personCall{}
	var corderKeys []string
	for _, k := range order {
		c := persons[k]
		ck := c.provider + "|" + fmt.Sprint(c.want) + "|" + fmt.Sprint(c.person.VerifyEmail != "")
		if _, ok := chunks[ck]; !ok {
			corderKeys = append(corderKeys, ck)
		}
		chunks[ck] = append(chunks[ck], c)
	}
	for _, ck := range corderKeys {
		group := chunks[ck]
		pv := p.s.opts.Providers[group[0].provider]
		size := max(pv.BatchSize(), 1)
		for start := 0; start < len(group); start += size {
			chunk := group[start:min(start+size, len(group))]
			s := sem(pv.Name())
			wg.Add(1)
			go func() {
				defer wg.Done()
				s <- struct{}{}
				defer func() { <-s }()
				people := make([]enrich.Person, len(chunk))
				for i, c := range chunk {
					people[i] = c.person
				}
				res, err := pv.Enrich(ctx, people, chunk[0].want)
				for i, c := range chunk {
					switch {
					case err != nil:
						c.err = err
					case i < len(res):
						c.result = res[i]
					}
				}
			}()
		}
	}
	for _, k := range corder {
		c := companies[k]
		cp := p.s.opts.Companies[c.provider]
		s := sem("co:" + c.provider)
		wg.Add(1)
		go func() {
			defer wg.Done()
			s <- struct{}{}
			defer func() { <-s }()
			c.facts, c.credits, c.found, c.err = cp.EnrichCompany(ctx, c.domain)
		}()
	}
	wg.Wait()
}

// failed records a provider failure: the provider is left alone for a
// while (until tomorrow for an exhausted quota) and the items move on.
func (p *processor) failed(prov string, err error, now time.Time) string {
	why := reasonDown
	until := now.Add(p.s.opts.DownFor)
	switch {
	case errors.Is(err, enrich.ErrQuota):
		why = reasonQuota
		until = now.Add(time.Hour)
	case pull.KindOf(err) == pull.KindAuth:
		until = now.Add(10 * p.s.opts.DownFor)
	}
	if errors.Is(err, enrich.ErrUnavailable) || errors.Is(err, enrich.ErrQuota) || pull.KindOf(err) == pull.KindAuth {
		p.s.health.markDown(prov, why, until)
	}
	// The error may quote a request URL with a person's name: log its kind only.
	var pe *pull.Error
	status := 0
	if errors.As(err, &pe) {
		status = pe.Status
	}
	p.s.opts.Logger.Warn("enrichment provider failed; leads pass on without it", "provider", prov, "reason", why, "kind", pull.KindOf(err).String(), "status", status)
	return why
}

func (p *processor) settlePerson(c *personCall, now time.Time) error {
	m := p.s.opts.Metrics
	if c.err != nil {
		why := p.failed(c.provider, c.err, now)
		m.Lookups.WithLabelValues(c.provider, "error").Inc()
		for _, it := range c.items {
			it.skip(c.want, why)
		}
		// Nothing was charged for a refused call; the entry is closed so
		// a later lead may try again.
		return p.lg.Finish(c.provider, c.pk, 0, now)
	}
	r := c.result
	result := "miss"
	if r.Found {
		result = "found"
	}
	m.Lookups.WithLabelValues(c.provider, result).Inc()
	m.credits(c.provider, r.Credits)
	ans := ledger.Answer{At: now, Result: r}
	wantsPhones := slices.Contains(c.want, enrich.Phone) || slices.Contains(c.want, enrich.Mobile)
	if r.RequestID != "" && wantsPhones && r.Phone == "" && r.Mobile == "" {
		ans.RevealPending = true
	}
	for _, k := range c.keys {
		p.lg.PutPerson(c.provider, k, ans)
	}
	if err := p.lg.Finish(c.provider, c.pk, r.Credits, now); err != nil {
		return err
	}
	for _, it := range c.items {
		p.apply(it, c.provider, r, now)
	}
	return nil
}

func (p *processor) settleCompany(c *companyCall, now time.Time) error {
	m := p.s.opts.Metrics
	if c.err != nil {
		why := p.failed(c.provider, c.err, now)
		m.Lookups.WithLabelValues(c.provider, "error").Inc()
		for _, it := range c.items {
			it.skip([]enrich.Attribute{enrich.Company}, why)
		}
		return p.lg.Finish(c.provider, "d"+c.dk, 0, now)
	}
	result := "miss"
	if c.found {
		result = "found"
	}
	m.Lookups.WithLabelValues(c.provider, result).Inc()
	m.credits(c.provider, c.credits)
	p.lg.PutCompany(c.provider, c.dk, ledger.Company{At: now, Found: c.found, Facts: c.facts})
	if err := p.lg.Finish(c.provider, "d"+c.dk, c.credits, now); err != nil {
		return err
	}
	if c.found {
		for _, it := range c.items {
			p.applyCompany(it, c.provider, c.facts, now)
		}
	}
	return nil
}

// reconcile completes a cached answer whose asynchronous part was still
// due (the process stopped while waiting for it) from the provider's free
// result endpoint; it returns the answer as it stands.
func (p *processor) reconcile(ctx context.Context, prov, pk string, ans ledger.Answer) ledger.Answer {
	rc, ok := p.s.opts.Providers[prov].(enrich.Reconciler)
	if !ok || ans.Result.RequestID == "" {
		return ans
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	res, done, err := rc.Reconcile(ctx, ans.Result.RequestID)
	if err != nil || !done {
		return ans
	}
	for _, r := range res {
		if r.ProviderID == ans.Result.ProviderID {
			ans.Result.Phone, ans.Result.Mobile = r.Phone, r.Mobile
		}
	}
	ans.RevealPending = false
	p.lg.PutPerson(prov, pk, ans)
	return ans
}
