package apollo

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/leadstream/leadstream/connectors/enrich"
)

// Inbox receives Apollo's phone-reveal deliveries at the webhook_url of
// the requests (Apollo signs nothing: serve it under an unguessable path).
// Deliveries are idempotent: a repeat overwrites the same entries. The
// client reads the inbox before polling /webhook_result, which remains the
// fallback for a delivery that never comes.
type Inbox struct {
	mu     sync.Mutex
	phones map[string]inboxEntry // Apollo person id → revealed phones
	ttl    time.Duration
}

type inboxEntry struct {
	r  enrich.Result
	at time.Time
}

// NewInbox returns an empty inbox keeping deliveries for ttl (default 1h).
func NewInbox(ttl time.Duration) *Inbox {
	if ttl <= 0 {
		ttl = time.Hour
	}
	return &Inbox{phones: map[string]inboxEntry{}, ttl: ttl}
}

// ServeHTTP accepts one delivery: {"people":[{"id","phone_numbers":[…]}]},
// or the same under "webhook_result".
func (in *Inbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	var body struct {
		People []struct {
			ID           string  `json:"id"`
			PhoneNumbers []phone `json:"phone_numbers"`
		} `json:"people"`
		WebhookResult *struct {
			People []struct {
				ID           string  `json:"id"`
				PhoneNumbers []phone `json:"phone_numbers"`
			} `json:"people"`
		} `json:"webhook_result"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 8<<20)).Decode(&body); err != nil {
		http.Error(w, "not a JSON delivery", http.StatusBadRequest)
		return
	}
	people := body.People
	if body.WebhookResult != nil {
		people = append(people, body.WebhookResult.People...)
	}
	now := time.Now()
	in.mu.Lock()
	defer in.mu.Unlock()
	for id, e := range in.phones {
		if now.Sub(e.at) > in.ttl {
			delete(in.phones, id)
		}
	}
	for _, p := range people {
		res := enrich.Result{Ref: p.ID, ProviderID: p.ID, Found: true}
		applyPhones(&res, p.PhoneNumbers)
		in.phones[p.ID] = inboxEntry{r: res, at: now}
	}
	w.WriteHeader(http.StatusNoContent)
}

// take returns the delivered phones of every id, or false if one is missing.
func (in *Inbox) take(ids []string) ([]enrich.Result, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make([]enrich.Result, 0, len(ids))
	for _, id := range ids {
		e, ok := in.phones[id]
		if !ok {
			return nil, false
		}
		out = append(out, e.r)
	}
	return out, true
}
