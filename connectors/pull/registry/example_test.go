package registry_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/leadstream/leadstream/connectors/pull"
	emu "github.com/leadstream/leadstream/connectors/pull/emulators/apollo"
	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
	"github.com/leadstream/leadstream/connectors/pull/registry"
)

// Example shows how `leadstream pull --provider apollo` wires a pull: build
// the puller from flags, then Run it with a handler that produces to Kafka
// (here: counts) and a checkpoint directory.
func Example() {
	srv := emu.New(emukit.Config{Key: "demo-key", Records: 7})
	defer srv.Close()

	p, err := registry.New(registry.Config{
		Provider: "apollo", APIKey: "demo-key", BaseURL: srv.BaseURL(), PageSize: 5,
		Query: []byte(`{"person_titles":["CFO"],"q_organization_domains_list":["example.com"]}`),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, _ := os.MkdirTemp("", "pull-example")
	defer os.RemoveAll(dir)

	n := 0
	handler := func(ctx context.Context, r pull.Record) error {
		n++ // a real handler produces r.Data keyed by r.Provider/r.ID and waits for the ack
		return nil
	}
	st, err := pull.Run(context.Background(), p, handler, pull.Options{
		Dir:          dir,
		CreditBudget: 100,
		Logger:       slog.New(slog.DiscardHandler),
	})
	switch {
	case errors.Is(err, pull.ErrAuth), errors.Is(err, pull.ErrQuota):
		fmt.Println("stop:", err)
	case err != nil:
		fmt.Println("failed:", err)
	default:
		fmt.Println(st.Stop, st.Records, n)
	}
	// Output: done 7 7
}
