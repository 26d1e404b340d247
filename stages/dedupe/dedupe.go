// Package dedupe is the matching stage (spec crm.md §4). Each record from
// leads.valid is matched against the leads of its partition: candidates
// come from blocking keys kept in the partition's Badger-backed table
// (exact e-mail and phone keys, phonetic name keys, postcode and street
// keys, see match.Keys), and match.Decide scores them. The record then
// auto-merges into one lead, goes to review as a possible duplicate, or
// becomes a new lead. A source record seen before (a restart, a replay,
// the same file imported again) gets its earlier decision back, so no lead
// is ever doubled.
//
// When the blocking keys find no lead at all, a per-partition Bleve index
// of the leads (index.Fuzzy: names in any order, distinguishing company
// words, mailbox names and cities, within one or two edits) is asked for up
// to maxFuzzyCandidates more (spec §4.1: "candidates come from Bleve and
// the Badger exact indexes"). The index is a cache derived from the
// partition's match records: writes reach it asynchronously in batches,
// and an index that is missing or was not closed cleanly (a new replica,
// a state restored from the changelog, a crash) is rebuilt from the
// mrec/ records in the background when the partition opens; until then
// the fuzzy fallback sees only part of the leads.
//
// Lookups are kept off Badger where memory allows: the lead ids of the
// blocking keys read so far and the decoded match records of 100,000
// leads are cached, and a Bloom filter of the partition's blocking keys
// (built from blk/ in the background on open) answers most lookups of
// keys that no block holds. bench/README.md ("Dedupe at scale") has the
// measurements.
//
// The matching rules relax the spec's guards G2 and G3 where issue 5's
// recall targets need it (see the match package doc and bench/README.md).
package dedupe

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
	"github.com/leadstream/leadstream/stages/dedupe/match"
	"github.com/leadstream/leadstream/stages/validate"
)

// Decisions written on leads.unique (and remembered per source record).
const (
	DecisionNew       = "new"
	DecisionMerge     = "merge"  // auto-merge into an existing lead
	DecisionReview    = "review" // held as a possible duplicate
	DecisionApproved  = "approved"
	ReasonPossibleDup = "possible_duplicate"
)

// Table key prefixes.
const (
	keySource = "src/"  // source record key → decision
	keyLead   = "lead/" // lead id → leadState
	keyMatch  = "mrec/" // lead id → the match records of its source records
	keyBlock  = "blk/"  // blocking key + sep + lead id → "" (one entry per lead)
	blockSep  = "\x1f"
)

// Limits on the candidate fan-out.
const (
	maxLeadsPerKey    = 64 // leads remembered per blocking key (most recent)
	maxRecordsPerLead = 4  // source records kept per lead for matching
	maxCandidates     = 20 // leads scored per incoming record (spec §4.1)
	maxCachedBlocks   = 200000
	maxCachedRecords  = 100000 // leads whose match records stay decoded
	// maxFuzzyCandidates bounds the leads the fuzzy index offers when the
	// blocking keys find none.
	maxFuzzyCandidates = 10
)

// Stage is the dedupe stage.
type Stage struct {
	// Config is the matcher's model and thresholds; the zero value takes
	// match.DefaultConfig().
	Config *match.Config
	// FuzzyDir is the directory under which each partition keeps its
	// fuzzy candidate index (one subdirectory per partition), rebuilt from
	// the partition's match records each time the partition opens. Empty:
	// a temporary directory per partition, removed when it closes.
	FuzzyDir string
	// NoFuzzy turns the fuzzy candidate index off.
	NoFuzzy bool
	// Precedence orders the sources when a record merges into a lead
	// (crm.md §4.4); the zero value is the default order of §1.1.
	Precedence lead.Precedence
	// Metrics count the matcher's decisions (nil: none).
	Metrics *Metrics
}

// Name implements pipeline.Stage.
func (Stage) Name() string { return "dedupe" }

// Input implements pipeline.Stage.
func (Stage) Input() string { return pipeline.TopicValid }

// Stateful implements pipeline.Stage.
func (Stage) Stateful() bool { return true }

