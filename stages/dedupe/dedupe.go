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
// Lookups are kept off Badger where memory allows: the leads (as
// interned handles) of the 256k–512k blocking keys and the decoded,
// prepared match records of the 64k–128k leads used most recently are
// cached, and a Bloom filter of the partition's blocking keys
// (built from blk/ in the background on open) answers most lookups of
// keys that no block holds. bench/README.md ("Dedupe at scale") has the
// measurements.
//
// The matching rules relax the spec's guards G1–G3 where issue 5's recall
// targets need it, and keep two organisations apart (see the match package
// doc and bench/README.md).
//
// In a pipeline (system.Start) the partitions of a process share a
// candidate view of every partition's leads (Global), kept current from
// the dedupe changelog for partitions other processes own: a record is
// matched against all leads, routed to the partition that owns its lead,
// and two leads of one entity that arrival order split are folded when a
// record and each other match them at the auto-merge threshold. The
// answer then does not depend on the partition count
// (docs/dedupe-global-view.md has the design and its races). The view
// holds every lead's blocking keys and match records, so a partition with
// it writes no blk/ entries and keeps no block cache or key filter of its
// own. It keeps them in a Badger store of the process's own, rebuilt on
// every start, with the blocks and leads used most recently cached in
// memory (Global.CacheBlocks, Global.CacheLeads; system.Start sizes them
// from the memory limit), so its memory does not grow with the leads
// beyond about 75 bytes each (viewstore.go). Without a view (benchmarks,
// tests) a partition matches against its own leads as described above.
//
// Organisation records (a company and no person) are matched only against
// organisation leads, by organisation and site (match.DecideOrganisation);
// a new site of a known organisation gets its organisation_id. A person
// record that gives its company with a domain, website, address or phone
// is also given its site, found or filed the same way (site.go).
package dedupe

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"slices"
	"sort"
	"strings"

	"github.com/klauspost/compress/s2"
	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
	"github.com/leadstream/leadstream/stages/dedupe/match"
	"github.com/leadstream/leadstream/stages/review"
	"github.com/leadstream/leadstream/stages/validate"
)

// Decisions written on leads.unique (and remembered per source record).
const (
	DecisionNew      = "new"
	DecisionMerge    = "merge"  // auto-merge into an existing lead
	DecisionReview   = "review" // held as a possible duplicate
	DecisionApproved = "approved"
	// DecisionRouted marks a record sent back to leads.valid, to the
	// partition that owns the lead it merges into (LeadID); see Global.
	DecisionRouted    = "routed"
	ReasonPossibleDup = "possible_duplicate"
)

// Table key prefixes.
const (
	keySource = "src/"  // source record key → decision
	keyLead   = "lead/" // lead id → leadState (S2-compressed JSON, see putLead)
	keyMatch  = "mrec/" // lead id → the match records of its source records
	keyBlock  = "blk/"  // blocking key + sep + lead id → "" (one entry per lead)
	keyRoute  = "rt/"   // lead id → its partition key (where records for it are sent)
	keyFold   = "fold/" // lead id → the lead it was folded into (reconciliation)
	blockSep  = "\x1f"
)

// Limits on the candidate fan-out.
const (
	maxLeadsPerKey    = 64 // leads remembered per blocking key (most recent)
	maxRecordsPerLead = 4  // source records kept per lead for matching
	// maxRecordsPerOrganisation is the same for an organisation lead:
	// company lists spell one name many ways, and each kept spelling is
	// one more that a new record can agree with.
	maxRecordsPerOrganisation = 12
	maxCandidates             = 20 // leads scored per incoming record (spec §4.1)
	// Cache sizes, per generation (see genCache). A block this batch
	// changed must not leave its cache before the batch is applied (a
	// Scan sees committed state only): a generation outlasts any batch's
	// ~15 keys per record by far.
	maxCachedBlocks  = 256 << 10 // blocking keys
	maxCachedRecords = 64 << 10  // leads whose match records stay decoded and prepared
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
	// BlockCacheKeys is how many blocking keys' leads each generation of
	// the block cache holds (0: 256k). It must be well above the keys one
	// batch touches (about 15 per record).
	BlockCacheKeys int
	// RecordCacheLeads is how many leads' prepared match records each
	// generation of the record cache holds (0: 64k).
	RecordCacheLeads int
	// BloomBytes is the size of each partition's Bloom filter of blocking
	// keys (0: 16 MiB).
	BloomBytes int
	// Global is the candidate view shared by every partition of the
	// process (nil: each partition matches against its own leads only).
	Global *Global
	// BlockKeySecret, when set, has a new partition store its blocking
	// keys (e-mails, phones, mailbox names, postcodes) as HMAC-SHA256
	// pseudonyms, as the do-not-contact list does, not in clear; a
	// partition whose state was made with clear keys keeps them. Every
	// process of a deployment must give the same secret.
	BlockKeySecret []byte
	// Sealer seals the personal data the state keeps of each lead (its
	// merged lead and match records) under the lead's data key, so that
	// erasing the lead shreds them in Badger and the changelog too; a
	// lead whose key is gone is no candidate (nil: kept in clear).
	Sealer pipeline.Sealer
}

