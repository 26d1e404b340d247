// Package sandbox serves the provider emulators that enrichment uses
// (Apollo, Hunter, Lusha, UpLead, ZoomInfo, RocketReach, Seamless.AI,
// Lead411) on one address, each under its own
// prefix, answering for the people of a canonical CSV file, with credit
// accounting (GET /_control/credits), a count of items paid for more than
// once (GET /_control/paid_twice) and an optional answer latency. It is
// what `leadstream provider-sandbox` runs and what the enrichment tests
// and benchmarks point the pipeline at.
package sandbox

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/leadstream/leadstream/connectors/pull/emulators/apollo"
	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
	"github.com/leadstream/leadstream/connectors/pull/emulators/hunter"
	"github.com/leadstream/leadstream/connectors/pull/emulators/lead411"
	"github.com/leadstream/leadstream/connectors/pull/emulators/lusha"
	"github.com/leadstream/leadstream/connectors/pull/emulators/rocketreach"
	"github.com/leadstream/leadstream/connectors/pull/emulators/seamless"
	"github.com/leadstream/leadstream/connectors/pull/emulators/uplead"
	"github.com/leadstream/leadstream/connectors/pull/emulators/zoominfo"
)

// Keys are the API keys the sandbox accepts.
const (
	ApolloKey = "sandbox-apollo-key"
	HunterKey = "sandbox-hunter-key"
	LushaKey  = "sandbox-lusha-key"
	UpLeadKey = "sandbox-uplead-key"
	// ZoomInfoSecret goes with zoominfo.ClientID.
	ZoomInfoSecret = "sandbox-zoominfo-secret"
	RocketReachKey = "sandbox-rocketreach-key"
	SeamlessKey    = "sandbox-seamless-key"
	// Lead411Password goes with lead411.Email.
	Lead411Password = "sandbox-lead411-password"
)

// Options configure a sandbox.
type Options struct {
	// People are the persons every provider knows.
	People []emukit.Person
	// MinLatency and MaxLatency bound a random delay before each answer.
	MinLatency, MaxLatency time.Duration
	// RateLimit is each emulator's requests per window before a 429 (0: none).
	RateLimit int
	// PendingPolls is how many /webhook_result reads an Apollo reveal (a
	// RocketReach checkStatus, a Seamless poll) stays pending.
	PendingPolls int
}

// Sandbox is the set of emulators behind one handler.
type Sandbox struct {
	Apollo   *apollo.Emulator
	Hunter   *hunter.Emulator
	Lusha    *lusha.Emulator
	UpLead   *uplead.Emulator
	ZoomInfo *zoominfo.Emulator
	// RocketReach, Seamless and Lead411 serve lookups that are charged
	// per person.
	RocketReach *rocketreach.Emulator
	Seamless    *seamless.Emulator
	Lead411     *lead411.Emulator
	opts        Options
	mux         *http.ServeMux
}

// New builds a sandbox.
func New(opts Options) *Sandbox {
	cfg := func(key string) emukit.Config {
		return emukit.Config{Key: key, People: opts.People, RateLimit: opts.RateLimit, PendingPolls: opts.PendingPolls}
	}
	s := &Sandbox{
		Apollo:      apollo.NewHandler(cfg(ApolloKey)),
		Hunter:      hunter.NewHandler(cfg(HunterKey)),
		Lusha:       lusha.NewHandler(cfg(LushaKey)),
		UpLead:      uplead.NewHandler(cfg(UpLeadKey)),
		ZoomInfo:    zoominfo.NewHandler(cfg(ZoomInfoSecret)),
		RocketReach: rocketreach.NewHandler(cfg(RocketReachKey)),
		Seamless:    seamless.NewHandler(cfg(SeamlessKey)),
		Lead411:     lead411.NewHandler(cfg(Lead411Password)),
		opts:        opts,
		mux:         http.NewServeMux(),
	}
	s.mux.Handle("/apollo/", http.StripPrefix("/apollo", s.Apollo.Handler))
	s.mux.Handle("/hunter/", http.StripPrefix("/hunter", s.Hunter.Handler))
	s.mux.Handle("/lusha/", http.StripPrefix("/lusha", s.Lusha.Handler))
	s.mux.Handle("/uplead/", http.StripPrefix("/uplead", s.UpLead.Handler))
	s.mux.Handle("/zoominfo/", http.StripPrefix("/zoominfo", s.ZoomInfo.Handler))
	s.mux.Handle("/rocketreach/", http.StripPrefix("/rocketreach", s.RocketReach.Handler))
	s.mux.Handle("/seamless/", http.StripPrefix("/seamless", s.Seamless.Handler))
	s.mux.Handle("/lead411/", http.StripPrefix("/lead411", s.Lead411.Handler))
	s.mux.HandleFunc("GET /_control/credits", func(w http.ResponseWriter, _ *http.Request) {
		b, _ := json.Marshal(s.Credits())
		emukit.WriteJSON(w, http.StatusOK, string(b))
	})
	s.mux.HandleFunc("GET /_control/paid_twice", func(w http.ResponseWriter, _ *http.Request) {
		b, _ := json.Marshal(s.PaidTwice())
		emukit.WriteJSON(w, http.StatusOK, string(b))
	})
	return s
}

