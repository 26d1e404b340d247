package lusha_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/leadstream/leadstream/connectors/pull"
	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
	emu "github.com/leadstream/leadstream/connectors/pull/emulators/lusha"
	"github.com/leadstream/leadstream/connectors/pull/lusha"
	"github.com/leadstream/leadstream/connectors/pull/pulltest"
)

const key = "lusha-key-0123456789"

func start(reveal []string) func(testing.TB, emukit.Config, string, int) (pull.Puller, *emukit.Kit) {
	return func(t testing.TB, cfg emukit.Config, k string, perPage int) (pull.Puller, *emukit.Kit) {
		e := emu.New(cfg)
		t.Cleanup(e.Close)
		p, err := lusha.New(lusha.Options{APIKey: k, BaseURL: e.URL, PageSize: perPage, Reveal: reveal,
			Query: lusha.Query{JobTitles: []string{"CFO"}, CompanyDomains: []string{"example.com"}}})
		if err != nil {
			t.Fatal(err)
		}
		return p, e.Kit
	}
}

func TestConformanceProspecting(t *testing.T) {
	pulltest.Run(t, pulltest.Harness{Provider: "lusha", Start: start(nil), Key: key, PerPage: 10, PagePath: emu.ProspectPath})
}

func TestConformanceReveal(t *testing.T) {
	pulltest.Run(t, pulltest.Harness{Provider: "lusha", Start: start([]string{"emails", "phones"}), Key: key, PerPage: 10, PagePath: emu.ProspectPath, PageCredits: 20})
}

func TestNotEnoughCredits402(t *testing.T) {
	p, kit := start([]string{"emails"})(t, emukit.Config{Key: key, Records: 25, Credits: 15}, key, 10)
	var col pulltest.Collector
	var buf bytes.Buffer
	_, err := pull.Run(context.Background(), p, col.Handle, pulltest.Options(t.TempDir(), pulltest.NewClock(), &buf))
	if !errors.Is(err, pull.ErrQuota) {
		t.Fatalf("err = %v, want quota (402)", err)
	}
	if kit.Spent() != 10 || len(col.IDs) != 10 || kit.Count(emu.EnrichPath) != 2 {
		t.Errorf("spent %v records %d enrich calls %d; want 10, 10, 2", kit.Spent(), len(col.IDs), kit.Count(emu.EnrichPath))
	}
}