// Name implements pipeline.Stage.
func (Stage) Name() string { return "dedupe" }

// Input implements pipeline.Stage.
func (Stage) Input() string { return pipeline.TopicValid }

// Stateful implements pipeline.Stage.
func (Stage) Stateful() bool { return true }

// EventOrdered implements pipeline.EventOrdered: with the shared view,
// records meet in the order they were first seen, whatever partitions
// they came on.
func (s Stage) EventOrdered() bool { return s.Global != nil }

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
	blockKeys := s.BlockCacheKeys
	if blockKeys <= 0 {
		blockKeys = maxCachedBlocks
	}
	recLeads := s.RecordCacheLeads
	if recLeads <= 0 {
		recLeads = maxCachedRecords
	}
	p := &Processor{table: t, cfg: cfg, prec: s.Precedence, ids: newLeadIDs(), blocks: newGenCache[string, []uint32](blockKeys),
		recs: newGenCache[uint32, []*match.Prepared](recLeads)}
	if len(s.BlockKeySecret) > 0 {
		hashed, err := hashedBlockKeys(t)
		if err != nil {
			return nil, err
		}
		if hashed {
			m := hmac.New(sha256.New, s.BlockKeySecret)
			m.Write([]byte("leadstream dedupe blocking keys v1"))
			p.blockMAC = hmac.New(sha256.New, m.Sum(nil))
		}
	}
	p.metrics = s.Metrics
	p.sealer = s.Sealer
	if g := s.Global; g != nil {
		// No blk/ entries to filter: the view holds the blocks.
		p.keys = readyBloom()
		// The view's fuzzy index replaces the partition's own.
		p.global, p.partition = g, partition
		g.mu.Lock()
		var err error
		if !s.NoFuzzy {
			err = g.openFuzzy()
		}
		if err == nil {
			err = g.load(partition, t)
		}
		if err == nil {
			g.owned[partition] = true
		}
		g.mu.Unlock()
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	p.keys = buildBloom(t, s.BloomBytes)
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
	// Key is where a routed record was sent: the partition key of its lead.
	Key string `json:"key,omitempty"`
	// Absorbed are the leads folded into LeadID with this record, and
	// AbsorbedKeys their partition keys (where the sink finds their
	// HaloPSA records).
	Absorbed     []string `json:"absorbed,omitempty"`
	AbsorbedKeys []string `json:"absorbed_keys,omitempty"`
	// Site is a person record's organisation site (see site.go).
	Site *lead.Site `json:"site,omitempty"`
}

// leadState is a lead as the table keeps it. Key is the partition key of
// the lead's first record; the lead keeps it for life, so enrich and sink
// always see a lead (and its company's other leads) on one partition.
type leadState struct {
	Key  string    `json:"key"`
	Lead lead.Lead `json:"lead"`
	// Absorbed are the leads folded into this one (reconciliation).
	Absorbed []string `json:"absorbed,omitempty"`
}

// Processor is the dedupe processor of one partition.
type Processor struct {
	table State
	cfg   match.Config
	prec  lead.Precedence
	// ids interns the lead ids the caches below hold.
	ids *leadIDs
	// blocks caches the leads of each blocking key read so far, in the
	// order they were filed, including this batch's own additions. It
	// lives as long as the partition is assigned; a failed batch ends the
	// runner's session and so the cache with it.
	blocks *genCache[string, []uint32]
	// recs caches the decoded and prepared match records of leads,
	// written through by file; like blocks it lives as long as the
	// partition is assigned.
	recs *genCache[uint32, []*match.Prepared]
	// Buffers reused by candidates.
	hitBuf []uint32
	hits   []hit
	cands  []match.Candidate
	s2buf  []byte // putLead's encoding buffer
	fz     *fuzzy // nil when off
	// keys is a Bloom filter of the blocking keys in the state.
	keys *bloom
	// metrics count the matcher's decisions (nil: none).
	metrics *Metrics
	// global is the process's shared candidate view (nil: off).
	global    *Global
	partition int32
	// org is whether the record being matched is an organisation record.
	org bool
	// sites caches the sites of person records' organisation parts (see
	// site.go); nil until the first.
	sites *genCache[string, lead.Site]
	// limit, when not 0, is maxCandidates for the lookup under way.
	limit int
	// blockMAC pseudonymises the blocking keys in the table (nil: clear).
	blockMAC hash.Hash
	macBuf   [sha256.Size]byte
	// sealer seals and opens the lead/ and mrec/ values (nil: clear).
	sealer pipeline.Sealer
	// ctx is the context of the record being processed, for the keyring.
	ctx context.Context
	// held are the records held as possible duplicates (held.go), when
	// there is no global view to keep them.
	held *heldSet
}

// view is where candidates come from: the partition's own blocks, or the
// global view of every partition's leads.
type view interface {
	block(k string) ([]uint32, error)
	records(h uint32, id string) ([]*match.Prepared, error)
	handles() *leadIDs
}

func (p *Processor) records(h uint32, id string) ([]*match.Prepared, error) {
	return p.matchRecords(h, id)
}

func (p *Processor) handles() *leadIDs { return p.ids }

// view returns the candidate view: global when shared.
func (p *Processor) view() view {
	if p.global != nil {
		return p.global
	}
	return p
}

