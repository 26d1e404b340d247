package zoominfo_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/leadstream/leadstream/connectors/pull"
	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
	emu "github.com/leadstream/leadstream/connectors/pull/emulators/zoominfo"
	"github.com/leadstream/leadstream/connectors/pull/pulltest"
	"github.com/leadstream/leadstream/connectors/pull/zoominfo"
)

const secret = "zi-secret-abcdef"

func newPuller(t testing.TB, e *emu.Emulator, secret string, perPage int, enrich bool) *zoominfo.Puller {
	p, err := zoominfo.New(zoominfo.Options{ClientID: emu.ClientID, ClientSecret: secret, BaseURL: e.URL,
		PageSize: perPage, Enrich: enrich, Query: zoominfo.Query{JobTitle: "CFO", ManagementLevel: "C-Level"}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func start(enrich bool) func(testing.TB, emukit.Config, string, int) (pull.Puller, *emukit.Kit) {
	return func(t testing.TB, cfg emukit.Config, k string, perPage int) (pull.Puller, *emukit.Kit) {
		e := emu.New(cfg)
		t.Cleanup(e.Close)
		return newPuller(t, e, k, perPage, enrich), e.Kit
	}
}

func TestConformanceSearch(t *testing.T) {
	pulltest.Run(t, pulltest.Harness{Provider: "zoominfo", Start: start(false), Key: secret, PerPage: 10, PagePath: emu.SearchPath})
}

func TestConformanceEnrich(t *testing.T) {
	pulltest.Run(t, pulltest.Harness{Provider: "zoominfo", Start: start(true), Key: secret, PerPage: 10, PagePath: emu.SearchPath, PageCredits: 10})
}

func TestTokenRefreshAfter401(t *testing.T) {
	e := emu.New(emukit.Config{Key: secret, Records: 25})
	defer e.Close()
	p := newPuller(t, e, secret, 10, false)
	var col pulltest.Collector
	var buf bytes.Buffer
	o := pulltest.Options(t.TempDir(), pulltest.NewClock(), &buf)
	o.MaxSteps = 1
	if _, err := pull.Run(context.Background(), p, col.Handle, o); err != nil {
		t.Fatal(err)
	}
	e.RevokeAll()
	o.MaxSteps = 0
	st, err := pull.Run(context.Background(), p, col.Handle, o)
	if err != nil || st.Stop != pull.StopDone || col.Unique() != 25 {
		t.Fatalf("err %v stop %s records %d", err, st.Stop, col.Unique())
	}
	if e.Issued() != 2 || e.Kit.AuthFailures() != 1 {
		t.Errorf("tokens issued %d, 401s %d; want 2 and 1", e.Issued(), e.Kit.AuthFailures())
	}
}

func TestLimitExceededStops(t *testing.T) {
	e := emu.New(emukit.Config{Key: secret, Records: 25, Credits: 15})
	defer e.Close()
	var col pulltest.Collector
	var buf bytes.Buffer
	_, err := pull.Run(context.Background(), newPuller(t, e, secret, 10, true), col.Handle, pulltest.Options(t.TempDir(), pulltest.NewClock(), &buf))
	if !errors.Is(err, pull.ErrQuota) {
		t.Fatalf("err = %v, want quota", err)
	}
	if len(col.IDs) != 15 || e.Kit.Spent() != 15 {
		t.Errorf("records %d, spent %v; want every paid-for record (15)", len(col.IDs), e.Kit.Spent())
	}
}

func TestRateHeaders(t *testing.T) {
	h := http.Header{}
	h.Set("X-RateLimit-Limit-Second", "25")
	h.Set("X-RateLimit-Remaining-Second", "0")
	h.Set("X-RateLimit-Remaining-Hour", "5000")
	ri := zoominfo.Rate(h, time.Unix(0, 0))
	if ri.Remaining != 0 || ri.Limit != 25 || ri.ResetAfter != time.Second {
		t.Fatalf("got %+v", ri)
	}
}
