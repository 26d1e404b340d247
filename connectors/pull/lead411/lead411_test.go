package lead411_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/leadstream/leadstream/connectors/pull"
	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
	emu "github.com/leadstream/leadstream/connectors/pull/emulators/lead411"
	"github.com/leadstream/leadstream/connectors/pull/lead411"
	"github.com/leadstream/leadstream/connectors/pull/pulltest"
)

const password = "l411-password-123"

func newPuller(t testing.TB, e *emu.Emulator, pw string, perPage int, unlock bool) *lead411.Puller {
	p, err := lead411.New(lead411.Options{Email: emu.Email, Password: pw, BaseURL: e.BaseURL(), PerPage: perPage,
		Unlock: unlock, Query: lead411.Query{SearchString: "cfo boston"}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func start(unlock bool) func(testing.TB, emukit.Config, string, int) (pull.Puller, *emukit.Kit) {
	return func(t testing.TB, cfg emukit.Config, k string, perPage int) (pull.Puller, *emukit.Kit) {
		e := emu.New(cfg)
		t.Cleanup(e.Close)
		return newPuller(t, e, k, perPage, unlock), e.Kit
	}
}

func TestConformanceSearch(t *testing.T) {
	pulltest.Run(t, pulltest.Harness{Provider: "lead411", Start: start(false), Key: password, PerPage: 10, PagePath: emu.SearchPath})
}

// Unlock spends one credit per step, so the suite's one-page budget check
// does not apply (PageCredits 0); TestUnlockBudget covers it.
func TestConformanceUnlock(t *testing.T) {
	pulltest.Run(t, pulltest.Harness{Provider: "lead411", Start: start(true), Key: password, PerPage: 10, PagePath: emu.SearchPath})
}

func TestUnlockBudget(t *testing.T) {
	e := emu.New(emukit.Config{Key: password, Records: 25})
	defer e.Close()
	p := newPuller(t, e, password, 10, true)
	var col pulltest.Collector
	var buf bytes.Buffer
	o := pulltest.Options(t.TempDir(), pulltest.NewClock(), &buf)
	o.CreditBudget = 12
	st, err := pull.Run(context.Background(), p, col.Handle, o)
	if err != nil || st.Stop != pull.StopBudget {
		t.Fatalf("err %v stop %s", err, st.Stop)
	}
	if e.Kit.Spent() != 12 || len(col.IDs) != 12 || e.Kit.Count(emu.SearchPath) != 2 {
		t.Errorf("spent %v records %d searches %d; want 12, 12, 2", e.Kit.Spent(), len(col.IDs), e.Kit.Count(emu.SearchPath))
	}
	rec := col.Recs[0].Data
	if _, ok := rec["unlock"].(map[string]any); !ok {
		t.Errorf("unlock data missing: %v", rec)
	}
}

func TestReloginAfterExpiredToken(t *testing.T) {
	e := emu.New(emukit.Config{Key: password, Records: 25})
	defer e.Close()
	p := newPuller(t, e, password, 10, false)
	var col pulltest.Collector
	var buf bytes.Buffer
	o := pulltest.Options(t.TempDir(), pulltest.NewClock(), &buf)
	o.MaxSteps = 1
	if _, err := pull.Run(context.Background(), p, col.Handle, o); err != nil {
		t.Fatal(err)
	}
	e.ExpireTokens()
	o.MaxSteps = 0
	if _, err := pull.Run(context.Background(), p, col.Handle, o); err != nil || col.Unique() != 25 {
		t.Fatalf("err %v records %d", err, col.Unique())
	}
	if e.Kit.Count(emu.AuthPath) != 2 {
		t.Errorf("logins %d, want 2", e.Kit.Count(emu.AuthPath))
	}
}

func TestOutOfCredits(t *testing.T) {
	e := emu.New(emukit.Config{Key: password, Records: 25, Credits: 3})
	defer e.Close()
	var col pulltest.Collector
	var buf bytes.Buffer
	_, err := pull.Run(context.Background(), newPuller(t, e, password, 10, true), col.Handle, pulltest.Options(t.TempDir(), pulltest.NewClock(), &buf))
	if !errors.Is(err, pull.ErrQuota) || len(col.IDs) != 3 {
		t.Fatalf("err %v records %d", err, len(col.IDs))
	}
}
