package uplead_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/leadstream/leadstream/connectors/pull"
	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
	emu "github.com/leadstream/leadstream/connectors/pull/emulators/uplead"
	"github.com/leadstream/leadstream/connectors/pull/pulltest"
	"github.com/leadstream/leadstream/connectors/pull/uplead"
)

const key = "uplead-key-0123456789"

func start(t testing.TB, cfg emukit.Config, k string, perPage int) (pull.Puller, *emukit.Kit) {
	e := emu.New(cfg)
	t.Cleanup(e.Close)
	p, err := uplead.New(uplead.Options{APIKey: k, BaseURL: e.BaseURL(), PerPage: perPage,
		Query: uplead.Query{Domains: []string{"example.com"}, ManagementLevel: "VP"}})
	if err != nil {
		t.Fatal(err)
	}
	return p, e.Kit
}

func TestConformance(t *testing.T) {
	// Page one holds row 0, whose email is invalid and not charged: 9 credits.
	pulltest.Run(t, pulltest.Harness{Provider: "uplead", Start: start, Key: key, PerPage: 10, PagePath: emu.SearchPath, PageCredits: 9})
}

func TestAvailableCreditsStop(t *testing.T) {
	p, kit := start(t, emukit.Config{Key: key, Records: 25, Credits: 15}, key, 10)
	var col pulltest.Collector
	var buf bytes.Buffer
	st, err := pull.Run(context.Background(), p, col.Handle, pulltest.Options(t.TempDir(), pulltest.NewClock(), &buf))
	if err != nil || st.Stop != pull.StopCredits {
		t.Fatalf("err %v stop %s, want a clean credits stop", err, st.Stop)
	}
	if kit.Spent() != 9 || kit.Count(emu.SearchPath) != 1 {
		t.Errorf("spent %v, requests %d", kit.Spent(), kit.Count(emu.SearchPath))
	}
}

func TestCharged(t *testing.T) {
	tests := []struct {
		rec  map[string]any
		want bool
	}{
		{map[string]any{"email": "a@b.c", "email_status": "valid"}, true},
		{map[string]any{"email": "a@b.c", "email_status": "Accept All"}, true},
		{map[string]any{"email": "a@b.c", "email_status": "accept_all"}, true},
		{map[string]any{"email": "a@b.c", "email_status": "invalid"}, false},
		{map[string]any{"email": "a@b.c", "email_status": "unknown"}, false},
		{map[string]any{"first_name": "Jane"}, true},
	}
	for _, tc := range tests {
		if got := uplead.Charged(tc.rec); got != tc.want {
			t.Errorf("Charged(%v) = %v, want %v", tc.rec, got, tc.want)
		}
	}
}
