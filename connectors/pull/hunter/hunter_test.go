package hunter_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/leadstream/leadstream/connectors/pull"
	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
	emu "github.com/leadstream/leadstream/connectors/pull/emulators/hunter"
	"github.com/leadstream/leadstream/connectors/pull/hunter"
	"github.com/leadstream/leadstream/connectors/pull/pulltest"
)

const key = "hunter-key-0123456789"

func start(t testing.TB, cfg emukit.Config, k string, perPage int) (pull.Puller, *emukit.Kit) {
	e := emu.New(cfg)
	t.Cleanup(e.Close)
	p, err := hunter.New(hunter.Options{APIKey: k, BaseURL: e.BaseURL(), Limit: perPage,
		Query: hunter.Query{Domains: []string{"example.com"}, Type: "personal"}})
	if err != nil {
		t.Fatal(err)
	}
	return p, e.Kit
}

func TestConformance(t *testing.T) {
	pulltest.Run(t, pulltest.Harness{Provider: "hunter", Start: start, Key: key, PerPage: 10, PagePath: emu.SearchPath, PageCredits: 1})
}

func TestMonthlyQuotaStopsWithoutLooping(t *testing.T) {
	p, kit := start(t, emukit.Config{Key: key, Records: 25, Credits: 2}, key, 10)
	var col pulltest.Collector
	var buf bytes.Buffer
	st, err := pull.Run(context.Background(), p, col.Handle, pulltest.Options(t.TempDir(), pulltest.NewClock(), &buf))
	if !errors.Is(err, pull.ErrQuota) || !strings.Contains(err.Error(), "usage_limit") {
		t.Fatalf("err = %v, want usage_limit quota error", err)
	}
	if kit.Count(emu.SearchPath) != 3 || st.Retries != 0 || len(col.IDs) != 20 {
		t.Errorf("requests %d retries %d records %d; want 3, 0, 20", kit.Count(emu.SearchPath), st.Retries, len(col.IDs))
	}
}

func TestSeveralDomainsAndParent(t *testing.T) {
	e := emu.New(emukit.Config{Key: key, Records: 15})
	defer e.Close()
	p, _ := hunter.New(hunter.Options{APIKey: key, BaseURL: e.BaseURL(), Limit: 10, Query: hunter.Query{Domains: []string{"a.example", "b.example"}}})
	var col pulltest.Collector
	var buf bytes.Buffer
	st, err := pull.Run(context.Background(), p, col.Handle, pulltest.Options(t.TempDir(), pulltest.NewClock(), &buf))
	if err != nil || len(col.IDs) != 30 || st.Credits != 4 {
		t.Fatalf("err %v records %d credits %v; want 30 records for 4 credits", err, len(col.IDs), st.Credits)
	}
	if col.Recs[0].Parent["domain"] != "a.example" || col.Recs[29].Parent["domain"] != "b.example" {
		t.Errorf("parents: %v / %v", col.Recs[0].Parent["domain"], col.Recs[29].Parent["domain"])
	}
	if strings.Contains(buf.String(), key) {
		t.Error("key logged")
	}
}
