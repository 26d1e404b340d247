// Package seamless is the Seamless.AI enrichment client. Enrichment is
// asynchronous: POST /contacts/research with up to 100 contacts (an
// e-mail, a LinkedIn URL, or the full name with the company domain or
// name) answers 202 with one requestId per contact, in order, and charges
// one credit per contact researched; GET /contacts/research/poll is then
// read, with a growing pause and a deadline, until every request reaches a
// terminal status. Only "done" carries a contact: its e-mail (email, else
// email1; email1EmailAI is the status, email1TotalAI the confidence), the
// numbered contactPhoneN by their data type (mobile or direct) and the
// company facts. The key goes in the Token header. Seamless allows 60
// requests a minute per endpoint for the whole organisation: paced at
// 0.9 a second; 422 insufficientCredits (or missingLicense) is the credit
// stop.
package seamless

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/connectors/pull"
)

// Provider is the source key.
const Provider = "seamless"

// DefaultBaseURL is Seamless.AI's API root.
const DefaultBaseURL = "https://api.seamless.ai/api/client/v1"

// Config adds the polling of research requests to the common settings.
type Config struct {
	enrich.ClientConfig
	// PollEvery is the first pause before a poll (default 1 s); it
	// doubles up to 10 s.
	PollEvery time.Duration
	// PollFor bounds the wait for a research batch (default 3 min).
	PollFor time.Duration
}

// Client enriches people through Seamless.AI.
type Client struct {
	cfg  Config
	base string
	c    *enrich.Caller
}

// New returns a client.
func New(cfg Config) *Client {
	if cfg.PollEvery <= 0 {
		cfg.PollEvery = time.Second
	}
	if cfg.PollFor <= 0 {
		cfg.PollFor = 3 * time.Minute
	}
	return &Client{cfg: cfg, base: cfg.Base(DefaultBaseURL), c: enrich.NewCaller(Provider, cfg.HTTP, cfg.Rate(0.9), 1, cfg.APIKey)}
}

// Name implements enrich.Provider.
func (*Client) Name() string { return Provider }

// Fills implements enrich.Provider.
func (*Client) Fills() []enrich.Attribute {
	return []enrich.Attribute{enrich.Email, enrich.Phone, enrich.Mobile, enrich.Company}
}

// BatchSize implements enrich.Provider.
func (*Client) BatchSize() int { return 100 }

// Cost implements enrich.Provider: one credit per contact researched.
func (*Client) Cost([]enrich.Attribute) float64 { return 1 }

// classify reads 422 insufficientCredits / missingLicense as the credit
// stop; the rest follows the common conventions.
func (cl *Client) classify(op string, r *pull.Response) error {
	if r.Status == http.StatusUnprocessableEntity {
		var b struct {
			Code string `json:"code"`
		}
		if json.Unmarshal(r.Body, &b) == nil && (b.Code == "insufficientCredits" || b.Code == "missingLicense") {
			return &pull.Error{Provider: Provider, Kind: pull.KindQuota, Op: op, Status: r.Status, Msg: b.Code}
		}
	}
	return cl.c.Classify(op, r, time.Now())
}

func (cl *Client) call(ctx context.Context, method, path string, body []byte, v any) error {
	resp, err := cl.c.Do(ctx, func(ctx context.Context) (*http.Request, error) {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, cl.base+path, rd)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Token", cl.cfg.APIKey)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req, nil
	}, cl.classify)
	if err != nil {
		return err
	}
	op, _, _ := strings.Cut(method+" "+path, "?")
	return cl.c.Decode(op, resp, v)
}

type researchContact struct {
	ContactName  string `json:"contactName,omitempty"`
	CompanyName  string `json:"companyName,omitempty"`
	Domain       string `json:"domain,omitempty"`
	Email        string `json:"email,omitempty"`
	LIProfileURL string `json:"liProfileUrl,omitempty"`
}

func contactOf(p enrich.Person) (researchContact, bool) {
	switch {
	case p.Email != "":
		return researchContact{Email: p.Email}, true
	case p.LinkedIn != "":
		return researchContact{LIProfileURL: p.LinkedIn}, true
	case p.FirstName != "" && p.LastName != "" && p.Domain != "":
		return researchContact{ContactName: p.FirstName + " " + p.LastName, Domain: p.Domain}, true
	case p.FirstName != "" && p.LastName != "" && p.Company != "":
		return researchContact{ContactName: p.FirstName + " " + p.LastName, CompanyName: p.Company}, true
	}
	return researchContact{}, false
}

// contact is the researched contact of a poll answer; the numbered
// phones are read from the raw map.
type contact struct {
	ContactID            string `json:"contactId"`
	Email                string `json:"email"`
	Email1               string `json:"email1"`
	Email1TotalAI        string `json:"email1TotalAI"`
	Email1EmailAI        string `json:"email1EmailAI"`
	LIProfileURL         string `json:"lIProfileUrl"`
	Company              string `json:"company"`
	CompanyIndustry      string `json:"companyIndustry"`
	CompanyStaffCount    any    `json:"companyStaffCount"`
	CompanyAnnualRevenue any    `json:"companyAnnualRevenue"`
	CompanyFounded       any    `json:"companyFounded"`
	CompanyLIProfileURL  string `json:"companyLIProfileUrl"`
}

