package erasure

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/connectors/halopsa/halosandbox"
	"github.com/leadstream/leadstream/internal/api"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/internal/leadsview"
	"github.com/leadstream/leadstream/pipeline"
)

type producer struct {
	mu   sync.Mutex
	recs []*kgo.Record
	err  error
}

func (p *producer) ProduceSync(_ context.Context, rs ...*kgo.Record) kgo.ProduceResults {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out kgo.ProduceResults
	for _, r := range rs {
		if p.err == nil {
			p.recs = append(p.recs, r)
		}
		out = append(out, kgo.ProduceResult{Record: r, Err: p.err})
	}
	return out
}

// fixture is a view holding one lead whose HaloPSA ticket and user live in
// the emulator.
func fixture(t *testing.T) (*leadsview.View, *halosandbox.Server, *halopsa.Client, int) {
	t.Helper()
	ctx := context.Background()
	sb := halosandbox.New(halosandbox.Options{RateLimit: -1})
	hs := httptest.NewServer(sb)
	t.Cleanup(hs.Close)
	halo, err := halopsa.New(halopsa.Options{BaseURL: hs.URL, ClientID: "sandbox-client", ClientSecret: "sandbox-secret", RateLimit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	clients, err := halo.UpsertClients(ctx, halopsa.Area{Name: "Initech"})
	if err != nil {
		t.Fatal(err)
	}
	users, err := halo.UpsertUsers(ctx, halopsa.User{Name: "Greta Okafor", FirstName: "Greta", Surname: "Okafor",
		EmailAddress: "greta@initech.example", PhoneNumber: "+442079460100", Title: "IT Director", ClientID: clients[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	tickets, err := halo.UpsertTickets(ctx, halopsa.Ticket{Summary: "Lead: Greta Okafor", UserID: users[0].ID, TicketTypeID: 1})
	if err != nil {
		t.Fatal(err)
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, pipeline.TopicCurrent))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	env := &pipeline.Envelope{TraceID: "t1", LeadID: "ld_greta", FirstSeen: time.Now().UTC(), Outcome: pipeline.OutcomeSynced,
		Halo: &pipeline.HaloRef{TicketID: tickets[0].ID, StatusID: 1},
		Lead: &lead.Lead{FirstName: "Greta", LastName: "Okafor", Email: "greta@initech.example", Phone: "+442079460100",
			Emails: []lead.Email{{Address: "greta@initech.example", Valid: true}}, Phones: []lead.Phone{{E164: "+442079460100", Valid: true}}}}
	rec, err := env.Record(pipeline.TopicCurrent, "ld_greta")
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
		t.Fatal(err)
	}
	v, err := leadsview.Open(leadsview.Options{Dir: filepath.Join(t.TempDir(), "view")})
	if err != nil {
		t.Fatal(err)
	}
	fctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = v.Follow(fctx, c.ListenAddrs(), pipeline.TopicCurrent) }()
	t.Cleanup(func() { cancel(); <-done; _ = v.Close() })
	<-v.Ready()
	return v, sb, halo, users[0].ID
}

func TestEraseAnonymisesAndSuppresses(t *testing.T) {
	v, sb, halo, userID := fixture(t)
	p := &producer{}
	e := &Eraser{View: v, Producer: p, SuppressionKey: []byte("k"), Halo: HaloClient{Client: halo}}
	at, err := e.Erase(context.Background(), "ld_greta", true)
	if err != nil || at.IsZero() {
		t.Fatal(at, err)
	}
	u, ok := sb.Record("Users", userID)
	if !ok {
		t.Fatal("the user is gone: tickets and users are never deleted")
	}
	for _, f := range []string{"firstname", "surname", "emailaddress", "phonenumber", "title"} {
		if v, _ := u[f].(string); v != "" {
			t.Errorf("user %s = %q, want it empty", f, v)
		}
	}
	if u["name"] != "Erased contact" {
		t.Errorf("user name %v", u["name"])
	}
	// One hashed entry per e-mail and phone, with reason erasure, and the
	// lead's tombstone; no personal data in any of them.
	want := lead.SuppressionKeys([]byte("k"), []string{"greta@initech.example"}, []string{"+442079460100"})
	var entries, tombstones int
	for _, r := range p.recs {
		switch r.Topic {
		case pipeline.TopicSuppressions:
			entries++
			env, err := pipeline.DecodeEnvelope(r)
			if err != nil || env.Reasons[0] != ReasonErasure || env.Lead != nil {
				t.Errorf("entry %+v %v", env, err)
			}
			found := false
			for _, k := range want {
				found = found || k == string(r.Key)
			}
			if !found {
				t.Errorf("unexpected entry key %q", r.Key)
			}
		case pipeline.TopicCurrent:
			if r.Value == nil && string(r.Key) == "ld_greta" {
				tombstones++
			}
		}
	}
	if entries != len(want) || tombstones != 1 {
		t.Fatalf("%d entries (want %d), %d tombstones", entries, len(want), tombstones)
	}
	if _, err := v.Get(t.Context(), "ld_greta"); !errors.Is(err, leadsview.ErrNotFound) {
		t.Fatalf("still in the view: %v", err)
	}
	if _, err := e.Erase(context.Background(), "ld_greta", false); !errors.Is(err, api.ErrLeadNotFound) {
		t.Fatalf("second erasure: %v", err)
	}
}

func TestEraseHaloFailure(t *testing.T) {
	v, _, _, _ := fixture(t)
	down, err := halopsa.New(halopsa.Options{BaseURL: "http://127.0.0.1:1", ClientID: "x", ClientSecret: "y", Max5xxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	e := &Eraser{View: v, Producer: &producer{}, SuppressionKey: []byte("k"), Halo: HaloClient{Client: down}}
	if _, err := e.Erase(context.Background(), "ld_greta", true); !errors.Is(err, api.ErrHalo) {
		t.Fatalf("erase with HaloPSA down: %v", err)
	}
	// The local erasure happened anyway.
	if _, err := v.Get(t.Context(), "ld_greta"); !errors.Is(err, leadsview.ErrNotFound) {
		t.Fatalf("still in the view: %v", err)
	}
}