// State is the partition state the stage reads and writes: a
// *pipeline.Table in the pipeline. Scan sees committed state only.
type State interface {
	Get(key string) ([]byte, bool, error)
	Put(key string, value []byte)
	Delete(key string)
	Scan(prefix string, fn func(key string, value []byte) (bool, error)) error
}

// Open implements pipeline.Stage.
func (s Stage) Open(ctx context.Context, partition int32, t *pipeline.Table) (pipeline.Processor, error) {
	return s.OpenState(ctx, partition, t)
}

// OpenState is Open on any State: benchmarks and tests drive the stage
// over a store of their own. The processor has a Close method (the
// runner calls it when the partition closes).
func (s Stage) OpenState(_ context.Context, partition int32, t State) (*Processor, error) {
	cfg := match.DefaultConfig()
	if s.Config != nil {
		cfg = *s.Config
	}
	p := &Processor{table: t, cfg: cfg, prec: s.Precedence, blocks: make(map[string][]string), recs: make(map[string][]match.Record)}
	p.keys = newBloom()
	ctx, cancel := context.WithCancel(context.Background())
	p.keys.cancel = cancel
	p.keys.done.Add(1)
	go p.keys.build(ctx, t)
	p.metrics = s.Metrics
	if !s.NoFuzzy {
		if err := p.openFuzzy(s.FuzzyDir, partition); err != nil {
			p.keys.close()
			return nil, err
		}
	}
	return p, nil
}

type decision struct {
	LeadID   string `json:"lead_id,omitempty"`
	Decision string `json:"decision"`
}

// leadState is a lead as the table keeps it. Key is the partition key of
// the lead's first record; the lead keeps it for life, so enrich and sink
// always see a lead (and its company's other leads) on one partition.
type leadState struct {
	Key  string    `json:"key"`
	Lead lead.Lead `json:"lead"`
}

// Processor is the dedupe processor of one partition.
type Processor struct {
	table State
	cfg   match.Config
	prec  lead.Precedence
	// blocks caches the lead ids of each blocking key read so far, in the
	// order they were filed, including this batch's own additions. It
	// lives as long as the partition is assigned; a failed batch ends the
	// runner's session and so the cache with it.
	blocks map[string][]string
	// recs caches decoded match records by lead id, written through by
	// file; like blocks it lives as long as the partition is assigned.
	recs map[string][]match.Record
	fz   *fuzzy // nil when off
	// keys is a Bloom filter of the blocking keys in the state.
	keys *bloom
	// metrics count the matcher's decisions (nil: none).
	metrics *Metrics
}

// Process implements pipeline.Processor.
func (p *Processor) Process(ctx context.Context, in *pipeline.Envelope, out *pipeline.Emitter) error {
	err := p.process(ctx, in, out)
	if err != nil {
		// The runner rolls back this record's state changes; the caches
		// may hold some of them, so they start again. (The key filter and
		// the fuzzy index only ever over-report, which is harmless.)
		clear(p.blocks)
		clear(p.recs)
	}
	return err
}

