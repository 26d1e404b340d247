package seamless_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/leadstream/leadstream/connectors/pull"
	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
	emu "github.com/leadstream/leadstream/connectors/pull/emulators/seamless"
	"github.com/leadstream/leadstream/connectors/pull/pulltest"
	"github.com/leadstream/leadstream/connectors/pull/seamless"
)

const key = "seamless-key-0123456789"

func start(searchOnly bool) func(testing.TB, emukit.Config, string, int) (pull.Puller, *emukit.Kit) {
	return func(t testing.TB, cfg emukit.Config, k string, perPage int) (pull.Puller, *emukit.Kit) {
		e := emu.New(cfg)
		t.Cleanup(e.Close)
		p, err := seamless.New(seamless.Options{APIKey: k, BaseURL: e.BaseURL(), Limit: perPage, SearchOnly: searchOnly,
			Query: seamless.Query{JobTitle: []string{"CFO"}, Seniority: []string{"C-Level"}}})
		if err != nil {
			t.Fatal(err)
		}
		return p, e.Kit
	}
}

func TestConformanceResearch(t *testing.T) {
	pulltest.Run(t, pulltest.Harness{Provider: "seamless", Start: start(false), Key: key, PerPage: 10, PagePath: emu.SearchPath, PageCredits: 10})
}

func TestConformanceSearchOnly(t *testing.T) {
	pulltest.Run(t, pulltest.Harness{Provider: "seamless", Start: start(true), Key: key, PerPage: 10, PagePath: emu.SearchPath})
}

func run(t *testing.T, cfg emukit.Config, mutate func(*pull.Options)) (pull.Stats, error, *pulltest.Collector, *emukit.Kit, []*pull.RecordError) {
	t.Helper()
	p, kit := start(false)(t, cfg, key, 10)
	col := &pulltest.Collector{}
	var buf bytes.Buffer
	var rerrs []*pull.RecordError
	o := pulltest.Options(t.TempDir(), pulltest.NewClock(), &buf)
	o.OnRecordError = func(_ context.Context, e *pull.RecordError) { rerrs = append(rerrs, e) }
	if mutate != nil {
		mutate(&o)
	}
	st, err := pull.Run(context.Background(), p, col.Handle, o)
	return st, err, col, kit, rerrs
}

func TestPollingUntilDone(t *testing.T) {
	st, err, col, kit, _ := run(t, emukit.Config{Key: key, Records: 25, PendingPolls: 3}, nil)
	if err != nil || col.Unique() != 25 {
		t.Fatalf("err %v records %d", err, col.Unique())
	}
	// 3 pages × (3 pending polls + 1 final poll).
	if kit.Count(emu.PollPath) != 12 || st.Polls != 9 || kit.Count(emu.ResearchPath) != 3 || kit.Spent() != 25 {
		t.Errorf("polls %d (pending %d), research %d, spent %v", kit.Count(emu.PollPath), st.Polls, kit.Count(emu.ResearchPath), kit.Spent())
	}
}

func TestPollingGivesUp(t *testing.T) {
	st, err, col, kit, rerrs := run(t, emukit.Config{Key: key, Records: 5, NeverComplete: true}, func(o *pull.Options) { o.MaxPolls = 4 })
	if err != nil {
		t.Fatal(err)
	}
	if len(col.IDs) != 0 || len(rerrs) != 5 || st.Stop != pull.StopDone {
		t.Fatalf("records %d, record errors %d, stop %s", len(col.IDs), len(rerrs), st.Stop)
	}
	if kit.Count(emu.PollPath) != 5 || !strings.Contains(rerrs[0].Error(), "still researching") {
		t.Errorf("polls %d, first error %v", kit.Count(emu.PollPath), rerrs[0])
	}
}

func TestCreditsHeaderStopsBeforeResearch(t *testing.T) {
	st, err, col, kit, _ := run(t, emukit.Config{Key: key, Records: 25, Credits: 15}, nil)
	if err != nil || st.Stop != pull.StopCredits {
		t.Fatalf("err %v stop %s, want a clean credits stop", err, st.Stop)
	}
	if kit.Spent() != 10 || len(col.IDs) != 10 || kit.Count(emu.ResearchPath) != 1 {
		t.Errorf("spent %v records %d research calls %d", kit.Spent(), len(col.IDs), kit.Count(emu.ResearchPath))
	}
}

func TestInsufficientCredits422(t *testing.T) {
	// Without the credits header the balance is unknown: the 422 stops the pull.
	e := emu.New(emukit.Config{Key: key, Records: 25, Credits: 15})
	defer e.Close()
	e.HideCredits = true
	p, _ := seamless.New(seamless.Options{APIKey: key, BaseURL: e.BaseURL(), Limit: 10})
	var col pulltest.Collector
	var buf bytes.Buffer
	_, err := pull.Run(context.Background(), p, col.Handle, pulltest.Options(t.TempDir(), pulltest.NewClock(), &buf))
	if !errors.Is(err, pull.ErrQuota) || !strings.Contains(err.Error(), "insufficientCredits") {
		t.Fatalf("err = %v, want insufficientCredits quota stop", err)
	}
	if e.Kit.Spent() != 10 || len(col.IDs) != 10 || e.Kit.Count(emu.ResearchPath) != 2 {
		t.Errorf("spent %v records %d research calls %d", e.Kit.Spent(), len(col.IDs), e.Kit.Count(emu.ResearchPath))
	}
}