// ServeHTTP delays each provider answer by the configured latency.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if d := s.opts.MaxLatency - s.opts.MinLatency; s.opts.MaxLatency > 0 && !strings.HasPrefix(r.URL.Path, "/_control/") {
		wait := s.opts.MinLatency
		if d > 0 {
			wait += rand.N(d)
		}
		t := time.NewTimer(wait)
		select {
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Sandbox) kits() map[string]*emukit.Kit {
	return map[string]*emukit.Kit{"apollo": s.Apollo.Kit, "hunter": s.Hunter.Kit, "lusha": s.Lusha.Kit, "uplead": s.UpLead.Kit, "zoominfo": s.ZoomInfo.Kit,
		"rocketreach": s.RocketReach.Kit, "seamless": s.Seamless.Kit, "lead411": s.Lead411.Kit}
}

// Credits returns the credits spent per provider.
func (s *Sandbox) Credits() map[string]float64 {
	out := map[string]float64{}
	for k, kit := range s.kits() {
		out[k] = kit.Spent()
	}
	return out
}

// PaidTwice returns, per provider, how many persons or companies were
// charged for more than once.
func (s *Sandbox) PaidTwice() map[string]int {
	out := map[string]int{}
	for k, kit := range s.kits() {
		out[k] = kit.PaidTwice()
	}
	return out
}

// Env is the environment a run needs to enrich against the sandbox at
// base (http://host:port), one KEY=VALUE a line; waterfall is the path of
// the waterfall configuration.
func Env(base, waterfall string) []string {
	base = strings.TrimRight(base, "/")
	return []string{
		"APOLLO_BASE_URL=" + base + "/apollo/api/v1", "APOLLO_API_KEY=" + ApolloKey,
		"HUNTER_BASE_URL=" + base + "/hunter/v2", "HUNTER_API_KEY=" + HunterKey,
		"LUSHA_BASE_URL=" + base + "/lusha", "LUSHA_API_KEY=" + LushaKey,
		"UPLEAD_BASE_URL=" + base + "/uplead/v2", "UPLEAD_API_KEY=" + UpLeadKey,
		"ZOOMINFO_BASE_URL=" + base + "/zoominfo", "ZOOMINFO_CLIENT_ID=" + zoominfo.ClientID, "ZOOMINFO_CLIENT_SECRET=" + ZoomInfoSecret,
		"ROCKETREACH_BASE_URL=" + base + "/rocketreach/api/v2", "ROCKETREACH_API_KEY=" + RocketReachKey,
		"SEAMLESS_BASE_URL=" + base + "/seamless/api/client/v1", "SEAMLESS_API_KEY=" + SeamlessKey,
		"LEAD411_BASE_URL=" + base + "/lead411/v1", "LEAD411_EMAIL=" + lead411.Email, "LEAD411_PASSWORD=" + Lead411Password,
		"LEADSTREAM_ENRICH_CONFIG=" + waterfall,
	}
}

// LoadPeople reads a canonical CSV (record_id, first_name, last_name,
// email, phone, title, company, domain, city, state, country, …; columns
// by name) into the persons the sandbox knows.
func LoadPeople(r io.Reader) ([]emukit.Person, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("people file: header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	if _, ok := col["first_name"]; !ok {
		return nil, errors.New("people file: not a canonical CSV (no first_name column)")
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var out []emukit.Person
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			continue // a malformed row is not a person
		}
		i := len(out)
		out = append(out, emukit.Person{Index: i, ID: fmt.Sprintf("%d", 100000+i),
			First: get(rec, "first_name"), Last: get(rec, "last_name"), Title: get(rec, "title"),
			Email: strings.ToLower(get(rec, "email")), Phone: get(rec, "phone"), Mobile: get(rec, "mobile"),
			Company: get(rec, "company"), Domain: strings.ToLower(get(rec, "domain")),
			City: get(rec, "city"), State: get(rec, "state"), Country: get(rec, "country"),
			LinkedIn: get(rec, "linkedin_url")})
	}
	return out, nil
}