func (p *Processor) process(_ context.Context, in *pipeline.Envelope, out *pipeline.Emitter) error {
	if in.Lead == nil {
		return fmt.Errorf("dedupe: record %s has no lead", in.TraceID)
	}
	srcKey := keySource + in.Source.Key()
	var d decision
	seen, err := p.getJSON(srcKey, &d)
	if err != nil {
		return err
	}
	approved := in.Decision == DecisionApproved
	if seen && !(approved && d.Decision == DecisionReview) {
		return p.repeat(in, d, out)
	}
	rec := Record(in.Lead)
	var verdict match.Decision
	if approved && seen {
		// A person approved a held possible duplicate: a lead of its own.
		verdict = match.Decision{Outcome: match.New}
	} else {
		cands, err := p.candidates(rec)
		if err != nil {
			return err
		}
		verdict = match.Decide(rec, cands, p.cfg)
		p.metrics.decided(&verdict)
	}
	switch verdict.Outcome {
	case match.AutoMerge:
		var st leadState
		if ok, err := p.getJSON(keyLead+verdict.Target, &st); err != nil || !ok {
			return fmt.Errorf("dedupe: merge target %s missing from state: %v", verdict.Target, err)
		}
		// Spec §4.4: merge field by field, then recompute the quality score.
		st.Lead.Merge(in.Lead, p.prec)
		st.Lead.QualityScore, _ = validate.Quality(&st.Lead)
		if err := p.file(verdict.Target, &st, rec); err != nil {
			return err
		}
		d = decision{LeadID: verdict.Target, Decision: DecisionMerge}
	case match.Review:
		d = decision{Decision: DecisionReview}
		in.Outcome = pipeline.OutcomeReview
		quality := in.Reasons
		in.Reasons = []string{ReasonPossibleDup}
		for _, m := range verdict.Matches {
			in.Reasons = append(in.Reasons, fmt.Sprintf("candidate:%s:%.2f", m.LeadID, m.Score))
		}
		if lowQuality(quality) {
			in.Reasons = append(in.Reasons, quality...)
		}
	case match.New:
		if lowQuality(in.Reasons) && !approved {
			// The quality gate (crm.md §3.2 gate 3): a low-quality record
			// that would create a new lead waits for a person.
			d = decision{Decision: DecisionReview}
			in.Outcome = pipeline.OutcomeReview
			break
		}
		fallthrough
	default:
		id := lead.NewID("ld_", in.FirstSeen, in.Source.Key())
		st := leadState{Key: in.Lead.PartitionKey(), Lead: *in.Lead}
		if err := p.file(id, &st, rec); err != nil {
			return err
		}
		d = decision{LeadID: id, Decision: DecisionNew}
	}
	if err := p.putJSON(srcKey, d); err != nil {
		return err
	}
	return p.repeat(in, d, out)
}

// lowQuality reports whether validate marked a record low_quality.
func lowQuality(reasons []string) bool {
	return slices.Contains(reasons, pipeline.ReasonLowQuality)
}

// repeat emits the record according to decision d and the lead as it
// stands now.
func (p *Processor) repeat(in *pipeline.Envelope, d decision, out *pipeline.Emitter) error {
	if d.Decision == DecisionReview {
		if in.Outcome == "" {
			in.Outcome = pipeline.OutcomeReview
			if !lowQuality(in.Reasons) {
				in.Reasons = []string{ReasonPossibleDup}
			}
		}
		out.Emit(pipeline.TopicReview, in.TraceID, in)
		return nil
	}
	var st leadState
	if ok, err := p.getJSON(keyLead+d.LeadID, &st); err != nil || !ok {
		return fmt.Errorf("dedupe: lead %s missing from state: %v", d.LeadID, err)
	}
	in.LeadID, in.Decision = d.LeadID, d.Decision
	in.Outcome, in.Reasons = "", nil
	in.Lead = &st.Lead
	out.Emit(pipeline.TopicUnique, st.Key, in)
	return nil
}

// candidates loads the leads that share blocking keys with rec, those
// sharing the most keys first.
func (p *Processor) candidates(rec match.Record) ([]match.Candidate, error) {
	hits := map[string]int{}
	for _, k := range match.Keys(rec) {
		ids, err := p.block(k)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			hits[id]++
		}
	}
	type hit struct {
		id string
		n  int
	}
	hs := make([]hit, 0, len(hits))
	for id, n := range hits {
		hs = append(hs, hit{id, n})
	}
	if len(hs) == 0 && p.fz != nil {
		fids, err := p.fz.search(rec)
		if err != nil {
			return nil, err
		}
		for i, id := range fids {
			hs = append(hs, hit{id, len(fids) - i}) // keep the index's order
		}
	}
	// Most shared keys first, then the newer lead (ids are ULIDs).
	slices.SortFunc(hs, func(a, b hit) int {
		if a.n != b.n {
			return b.n - a.n
		}
		return strings.Compare(b.id, a.id)
	})
	if len(hs) > maxCandidates {
		hs = hs[:maxCandidates]
	}
	ids := make([]string, len(hs))
	for i, h := range hs {
		ids[i] = h.id
	}
	var out []match.Candidate
	for _, id := range ids {
		recs, err := p.matchRecords(id)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			out = append(out, match.Candidate{LeadID: id, Record: r})
		}
	}
	return out, nil
}