// Process implements pipeline.Processor.
func (p *Processor) Process(ctx context.Context, in *pipeline.Envelope, out *pipeline.Emitter) error {
	p.ctx = ctx
	err := p.process(ctx, in, out)
	if err != nil {
		// The runner rolls back this record's state changes; the caches
		// may hold some of them, so they start again. (The key filter and
		// the fuzzy index only ever over-report, which is harmless.)
		p.reset()
	}
	return err
}

// reset empties the caches.
func (p *Processor) reset() {
	p.blocks.reset()
	p.recs.reset()
	p.ids.reset()
	if p.sites != nil {
		p.sites.reset()
	}
}

func (p *Processor) process(_ context.Context, in *pipeline.Envelope, out *pipeline.Emitter) error {
	if in.Lead == nil {
		return fmt.Errorf("dedupe: record %s has no lead", in.TraceID)
	}
	if g := p.global; g != nil {
		// One decision at a time across the process's partitions, each
		// seeing every earlier one.
		g.mu.Lock()
		defer g.mu.Unlock()
	}
	srcKey := keySource + in.Source.Key()
	var d decision
	seen, err := p.getJSON(srcKey, &d)
	if err != nil {
		return err
	}
	approved := in.Decision == DecisionApproved
	// A person's merge decision on a held possible duplicate (review).
	mergeInto, decidedMerge := strings.CutPrefix(in.Decision, review.DecisionMergePrefix)
	routedTo := ""
	if in.Decision == DecisionRouted {
		routedTo = in.LeadID
		in.Decision, in.LeadID = "", ""
	}
	// A record this partition routed that came back to it (the lead's key
	// does not lead to its owner) is decided here: routing it again would
	// send it round for ever.
	routedHere := routedTo != "" && seen && d.Decision == DecisionRouted
	if seen && !((approved || decidedMerge) && d.Decision == DecisionReview) && !routedHere {
		return p.repeat(in, d, out, nil)
	}
	if seen && d.Decision == DecisionReview {
		p.release(in.Source.Key()) // decided, by a person or by redecideHeld
	}
	if p.ids.full() {
		p.reset()
	}
	rec := Record(in.Lead)
	prep := match.Prepare(rec) // its forms serve the keys, Decide and the filed record
	keys := prep.Keys()
	var verdict match.Decision
	orgOf := "" // an organisation record's organisation, when a new site of a known one
	var absorbed, absorbedKeys []string
	if routedTo != "" {
		absorbed, absorbedKeys = in.Absorbed, in.AbsorbedKeys // decided by the partition that routed it
	}
	switch {
	case decidedMerge && seen:
		verdict = match.Decision{Outcome: match.AutoMerge, Target: mergeInto}
	case approved && seen:
		// A person approved a held possible duplicate: a lead of its own.
		verdict = match.Decision{Outcome: match.New}
	case routedTo != "" && p.hasLead(routedTo):
		// Another partition matched the record to a lead of this one.
		verdict = match.Decision{Outcome: match.AutoMerge, Target: routedTo}
	case rec.Organisation:
		cands, err := p.candidates(rec, keys)
		if err != nil {
			return err
		}
		od := match.DecideOrganisation(prep, cands)
		clear(cands)
		if od.Site != "" {
			verdict = match.Decision{Outcome: match.AutoMerge, Target: od.Site, Reason: match.ReasonOrganisation}
			if p.global != nil && len(od.Sites) > 1 {
				if target, folded, keys := p.reconcileSites(od.Sites); len(folded) > 0 {
					verdict = match.Decision{Outcome: match.AutoMerge, Target: target, Reason: ReasonReconciled}
					absorbed, absorbedKeys = folded, keys
				}
			}
		} else if orgOf, err = p.organisationOf(od.Org); err != nil {
			return err
		}
	default:
		cands, err := p.candidates(rec, keys)
		if err != nil {
			return err
		}
		verdict = match.DecidePrepared(prep, cands, p.cfg)
		p.metrics.decided(&verdict)
		clear(cands) // the buffer is reused; let go of the records
		if p.global != nil {
			absorbed, absorbedKeys = p.reconcile(&verdict, prep.Thin())
		}
	}
	site, err := p.recordSite(in, &rec, &d, seen, routedTo)
	if err != nil {
		return err
	}
	if verdict.Outcome == match.AutoMerge && p.global != nil {
		if part, key, ok := p.global.owner(verdict.Target); ok && part != p.partition {
			if routedTo != "" {
				// Routed once already: the view and the owner disagree
				// (a batch rolled back); decide here rather than loop.
				verdict = match.Decision{Outcome: match.New}
			} else {
				// The owner merges it; the view has it from now on.
				p.global.file(part, key, verdict.Target, in.Source.Key(), prep, keys)
				p.global.routed++
				d = decision{LeadID: verdict.Target, Decision: DecisionRouted, Key: key, Absorbed: absorbed, AbsorbedKeys: absorbedKeys, Site: site}
				if err := p.putJSON(srcKey, d); err != nil {
					return err
				}
				if err := p.redecideHeld(keys, out); err != nil {
					return err
				}
				return p.repeat(in, d, out, nil)
			}
		} else if !p.hasLead(verdict.Target) {
			// The view outlived a rolled-back batch of this partition.
			verdict = match.Decision{Outcome: match.New}
		}
	}
	var st leadState // the lead as filed, unless review
	switch verdict.Outcome {
	case match.AutoMerge:
		if ok, err := p.getLead(verdict.Target, &st); err != nil || !ok {
			return fmt.Errorf("dedupe: merge target %s missing from state: %v", verdict.Target, err)
		}
		// Spec §4.4: merge field by field, then recompute the quality score.
		st.Lead.Merge(in.Lead, p.prec)
		st.Lead.QualityScore, _ = validate.Quality(&st.Lead)
		for _, b := range absorbed {
			if !slices.Contains(st.Absorbed, b) {
				st.Absorbed = append(st.Absorbed, b)
			}
			p.table.Put(keyFold+b, []byte(verdict.Target))
		}
		addSite(&st.Lead, site)
		if err := p.file(verdict.Target, &st, prep, keys, in.Source.Key()); err != nil {
			return err
		}
		d = decision{LeadID: verdict.Target, Decision: DecisionMerge, Absorbed: absorbed, AbsorbedKeys: absorbedKeys}
	case match.Review:
		d = decision{Decision: DecisionReview}
		in.Outcome = pipeline.OutcomeReview
		quality := in.Reasons
		in.Reasons = []string{ReasonPossibleDup}
		for _, m := range verdict.Matches {
			in.Reasons = append(in.Reasons, review.FormatCandidate(candidateOf(m)))
		}
		if lowQuality(quality) {
			in.Reasons = append(in.Reasons, quality...)
		} else if !rec.Organisation && routedTo == "" {
			p.hold(in, prep, keys)
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
		st = leadState{Key: in.Lead.PartitionKey(), Lead: *in.Lead}
		if routedTo != "" && p.global != nil {
			// It came here under the key of the lead it was routed to:
			// that key, not its own, leads to this partition.
			if _, key, ok := p.global.owner(routedTo); ok && key != "" {
				st.Key = key
			}
		}
		if rec.Organisation {
			st.Lead.OrganisationID = orgOf
			if orgOf == "" {
				st.Lead.OrganisationID = id
			}
			prep.SetOrganisationID(st.Lead.OrganisationID)
		}
		if p.global != nil {
			p.table.Put(keyRoute+id, []byte(st.Key))
		}
		addSite(&st.Lead, site)
		if err := p.file(id, &st, prep, keys, in.Source.Key()); err != nil {
			return err
		}
		d = decision{LeadID: id, Decision: DecisionNew}
	}
	d.Site = site
	if err := p.putJSON(srcKey, d); err != nil {
		return err
	}
	if d.Decision != DecisionReview && !rec.Organisation {
		if err := p.redecideHeld(keys, out); err != nil {
			return err
		}
	}
	return p.repeat(in, d, out, &st)
}

// candidateOf is the review queue's view of a scored candidate.
func candidateOf(m match.Breakdown) review.Candidate {
	comp := func(c match.Component) *float64 {
		if !c.Comparable {
			return nil
		}
		v := c.Value
		return &v
	}
	return review.Candidate{LeadID: m.LeadID, Score: m.Score, Components: review.Components{
		Email: comp(m.E), Name: comp(m.N), Phone: comp(m.P), Company: comp(m.C), Address: comp(m.A)}}
}

// organisationOf returns the organisation of lead id ("" for none).
func (p *Processor) organisationOf(id string) (string, error) {
	if id == "" {
		return "", nil
	}
	if p.global != nil {
		if org := p.global.organisation(id); org != "" {
			return org, nil
		}
	}
	var st leadState
	if ok, err := p.getLead(id, &st); err != nil || !ok {
		return id, err
	}
	if st.Lead.OrganisationID != "" {
		return st.Lead.OrganisationID, nil
	}
	return id, nil
}

// keepRecords returns the match records a lead keeps after rec joins
// those it has (old, not modified): the first, then the most recent, up
// to recordsKept. A record that repeats the e-mail of a kept one (other
// than the first) takes its place rather than pushing out the oldest, so
// a burst of records of one mailbox does not crowd out the lead's other
// spellings: the answer then depends less on the order records arrive in.
// An organisation record does the same with a kept record of its own name
// form and site (SiteForm).
func keepRecords(old []*match.Prepared, rec *match.Prepared) []*match.Prepared {
	keep := recordsKept(rec)
	out := make([]*match.Prepared, 0, min(len(old)+1, keep))
	out = append(out, old...)
	if f := rec.SiteForm(); f != "" {
		// An organisation's records keep as many spellings as they can:
		// the record replaces one of the same form, not the oldest, so
		// which spellings a large organisation keeps does not depend on
		// the order they came in.
		for i := 1; i < len(out); i++ {
			if out[i].SiteForm() == f {
				out = append(out[:i], out[i+1:]...)
				break
			}
		}
	}
	if len(out) >= keep {
		drop := 1 // the oldest but the first
		if e := rec.EmailKey(); e != "" {
			for i := 1; i < len(out); i++ {
				if out[i].EmailKey() == e {
					drop = i
					break
				}
			}
		}
		out = append(out[:drop], out[drop+1:]...)
		out = out[:min(len(out), keep-1)]
	}
	return append(out, rec)
}

// reconcile turns a review that only guard G3 caused into an auto-merge
// (issue 12): the record matches two or more leads at the auto-merge
// threshold with every other guard passing, so those leads are one entity
// that arrival order split (records of it met no lead of it when they
// came, on this partition or another). The oldest lead (the smallest id)
// takes the record, and the others are folded into it in the view and
// named in the record's Absorbed (the lead.merged case, G4 relaxed for it
// alone). thin is whether the record is thin (see below). It returns the
// folded leads and their partition keys.
func (p *Processor) reconcile(v *match.Decision, thin bool) ([]string, []string) {
	if v.Outcome != match.Review || len(v.Matches) < 2 {
		return nil, nil
	}
	var high []string
	for _, m := range v.Matches {
		if m.Score < p.cfg.AutoMerge {
			continue
		}
		if len(m.Failed) != 1 || m.Failed[0] != "G3" {
			return nil, nil
		}
		high = append(high, m.LeadID)
	}
	if len(high) < 2 {
		return nil, nil
	}
	slices.Sort(high)
	target, others := high[0], high[1:]
	// The record is the evidence that the leads are one: it matches each
	// at the threshold with G1 and G2 passing, so leads that share no
	// identifier of their own (one has the e-mail, the other the address)
	// are joined by the record that has both. A thin record (a name and a
	// city) is no such evidence — namesakes in one city all match it — so
	// then the leads must match each other too.
	if thin {
		for _, b := range others {
			if !p.leadsMatch(target, b) {
				return nil, nil
			}
		}
	}
	keys := p.foldInto(target, others)
	*v = match.Decision{Outcome: match.AutoMerge, Target: target, Reason: ReasonReconciled}
	return others, keys
}

// foldInto folds leads others into target in the view and returns their
// partition keys, read before the fold takes each out.
func (p *Processor) foldInto(target string, others []string) []string {
	keys := make([]string, len(others))
	for i, b := range others {
		_, keys[i], _ = p.global.owner(b)
		p.global.fold(target, b)
	}
	return keys
}

// someRecordsAgree reports whether agree holds for some record of lead a
// and some record of lead b.
func (p *Processor) someRecordsAgree(a, b string, agree func(x, y *match.Prepared) bool) bool {
	g := p.global
	ra, _ := g.records(g.ids.intern(a), a)
	rb, _ := g.records(g.ids.intern(b), b)
	for _, x := range ra {
		for _, y := range rb {
			if agree(x, y) {
				return true
			}
		}
	}
	return false
}

// leadsMatch reports whether some record of lead a and some record of
// lead b score at the auto-merge threshold with no guard failing.
func (p *Processor) leadsMatch(a, b string) bool {
	return p.someRecordsAgree(a, b, func(x, y *match.Prepared) bool {
		bd := match.ScorePrepared(x, y, false, p.cfg)
		return bd.Score >= p.cfg.AutoMerge && len(bd.Failed) == 0
	})
}

// reconcileSites is reconcile for an organisation record that is the
// same site as two or more leads: leads of one site that arrival order
// split (a spelling of the name that met none of the other's when it
// came). The oldest takes the record and the others are folded into it,
// but only those that are the same site as it by their own records: a
// short name ("PHILIPS") may agree with two organisations that do not
// agree with each other. It returns the target, the folded leads and
// their partition keys (for the sink, which merges them in HaloPSA).
func (p *Processor) reconcileSites(sites []string) (string, []string, []string) {
	sites = slices.Clone(sites)
	slices.Sort(sites)
	target := sites[0]
	var folded []string
	for _, b := range sites[1:] {
		if p.sitesMatch(target, b) {
			folded = append(folded, b)
		}
	}
	return target, folded, p.foldInto(target, folded)
}

// sitesMatch reports whether some record of lead a and some record of
// lead b are one site.
func (p *Processor) sitesMatch(a, b string) bool {
	return p.someRecordsAgree(a, b, match.SameSite)
}

// ReasonReconciled is the reason of an auto-merge that folded leads.
const ReasonReconciled = "reconciled"

// recordsKept is how many match records a lead of rec's kind keeps.
func recordsKept(rec *match.Prepared) int {
	if rec.IsOrganisation() {
		return maxRecordsPerOrganisation
	}
	return maxRecordsPerLead
}

// hasLead reports whether lead id is in this partition's state.
func (p *Processor) hasLead(id string) bool {
	_, ok, err := p.table.Get(keyLead + id)
	return err == nil && ok
}

// lowQuality reports whether validate marked a record low_quality.
func lowQuality(reasons []string) bool {
	return slices.Contains(reasons, pipeline.ReasonLowQuality)
}

// repeat emits the record according to decision d and the lead as it
// stands now: st when the caller has just filed it, else read from the
// state.
func (p *Processor) repeat(in *pipeline.Envelope, d decision, out *pipeline.Emitter, st *leadState) error {
	in.Site = siteOnRecord(d.Site, in.Lead)
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
	in.Absorbed, in.AbsorbedKeys = d.Absorbed, d.AbsorbedKeys
	if d.Decision == DecisionRouted {
		// To the partition that owns the lead, which merges it.
		in.LeadID, in.Decision = d.LeadID, DecisionRouted
		out.Emit(pipeline.TopicValid, d.Key, in)
		return nil
	}
	if st == nil {
		st = new(leadState)
		if ok, err := p.getLead(d.LeadID, st); err != nil || !ok {
			return fmt.Errorf("dedupe: lead %s missing from state: %v", d.LeadID, err)
		}
	}
	in.LeadID, in.Decision = d.LeadID, d.Decision
	in.Outcome, in.Reasons = "", nil
	in.Lead = &st.Lead
	in.OrganisationKey = ""
	if org := st.Lead.OrganisationID; org != "" && org != d.LeadID && p.global != nil {
		// The sink writes an organisation's sites where its first is.
		if _, k, ok := p.global.owner(org); ok && k != st.Key {
			in.OrganisationKey = k
		}
	}
	out.Emit(pipeline.TopicUnique, st.Key, in)
	return nil
}

// hit is a lead and the number of the record's blocking keys it shares.
type hit struct {
	h uint32
	n int
}

// candidates loads the leads that share blocking keys with rec (keys is
// match.Keys(rec)), those sharing the most keys first, then the newer lead.
// The slice is reused by the next call.
func (p *Processor) candidates(rec match.Record, keys []string) ([]match.Candidate, error) {
	p.org = rec.Organisation
	limit := maxCandidates
	if p.limit > 0 {
		limit = p.limit
	}
	v := p.view()
	ids := v.handles()
	buf := p.hitBuf[:0]
	for _, k := range keys {
		hs, err := v.block(k)
		if err != nil {
			return nil, err
		}
		for range keyWeight(k) {
			buf = append(buf, hs...)
		}
	}
	p.hitBuf = buf
	out := p.cands[:0]
	if len(buf) == 0 {
		var fids []string
		var err error
		switch {
		case p.global != nil:
			fids, err = p.global.fuzzySearch(rec)
		case p.fz != nil:
			fids, err = p.fz.search(rec)
		default:
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		// The fuzzy index's order, at most maxFuzzyCandidates leads.
		for _, id := range fids[:min(len(fids), limit)] {
			if out, err = p.appendCandidates(v, out, ids.intern(id), id); err != nil {
				return nil, err
			}
		}
		p.cands = out
		return out, nil
	}
	// Count each lead's keys: equal handles are adjacent once sorted.
	slices.Sort(buf)
	hits := p.hits[:0]
	for i := 0; i < len(buf); {
		j := i + 1
		for j < len(buf) && buf[j] == buf[i] {
			j++
		}
		hits = append(hits, hit{buf[i], j - i})
		i = j
	}
	p.hits = hits
	if len(hits) > limit {
		// Only leads with at least the limit-th highest count can be
		// among the first limit: sort those alone.
		var perCount [64]int
		for _, x := range hits {
			perCount[min(x.n, len(perCount)-1)]++
		}
		floor, above := len(perCount)-1, 0
		for ; floor > 0; floor-- {
			if above += perCount[floor]; above >= limit {
				break
			}
		}
		kept := hits[:0]
		for _, x := range hits {
			if x.n >= floor {
				kept = append(kept, x)
			}
		}
		hits = kept
	}
	// Most shared keys first, then the newer lead (ids are ULIDs).
	slices.SortFunc(hits, func(a, b hit) int {
		if a.n != b.n {
			return b.n - a.n
		}
		return ids.compare(b.h, a.h)
	})
	if len(hits) > limit {
		hits = hits[:limit]
	}
	for _, x := range hits {
		var err error
		if out, err = p.appendCandidates(v, out, x.h, ids.name(x.h)); err != nil {
			return nil, err
		}
	}
	p.cands = out
	return out, nil
}

// keyWeight is how many shared keys a blocking key counts for when
// candidates are ranked: an organisation's domain or phone outweighs its
// name words, which namesakes share (and crowded name keys may have lost
// the lead to their cap).
func keyWeight(k string) int {
	if strings.HasPrefix(k, "od|") || strings.HasPrefix(k, "op|") {
		return 8
	}
	return 1
}

// appendCandidates appends the match records of lead id (handle h).
func (p *Processor) appendCandidates(v view, out []match.Candidate, h uint32, id string) ([]match.Candidate, error) {
	if p.sealer != nil && pipeline.SubjectErased(p.sealer, pipeline.LeadSubject(id)) {
		return out, nil // an erased lead takes no record
	}
	recs, err := v.records(h, id)
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		if r.IsOrganisation() != p.org {
			continue // organisations match organisations, persons persons
		}
		out = append(out, match.Candidate{LeadID: id, Prepared: r})
	}
	return out, nil
}

// file stores a lead with one more source record and indexes the record's
// blocking keys (keys, rec.Keys()) under it.
//
// With the shared view the partition keeps no blk/ entries and no caches
// of its own: the view holds every lead's blocking keys and match records
// (it loads them from mrec/ when the partition opens), and the lead's
// match records as the view keeps them are the ones stored. Without a
// view (benchmarks, tests) the partition's blk/ entries are its blocks.
func (p *Processor) file(id string, st *leadState, rec *match.Prepared, keys []string, src string) error {
	var preps []*match.Prepared
	if g := p.global; g != nil {
		g.file(p.partition, st.Key, id, src, rec, keys)
		preps = g.ownRecords(p.partition, id)
	}
	if err := p.putLead(id, st); err != nil {
		return err
	}
	h := p.ids.intern(id)
	if preps == nil {
		// The first record and the most recent ones represent the lead.
		old, err := p.matchRecords(h, id)
		if err != nil {
			return err
		}
		preps = keepRecords(old, rec)
	}
	recs := make([]match.Record, len(preps))
	for i, x := range preps {
		recs[i] = x.Record()
	}
	if err := p.putSealedJSON(id, keyMatch+id, recs); err != nil {
		return err
	}
	if p.fz != nil {
		p.fz.put(id, recs)
	}
	if p.global != nil {
		if p.global.fz != nil {
			p.global.fz.put(id, recs)
		}
		return nil
	}
	p.recs.put(h, preps)
	for _, k := range keys {
		hs, err := p.block(k)
		if err != nil {
			return err
		}
		if slices.Contains(hs, h) {
			continue
		}
		sk := p.storedKey(k)
		if len(hs) >= maxLeadsPerKey {
			// The oldest lead leaves the block.
			p.table.Delete(keyBlock + sk + blockSep + p.ids.name(hs[0]))
			hs = hs[1:]
		}
		p.table.Put(keyBlock+sk+blockSep+id, nil)
		p.blocks.put(k, append(hs, h))
		p.keys.add(sk)
	}
	return nil
}

// matchRecords returns the prepared match records of lead id, handle h
// (none for an unknown lead). The slice is shared: callers must not
// modify it.
func (p *Processor) matchRecords(h uint32, id string) ([]*match.Prepared, error) {
	if preps, ok := p.recs.get(h); ok {
		return preps, nil
	}
	var recs []match.Record
	if _, err := p.getSealedJSON(id, keyMatch+id, &recs); err != nil {
		return nil, err
	}
	preps := make([]*match.Prepared, len(recs))
	for i, r := range recs {
		preps[i] = match.Prepare(r)
	}
	p.recs.put(h, preps)
	return preps, nil
}

// genCache keeps the entries used most recently, in two generations:
// when the current one is full it becomes the old one, and an entry found
// in the old one moves back to the current one. Entries used again and
// again (crowded blocks, the newest leads in them) stay; an entry leaves
// only after a whole generation of other entries without a use.
type genCache[K comparable, V any] struct {
	cur, old map[K]V
	max      int // entries per generation
}

func newGenCache[K comparable, V any](limit int) *genCache[K, V] {
	return &genCache[K, V]{cur: make(map[K]V), old: make(map[K]V), max: limit}
}

func (c *genCache[K, V]) get(k K) (V, bool) {
	if v, ok := c.cur[k]; ok {
		return v, true
	}
	v, ok := c.old[k]
	if ok {
		c.put(k, v)
	}
	return v, ok
}

func (c *genCache[K, V]) put(k K, v V) {
	if len(c.cur) >= c.max {
		c.cur, c.old = c.old, c.cur
		clear(c.cur)
	}
	c.cur[k] = v
}

// del removes k.
func (c *genCache[K, V]) del(k K) {
	delete(c.cur, k)
	delete(c.old, k)
}

func (c *genCache[K, V]) reset() {
	clear(c.cur)
	clear(c.old)
}

// keyMeta holds the partition's state format.
const keyMeta = "meta/"

// hashedBlockKeys reports whether the partition keeps its blocking keys
// pseudonymised: a partition that has clear ones keeps them (older
// state), a new one is marked and pseudonymises.
func hashedBlockKeys(t State) (bool, error) {
	v, ok, err := t.Get(keyMeta + "blocks")
	if err != nil {
		return false, err
	}
	if ok {
		return string(v) == "hmac-sha256", nil
	}
	plain := false
	if err := t.Scan(keyBlock, func(string, []byte) (bool, error) {
		plain = true
		return false, nil
	}); err != nil {
		return false, err
	}
	if plain {
		return false, nil
	}
	t.Put(keyMeta+"blocks", []byte("hmac-sha256"))
	return true, nil
}

// storedKey is blocking key k as the table keys it: its pseudonym
// (HMAC-SHA256, 128 bits, base64url after an "h"; clear keys all hold a
// "|", so the two never meet), or k itself.
func (p *Processor) storedKey(k string) string {
	if p.blockMAC == nil {
		return k
	}
	p.blockMAC.Reset()
	p.blockMAC.Write([]byte(k))
	sum := p.blockMAC.Sum(p.macBuf[:0])
	return "h" + base64.RawURLEncoding.EncodeToString(sum[:16])
}

// block returns the leads filed under blocking key k, oldest first.
func (p *Processor) block(k string) ([]uint32, error) {
	if hs, ok := p.blocks.get(k); ok {
		return hs, nil
	}
	sk := p.storedKey(k)
	if p.keys.absent(sk) {
		return nil, nil
	}
	prefix := keyBlock + sk + blockSep
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
	hs := make([]uint32, len(ids))
	for i, id := range ids {
		hs[i] = p.ids.intern(id)
	}
	p.blocks.put(k, hs)
	return hs, nil
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

// compressedLead marks a lead value as S2-compressed JSON; no JSON text
// starts with this byte, so values written uncompressed stay readable.
const compressedLead = 0xff

// putLead stores a lead compressed: a lead's JSON with its provenance is
// about 2 KB and compresses about threefold, which shrinks the value log,
// the resident pages Badger maps and the changelog a rebuild reads.
func (p *Processor) putLead(id string, st *leadState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("dedupe: encode lead %s: %w", id, err)
	}
	if n := s2.MaxEncodedLen(len(b)); cap(p.s2buf) < n {
		p.s2buf = make([]byte, n)
	}
	enc := s2.Encode(p.s2buf[:cap(p.s2buf)], b)
	v := make([]byte, 1+len(enc))
	v[0] = compressedLead
	copy(v[1:], enc)
	v, err = pipeline.SealValue(p.sealer, pipeline.LeadSubject(id), keyLead+id, v)
	if err != nil {
		return fmt.Errorf("dedupe: %w", err)
	}
	p.table.Put(keyLead+id, v)
	return nil
}

// putSealedJSON stores v at key sealed under lead id's data key.
func (p *Processor) putSealedJSON(id, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("dedupe: encode %q: %w", key, err)
	}
	if b, err = pipeline.SealValue(p.sealer, pipeline.LeadSubject(id), key, b); err != nil {
		return fmt.Errorf("dedupe: %w", err)
	}
	p.table.Put(key, b)
	return nil
}

