// Package sink is the last stage: it writes each unique lead to HaloPSA
// exactly once per change and publishes the record's outcome on
// leads.synced. Without HaloPSA credentials it runs dry: the writes it
// would make are recorded in the partition's state instead of being sent.
package sink

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/index"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
)

// Table key prefixes.
const (
	keyMapping = "halo/"   // lead id → HaloPSA ids and the last written fingerprint
	keyWrite   = "write/"  // lead id/seq → a write the dry run would have made
	keyClient  = "client/" // company key → HaloPSA client id
)

// Write is one HaloPSA request the sink makes (or, dry, would make).
type Write struct {
	LeadID string `json:"lead_id"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Entity string `json:"entity"` // Client, Users, Tickets
	Create bool   `json:"create"`
	Body   any    `json:"body"`
}

// mapping ties a lead to its HaloPSA records.
type mapping struct {
	ClientID    string `json:"client_id,omitempty"`
	UserID      string `json:"user_id"`
	TicketID    string `json:"ticket_id"`
	Fingerprint string `json:"fingerprint"`
	Writes      int    `json:"writes"`
}

// Stage is the sink stage, dry-run flavour.
type Stage struct{}

// Name implements pipeline.Stage.
func (Stage) Name() string { return "sink" }

// Input implements pipeline.Stage.
func (Stage) Input() string { return pipeline.TopicEnriched }

// Stateful implements pipeline.Stage.
func (Stage) Stateful() bool { return true }

// Open implements pipeline.Stage.
func (Stage) Open(_ context.Context, _ int32, t *pipeline.Table) (pipeline.Processor, error) {
	return &processor{table: t}, nil
}

type processor struct {
	table *pipeline.Table
}

func (p *processor) Process(_ context.Context, in *pipeline.Envelope, out *pipeline.Emitter) error {
	if in.Lead == nil || in.LeadID == "" {
		return fmt.Errorf("sink: record %s has no lead id", in.TraceID)
	}
	fp, err := fingerprint(in.Lead)
	if err != nil {
		return err
	}
	var m mapping
	b, found, err := p.table.Get(keyMapping + in.LeadID)
	if err != nil {
		return err
	}
	if found {
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("sink: corrupt mapping of %s: %w", in.LeadID, err)
		}
	}
	switch {
	case !found:
		m = mapping{UserID: dryID("user", in.LeadID), TicketID: dryID("ticket", in.LeadID), Fingerprint: fp}
		if ck := lead.CompanyKey(in.Lead.Company); ck != "" {
			// Leads of one company share a partition, so the company's
			// Client is created once here.
			id, known, err := p.table.Get(keyClient + ck)
			if err != nil {
				return err
			}
			m.ClientID = string(id)
			if !known {
				m.ClientID = dryID("client", ck)
				p.table.Put(keyClient+ck, []byte(m.ClientID))
				p.record(&m, in.LeadID, Write{Method: "POST", Path: "/api/Client", Entity: "Client", Create: true,
					Body: []map[string]any{{"name": in.Lead.Company, "website": in.Lead.Domain}}})
			}
		}
		p.record(&m, in.LeadID, Write{Method: "POST", Path: "/api/Users", Entity: "Users", Create: true,
			Body: []map[string]any{{"name": name(in.Lead), "emailaddress": in.Lead.Email, "phonenumber": in.Lead.Phone}}})
		p.record(&m, in.LeadID, Write{Method: "POST", Path: "/api/Tickets", Entity: "Tickets", Create: true,
			Body: []map[string]any{{"summary": "Lead: " + name(in.Lead), "user_id": m.UserID}}})
	case m.Fingerprint != fp:
		m.Fingerprint = fp
		p.record(&m, in.LeadID, Write{Method: "POST", Path: "/api/Users", Entity: "Users",
			Body: []map[string]any{{"id": m.UserID, "name": name(in.Lead), "emailaddress": in.Lead.Email, "phonenumber": in.Lead.Phone}}})
	}
	mb, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("sink: encode mapping: %w", err)
	}
	p.table.Put(keyMapping+in.LeadID, mb)

	in.Outcome = pipeline.OutcomeSynced
	if in.Decision != "" && in.Decision != "new" {
		in.Outcome = pipeline.OutcomeMerged
	}
	out.Emit(pipeline.TopicSynced, in.TraceID, in)
	return nil
}

// record stores one dry-run write under the lead.
func (p *processor) record(m *mapping, leadID string, w Write) {
	w.LeadID = leadID
	b, err := json.Marshal(w)
	if err != nil {
		return
	}
	m.Writes++
	p.table.Put(fmt.Sprintf("%s%s/%04d", keyWrite, leadID, m.Writes), b)
}

func name(l *lead.Lead) string {
	switch {
	case l.FullName != "":
		return l.FullName
	case l.FirstName != "" && l.LastName != "":
		return l.FirstName + " " + l.LastName
	default:
		return l.FirstName + l.LastName
	}
}

func fingerprint(l *lead.Lead) (string, error) {
	b, err := json.Marshal(l)
	if err != nil {
		return "", fmt.Errorf("sink: fingerprint: %w", err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:12]), nil
}

func dryID(kind, key string) string {
	s := sha256.Sum256([]byte(kind + "/" + key))
	return "dry-" + kind + "-" + hex.EncodeToString(s[:6])
}

// DryRunWrites reads every write recorded by dry-run sinks under dataDir.
// The sink must not be running (Badger holds a lock on its stores).
func DryRunWrites(dataDir, namespace string, stateKey []byte) ([]Write, error) {
	dirs, err := filepath.Glob(filepath.Join(dataDir, "state", namespace, "sink", "p*"))
	if err != nil {
		return nil, err
	}
	var out []Write
	for _, d := range dirs {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			continue
		}
		opts := index.DefaultOptions(d)
		opts.EncryptionKey = stateKey
		s, err := index.Open(opts)
		if err != nil {
			return nil, err
		}
		err = s.Scan([]byte(keyWrite), func(_, v []byte) (bool, error) {
			var w Write
			if err := json.Unmarshal(v, &w); err != nil {
				return false, fmt.Errorf("sink: corrupt write: %w", err)
			}
			out = append(out, w)
			return true, nil
		})
		if cerr := s.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// UserCreates counts, per lead, the Users the writes create.
func UserCreates(writes []Write) map[string]int {
	out := map[string]int{}
	for _, w := range writes {
		if w.Entity == "Users" && w.Create {
			out[w.LeadID]++
		}
	}
	return out
}