// file stores a lead with one more source record and indexes the record's
// blocking keys under it.
func (p *Processor) file(id string, st *leadState, rec match.Record) error {
	if err := p.putJSON(keyLead+id, st); err != nil {
		return err
	}
	// The first record and the most recent ones represent the lead.
	old, err := p.matchRecords(id)
	if err != nil {
		return err
	}
	recs := append(old[:len(old):len(old)], rec)
	if n := len(recs); n > maxRecordsPerLead {
		recs = append(recs[:1], recs[n-maxRecordsPerLead+1:]...)
	}
	if err := p.putJSON(keyMatch+id, recs); err != nil {
		return err
	}
	p.cacheRecords(id, recs)
	if p.fz != nil {
		p.fz.put(id, recs)
	}
	for _, k := range match.Keys(rec) {
		ids, err := p.block(k)
		if err != nil {
			return err
		}
		if contains(ids, id) {
			continue
		}
		if len(ids) >= maxLeadsPerKey {
			// The oldest lead leaves the block.
			p.table.Delete(keyBlock + k + blockSep + ids[0])
			ids = ids[1:]
		}
		p.table.Put(keyBlock+k+blockSep+id, nil)
		p.blocks[k] = append(ids, id)
		p.keys.add(k)
	}
	return nil
}

// matchRecords returns the match records of lead id (none for an
// unknown lead). The slice is shared: callers must not modify it.
func (p *Processor) matchRecords(id string) ([]match.Record, error) {
	if recs, ok := p.recs[id]; ok {
		return recs, nil
	}
	var recs []match.Record
	if _, err := p.getJSON(keyMatch+id, &recs); err != nil {
		return nil, err
	}
	p.cacheRecords(id, recs)
	return recs, nil
}

func (p *Processor) cacheRecords(id string, recs []match.Record) {
	if len(p.recs) >= maxCachedRecords {
		clear(p.recs)
	}
	p.recs[id] = recs
}

// block returns the lead ids filed under blocking key k.
func (p *Processor) block(k string) ([]string, error) {
	if ids, ok := p.blocks[k]; ok {
		return ids, nil
	}
	if p.keys.absent(k) {
		return nil, nil
	}
	if len(p.blocks) >= maxCachedBlocks {
		clear(p.blocks)
	}
	prefix := keyBlock + k + blockSep
	var ids []string
	err := p.table.Scan(prefix, func(key string, _ []byte) (bool, error) {
		ids = append(ids, key[len(prefix):])
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("dedupe: block %q: %w", k, err)
	}
	// Lead ids are ULIDs: their order is the order leads were made.
	sort.Strings(ids)
	p.blocks[k] = ids
	return ids, nil
}

func contains(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func (p *Processor) getJSON(key string, v any) (bool, error) {
	b, ok, err := p.table.Get(key)
	if err != nil || !ok {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("dedupe: corrupt state at %q: %w", key, err)
	}
	return true, nil
}

func (p *Processor) putJSON(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("dedupe: encode %q: %w", key, err)
	}
	p.table.Put(key, b)
	return nil
}

// Record is the match view of a lead: the normalised fields the matcher
// compares.
func Record(l *lead.Lead) match.Record {
	email := strings.ToLower(strings.TrimSpace(l.Email))
	dom := lead.EmailDomain(email)
	// The organisation domain: the domain or website given, or the mail
	// domain of a record that names its company. A mail domain alone is
	// the person's address, which a typo can change; it is compared as
	// part of the e-mail, not as an organisation key.
	org := lead.RegistrableDomain(l.Domain)
	if l.Company == "" && l.Website == "" && org == dom {
		org = ""
	}
	return match.Record{
		FirstName:     l.FirstName,
		LastName:      l.LastName,
		FullName:      l.FullName,
		Email:         email,
		EmailFreeMail: dom != "" && lead.IsFreeMail(dom),
		Phone:         l.Phone,
		Company:       lead.CompanyKey(l.Company),
		CompanyName:   l.Company,
		Domain:        org,
		Street:        l.Street,
		City:          l.City,
		Postcode:      l.Postcode,
		State:         l.State,
		Country:       l.Country,
	}
}

// AddLead files l as a lead of its own under id without matching it: the
// state a partition would hold had l been decided new. Benchmarks use it
// to preload a partition.
func (p *Processor) AddLead(id string, l *lead.Lead) error {
	st := leadState{Key: l.PartitionKey(), Lead: *l}
	return p.file(id, &st, Record(l))
}