// getSealedJSON reads what putSealedJSON stored; an erased lead's value
// reads as missing.
func (p *Processor) getSealedJSON(id, key string, v any) (bool, error) {
	b, ok, err := p.table.Get(key)
	if err != nil || !ok {
		return false, err
	}
	if b, err = pipeline.OpenValue(p.context(), p.sealer, pipeline.LeadSubject(id), key, b); err != nil {
		if errors.Is(err, pipeline.ErrErased) {
			return false, nil
		}
		return false, fmt.Errorf("dedupe: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("dedupe: corrupt state at %q: %w", key, err)
	}
	return true, nil
}

func (p *Processor) context() context.Context {
	if p.ctx != nil {
		return p.ctx
	}
	return context.Background()
}

// getLead reads the lead id into st; false when it is not in the state.
func (p *Processor) getLead(id string, st *leadState) (bool, error) {
	b, ok, err := p.table.Get(keyLead + id)
	if err != nil || !ok {
		return false, err
	}
	if b, err = pipeline.OpenValue(p.context(), p.sealer, pipeline.LeadSubject(id), keyLead+id, b); err != nil {
		if errors.Is(err, pipeline.ErrErased) {
			return false, nil // an erased lead
		}
		return false, fmt.Errorf("dedupe: %w", err)
	}
	if len(b) > 0 && b[0] == compressedLead {
		if b, err = s2.Decode(nil, b[1:]); err != nil {
			return false, fmt.Errorf("dedupe: corrupt state at %q: %w", keyLead+id, err)
		}
	}
	if err := json.Unmarshal(b, st); err != nil {
		return false, fmt.Errorf("dedupe: corrupt state at %q: %w", keyLead+id, err)
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
	phone := l.Phone
	if phone == "" && l.IsOrganisation() {
		// An organisation's switchboard number tells its sites apart even
		// when it is only possible (not valid) for its region.
		for _, p := range l.Phones {
			if phone = p.E164; phone == "" {
				phone = phoneDigits(p.Raw)
			}
			if phone != "" {
				break
			}
		}
	}
	return match.Record{
		FirstName:     l.FirstName,
		LastName:      l.LastName,
		FullName:      l.FullName,
		Email:         email,
		EmailFreeMail: dom != "" && lead.IsFreeMail(dom),
		Phone:         phone,
		Company:       lead.CompanyKey(l.Company),
		CompanyName:   l.Company,
		Domain:        org,
		Street:        l.Street,
		City:          l.City,
		Postcode:      l.Postcode,
		State:         l.State,
		Country:       l.Country,
		Organisation:  l.IsOrganisation(),
		OrgID:         l.OrganisationID,
	}
}

// phoneDigits is the digits of a phone number as given, without an
// international call prefix ("0033-1-…" and "+33 1 …" agree), or "" for
// fewer than six.
func phoneDigits(raw string) string {
	var b []byte
	for i := 0; i < len(raw); i++ {
		if raw[i] >= '0' && raw[i] <= '9' {
			b = append(b, raw[i])
		}
	}
	if strings.HasPrefix(strings.TrimSpace(raw), "00") && len(b) > 2 {
		b = b[2:]
	}
	if len(b) < 6 {
		return ""
	}
	return "+" + string(b)
}

// AddLead files l as a lead of its own under id without matching it: the
// state a partition would hold had l been decided new. Benchmarks use it
// to preload a partition.
func (p *Processor) AddLead(id string, l *lead.Lead) error {
	st := leadState{Key: l.PartitionKey(), Lead: *l}
	rec := match.Prepare(Record(l))
	if p.ids.full() {
		p.reset()
	}
	return p.file(id, &st, rec, rec.Keys(), "")
}
