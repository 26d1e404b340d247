package rocketreach_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/leadstream/leadstream/connectors/pull"
	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
	emu "github.com/leadstream/leadstream/connectors/pull/emulators/rocketreach"
	"github.com/leadstream/leadstream/connectors/pull/pulltest"
	"github.com/leadstream/leadstream/connectors/pull/rocketreach"
)

const key = "rr-key-0123456789"

func newPuller(t testing.TB, e *emu.Emulator, k string, perPage int, lookup bool) *rocketreach.Puller {
	p, err := rocketreach.New(rocketreach.Options{APIKey: k, BaseURL: e.BaseURL(), PageSize: perPage, Lookup: lookup,
		Query: rocketreach.Query{CurrentTitle: []string{"CISO"}, Geo: []string{"Boston"}}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func start(lookup bool) func(testing.TB, emukit.Config, string, int) (pull.Puller, *emukit.Kit) {
	return func(t testing.TB, cfg emukit.Config, k string, perPage int) (pull.Puller, *emukit.Kit) {
		e := emu.New(cfg)
		t.Cleanup(e.Close)
		return newPuller(t, e, k, perPage, lookup), e.Kit
	}
}

func TestConformanceSearch(t *testing.T) {
	pulltest.Run(t, pulltest.Harness{Provider: "rocketreach", Start: start(false), Key: key, PerPage: 10, PagePath: emu.SearchPath})
}

// Lookups spend one credit per step; TestLookupBudget covers the budget.
func TestConformanceLookup(t *testing.T) {
	pulltest.Run(t, pulltest.Harness{Provider: "rocketreach", Start: start(true), Key: key, PerPage: 10, PagePath: emu.SearchPath})
}

func runLookup(t *testing.T, cfg emukit.Config, mutate func(*pull.Options)) (pull.Stats, error, *pulltest.Collector, *emu.Emulator, []*pull.RecordError) {
	t.Helper()
	e := emu.New(cfg)
	t.Cleanup(e.Close)
	col := &pulltest.Collector{}
	var buf bytes.Buffer
	var rerrs []*pull.RecordError
	o := pulltest.Options(t.TempDir(), pulltest.NewClock(), &buf)
	o.OnRecordError = func(_ context.Context, re *pull.RecordError) { rerrs = append(rerrs, re) }
	if mutate != nil {
		mutate(&o)
	}
	st, err := pull.Run(context.Background(), newPuller(t, e, key, 10, true), col.Handle, o)
	return st, err, col, e, rerrs
}

func TestLookupInProgressIsPolled(t *testing.T) {
	st, err, col, e, _ := runLookup(t, emukit.Config{Key: key, Records: 12, PendingPolls: 2}, nil)
	if err != nil || col.Unique() != 12 {
		t.Fatalf("err %v records %d", err, col.Unique())
	}
	// Two pages: each polls its in-progress lookups twice (once pending, once complete).
	if e.Kit.Count(emu.StatusPath) != 4 || st.Polls != 2 || e.Kit.Spent() != 12 || e.Kit.Count(emu.LookupPath) != 12 {
		t.Errorf("checkStatus %d polls %d spent %v lookups %d", e.Kit.Count(emu.StatusPath), st.Polls, e.Kit.Spent(), e.Kit.Count(emu.LookupPath))
	}
	for _, r := range col.Recs {
		if r.Data["status"] != "complete" {
			t.Fatalf("incomplete profile emitted: %v", r.Data)
		}
	}
}

func TestLookupGivesUp(t *testing.T) {
	_, err, col, e, rerrs := runLookup(t, emukit.Config{Key: key, Records: 3, NeverComplete: true}, func(o *pull.Options) { o.MaxPolls = 3 })
	if err != nil || len(col.IDs) != 0 || len(rerrs) != 3 {
		t.Fatalf("err %v records %d record errors %d", err, len(col.IDs), len(rerrs))
	}
	if e.Kit.Count(emu.StatusPath) != 4 {
		t.Errorf("checkStatus %d, want 4 (3 pending + the give-up poll)", e.Kit.Count(emu.StatusPath))
	}
}

func TestLookupBudget(t *testing.T) {
	st, err, col, e, _ := runLookup(t, emukit.Config{Key: key, Records: 25}, func(o *pull.Options) { o.CreditBudget = 7 })
	if err != nil || st.Stop != pull.StopBudget || e.Kit.Spent() != 7 || len(col.IDs) != 7 {
		t.Fatalf("err %v stop %s spent %v records %d", err, st.Stop, e.Kit.Spent(), len(col.IDs))
	}
}

func TestNoCreditsIsAuthLikeError(t *testing.T) {
	_, err, col, _, _ := runLookup(t, emukit.Config{Key: key, Records: 25, Credits: 2}, nil)
	if !errors.Is(err, pull.ErrAuth) || len(col.IDs) != 2 {
		t.Fatalf("err %v records %d", err, len(col.IDs))
	}
}