type pollItem struct {
	RequestID string          `json:"requestId"`
	Status    string          `json:"status"`
	Contact   json.RawMessage `json:"contact"`
}

// terminal reports whether a poll status is final.
func terminal(status string) bool {
	switch strings.ToLower(strings.TrimSpace(status)) {
	case "queued", "researching", "":
		return false
	}
	return true
}

// Enrich implements enrich.Provider.
func (cl *Client) Enrich(ctx context.Context, people []enrich.Person, _ []enrich.Attribute) ([]enrich.Result, error) {
	out := make([]enrich.Result, len(people))
	var cs []researchContact
	var at []int // people index of each contact sent
	for i, p := range people {
		out[i].Ref = p.Ref
		if c, ok := contactOf(p); ok {
			cs, at = append(cs, c), append(at, i)
		}
	}
	if len(cs) == 0 {
		return out, nil
	}
	body, _ := json.Marshal(map[string]any{"contacts": cs})
	var started struct {
		RequestIDs []string `json:"requestIds"`
	}
	if err := cl.call(ctx, http.MethodPost, "/contacts/research", body, &started); err != nil {
		return nil, err
	}
	if len(started.RequestIDs) != len(cs) {
		return nil, &pull.Error{Provider: Provider, Kind: pull.KindMalformed, Op: "POST /contacts/research",
			Msg: strconv.Itoa(len(started.RequestIDs)) + " requestIds for " + strconv.Itoa(len(cs)) + " contacts"}
	}
	slot := map[string]int{}
	for k, id := range started.RequestIDs {
		slot[id] = at[k]
	}
	pending := started.RequestIDs
	deadline := time.Now().Add(cl.cfg.PollFor)
	wait := cl.cfg.PollEvery
	for len(pending) > 0 && time.Now().Before(deadline) {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		var ans struct {
			Data []pollItem `json:"data"`
		}
		if err := cl.call(ctx, http.MethodGet, "/contacts/research/poll?"+url.Values{"requestIds": {strings.Join(pending, ",")}}.Encode(), nil, &ans); err != nil {
			return nil, err
		}
		done := map[string]bool{}
		for _, it := range ans.Data {
			i, ok := slot[it.RequestID]
			if !ok || !terminal(it.Status) {
				continue
			}
			done[it.RequestID] = true
			if strings.EqualFold(it.Status, "done") && len(it.Contact) > 0 {
				r, err := result(people[i].Ref, it.Contact)
				if err != nil {
					return nil, &pull.Error{Provider: Provider, Kind: pull.KindMalformed, Op: "GET /contacts/research/poll", Msg: "contact: " + err.Error()}
				}
				out[i] = r
			}
		}
		next := pending[:0:0]
		for _, id := range pending {
			if !done[id] {
				next = append(next, id)
			}
		}
		pending = next
		wait = min(wait*2, 10*time.Second)
	}
	// Requests still pending at the deadline were paid for; they count as
	// not found now (the ledger keeps the charge).
	return out, nil
}

func result(ref string, raw json.RawMessage) (enrich.Result, error) {
	var c contact
	if err := json.Unmarshal(raw, &c); err != nil {
		return enrich.Result{}, err
	}
	var all map[string]any
	_ = json.Unmarshal(raw, &all)
	r := enrich.Result{Ref: ref, Found: true, ProviderID: c.ContactID, Email: c.Email, LinkedIn: c.LIProfileURL, Credits: 1}
	if r.Email == "" {
		r.Email = c.Email1
	}
	if strings.EqualFold(r.Email, c.Email1) {
		r.EmailStatus = c.Email1EmailAI
		r.Confidence = percent(c.Email1TotalAI)
	}
	for n := 1; n <= 10; n++ {
		num, _ := all["contactPhone"+strconv.Itoa(n)].(string)
		kind, _ := all["contactPhone"+strconv.Itoa(n)+"DataType"].(string)
		if strings.TrimSpace(num) == "" {
			continue
		}
		if strings.EqualFold(kind, "mobile") {
			if r.Mobile == "" {
				r.Mobile = num
			}
		} else if r.Phone == "" {
			r.Phone = num
		}
	}
	f := enrich.CompanyFacts{Name: c.Company, Industry: c.CompanyIndustry, LinkedIn: c.CompanyLIProfileURL}
	if n := number(c.CompanyStaffCount); n > 0 {
		f.EmployeesMin, f.EmployeesMax = n, n
	}
	if n := number(c.CompanyAnnualRevenue); n > 0 {
		f.RevenueMin, f.RevenueMax = n, n
	}
	f.FoundedYear = int(number(c.CompanyFounded))
	r.Company = f
	return r, nil
}

// percent reads "97%" as 97 (0 when unreadable).
func percent(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%")))
	if err != nil || n < 0 || n > 100 {
		return 0
	}
	return n
}

// number reads a JSON number or a numeric string (Seamless sends both).
func number(v any) int64 {
	switch x := v.(type) {
	case float64:
		return int64(x)
	case string:
		n, _ := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return n
	}
	return 0
}
