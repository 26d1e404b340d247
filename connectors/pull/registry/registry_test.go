package registry_test

import (
	"errors"
	"testing"

	"github.com/leadstream/leadstream/connectors/pull/registry"
)

func TestNew(t *testing.T) {
	tests := []struct {
		cfg     registry.Config
		wantErr bool
		fileErr bool
	}{
		{registry.Config{Provider: "apollo", APIKey: "k", Query: []byte(`{"person_titles":["CFO"]}`)}, false, false},
		{registry.Config{Provider: "apollo", APIKey: "k", Query: []byte(`{"nope":1}`)}, true, false},
		{registry.Config{Provider: "zoominfo", ClientID: "i", ClientSecret: "s"}, false, false},
		{registry.Config{Provider: "hunter", APIKey: "k", Query: []byte(`{"domains":["example.com"]}`)}, false, false},
		{registry.Config{Provider: "hunter", APIKey: "k"}, true, false},
		{registry.Config{Provider: "lusha", APIKey: "k", Enrich: true, Query: []byte(`{"jobTitles":["CEO"],"companyDomains":["example.com"]}`)}, false, false},
		{registry.Config{Provider: "seamless", APIKey: "k"}, false, false},
		{registry.Config{Provider: "lead411", Email: "e", Password: "p"}, false, false},
		{registry.Config{Provider: "rocketreach", APIKey: "k"}, false, false},
		{registry.Config{Provider: "uplead", APIKey: "k", Query: []byte(`{"domains":["example.com"]}`)}, false, false},
		{registry.Config{Provider: "bookyourdata"}, true, true},
		{registry.Config{Provider: "leadsblue"}, true, true},
		{registry.Config{Provider: "nobody"}, true, false},
	}
	for _, tc := range tests {
		p, err := registry.New(tc.cfg)
		if (err != nil) != tc.wantErr || errors.Is(err, registry.ErrFileOnly) != tc.fileErr {
			t.Errorf("%s: err %v", tc.cfg.Provider, err)
			continue
		}
		if err == nil && p.Provider() != tc.cfg.Provider {
			t.Errorf("%s: got provider %s", tc.cfg.Provider, p.Provider())
		}
	}
	if n := len(registry.Providers()); n != 10 {
		t.Errorf("Providers() has %d keys, want 10", n)
	}
}
