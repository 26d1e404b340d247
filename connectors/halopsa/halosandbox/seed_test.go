package halosandbox

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/leadstream/leadstream/internal/workflow"
)

// TestDefaultSeedHasEveryWorkflowStatus checks that each status of the
// shipped workflow configuration exists in the default seed and is
// available to its entity's ticket type (the opportunity type when the
// configuration leaves it null).
func TestDefaultSeedHasEveryWorkflowStatus(t *testing.T) {
	var cfg workflow.Config
	if err := json.Unmarshal(workflow.DefaultConfig(), &cfg); err != nil {
		t.Fatal(err)
	}
	seed := DefaultSeed()
	for entity, def := range cfg.Entities {
		typeID := seed.DefaultOpportunityTypeID
		if def.TicketTypeID != nil {
			typeID = *def.TicketTypeID
		}
		if !slices.ContainsFunc(seed.TicketTypes, func(tt TicketType) bool { return tt.ID == typeID }) {
			t.Errorf("%s: ticket type %d is not seeded", entity, typeID)
		}
		for code, st := range def.Statuses {
			i := slices.IndexFunc(seed.Statuses, func(s Status) bool { return s.ID == st.ID })
			if i < 0 {
				t.Errorf("%s.%s: status %d is not seeded", entity, code, st.ID)
				continue
			}
			if ids := seed.Statuses[i].TicketTypeIDs; len(ids) > 0 && !slices.Contains(ids, typeID) {
				t.Errorf("%s.%s: status %d is limited to ticket types %v, not %d", entity, code, st.ID, ids, typeID)
			}
		}
	}
}
