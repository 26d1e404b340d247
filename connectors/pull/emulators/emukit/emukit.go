// Package emukit is the shared machinery of the provider emulators: a
// deterministic synthetic dataset, a request counter, a configurable request
// limiter, a credit balance and scripted faults keyed by request number.
package emukit

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
)

// FaultKind is an injected failure.
type FaultKind int

const (
	FaultNone FaultKind = iota
	// FaultRateLimit answers with the provider's rate-limit response.
	FaultRateLimit
	// FaultServer answers 500 (or 503 when the provider says so).
	FaultServer
	// FaultMalformedBody answers 200 with a truncated JSON body.
	FaultMalformedBody
)

// Config configures an emulator.
type Config struct {
	// Key is the accepted API key (or password, client secret).
	Key string
	// Records is the size of the synthetic dataset.
	Records int
	// Credits is the account balance; 0 means unlimited.
	Credits float64
	// RateLimit is how many requests a window admits before the next one
	// gets the provider's 429; the window then restarts, as if the client
	// had waited. 0 disables the limiter.
	RateLimit int
	// RetryAfter is the seconds advertised on 429 (default 1).
	RetryAfter int
	// Faults maps a request number (1-based, counting every request the
	// emulator receives) to an injected failure.
	Faults map[int]FaultKind
	// Malformed lists dataset indexes whose rows are served broken (not a
	// JSON object).
	Malformed map[int]bool
	// PendingPolls is how many polls an async job stays pending (queued,
	// researching, progress) before it completes.
	PendingPolls int
	// NeverComplete keeps async jobs pending forever.
	NeverComplete bool
	// People, when set, replaces the synthetic dataset: Person(i) is
	// People[i] and Records is len(People) (a provider sandbox serving a
	// file of real-looking people).
	People []Person
}

// Person is one synthetic contact.
type Person struct {
	Index                 int
	ID                    string
	First, Last, Title    string
	Email, Phone, Mobile  string
	Company, Domain       string
	City, State, Country  string
	LinkedIn              string
	Seniority, Department string
	Employees             int
}

// Kit is the emulator state. All methods are safe for concurrent use.
type Kit struct {
	Cfg Config

	mu        sync.Mutex
	index     *peopleIndex
	paid      map[string]int
	seq       int
	window    int
	spent     float64
	paths     map[string]int
	throttled int
	authFails int
}

// New returns a Kit for cfg.
func New(cfg Config) *Kit {
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = 1
	}
	if cfg.People != nil {
		cfg.Records = len(cfg.People)
	}
	return &Kit{Cfg: cfg, paths: map[string]int{}, paid: map[string]int{}}
}

// Gate is the per-request verdict of Begin.
type Gate struct {
	Seq       int
	Fault     FaultKind
	Remaining int // requests left in the window, -1 when unlimited
	Limit     int
}

// Begin counts a request to path and decides whether a fault or the limiter
// applies to it. Callers check auth first and call Begin only for requests
// that passed it.
func (k *Kit) Begin(path string) Gate {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.seq++
	k.paths[path]++
	g := Gate{Seq: k.seq, Fault: k.Cfg.Faults[k.seq], Remaining: -1, Limit: k.Cfg.RateLimit}
	if k.Cfg.RateLimit > 0 {
		if k.window >= k.Cfg.RateLimit {
			k.window = 0
			k.throttled++
			g.Fault = FaultRateLimit
			g.Remaining = 0
			return g
		}
		k.window++
		g.Remaining = k.Cfg.RateLimit - k.window
	}
	if g.Fault == FaultRateLimit {
		k.throttled++
		g.Remaining = 0
	}
	return g
}

// AuthFailed records a rejected credential (and counts the request).
func (k *Kit) AuthFailed(path string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.seq++
	k.paths[path]++
	k.authFails++
}

// Charge spends n credits; false (and nothing spent) when the balance is short.
func (k *Kit) Charge(n float64) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.Cfg.Credits > 0 && k.spent+n > k.Cfg.Credits+1e-9 {
		return false
	}
	k.spent += n
	return true
}

// CreditsLeft returns the balance, -1 when unlimited.
func (k *Kit) CreditsLeft() float64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.Cfg.Credits <= 0 {
		return -1
	}
	return k.Cfg.Credits - k.spent
}

// Spent returns the credits charged so far.
func (k *Kit) Spent() float64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.spent
}

// Count returns how many requests reached path.
func (k *Kit) Count(path string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.paths[path]
}

// Requests returns the total number of requests.
func (k *Kit) Requests() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.seq
}

// Throttled returns how many 429s were served.
func (k *Kit) Throttled() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.throttled
}

// AuthFailures returns how many requests were refused for credentials.
func (k *Kit) AuthFailures() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.authFails
}

var (
	firsts  = []string{"Jane", "John", "Ana", "Wei", "Priya", "Omar", "Lena", "Kofi"}
	lasts   = []string{"Doe", "Roe", "Silva", "Chen", "Patel", "Haddad", "Berg", "Mensah"}
	titles  = []string{"VP Sales", "CFO", "Head of Marketing", "IT Director", "Engineering Manager"}
	seniors = []string{"vp", "c_suite", "head", "director", "manager"}
	depts   = []string{"sales", "finance", "marketing", "it", "engineering"}
	cities  = [][3]string{{"Boston", "MA", "United States"}, {"Seattle", "WA", "United States"}, {"London", "", "United Kingdom"}}
)

// Person returns the i-th synthetic person (0-based).
func (k *Kit) Person(i int) Person {
	if k.Cfg.People != nil {
		return k.Cfg.People[i]
	}
	f, l := firsts[i%len(firsts)], lasts[(i/len(firsts))%len(lasts)]
	co := i % 7
	c := cities[i%len(cities)]
	dom := fmt.Sprintf("example%d.com", co)
	return Person{
		Index: i, ID: fmt.Sprintf("%d", 100000+i),
		First: f, Last: l, Title: titles[i%len(titles)],
		Email:   fmt.Sprintf("%s.%s%d@%s", lower(f), lower(l), i, dom),
		Phone:   fmt.Sprintf("+1415555%04d", i%10000),
		Mobile:  fmt.Sprintf("+1206555%04d", i%10000),
		Company: fmt.Sprintf("Example Co %d", co), Domain: dom,
		City: c[0], State: c[1], Country: c[2],
		LinkedIn:  fmt.Sprintf("https://www.linkedin.com/in/person%d", i),
		Seniority: seniors[i%len(seniors)], Department: depts[i%len(depts)],
		Employees: 50 * (co + 1),
	}
}

// IsMalformed reports whether dataset row i is served broken.
func (k *Kit) IsMalformed(i int) bool { return k.Cfg.Malformed[i] }

// MalformedRow is what a broken row looks like on the wire.
const MalformedRow = `"<<corrupt row>>"`

// Page returns the dataset index range [from, to) for a 0-based offset and size.
func (k *Kit) Page(offset, size int) (from, to int) {
	from = min(max(offset, 0), k.Cfg.Records)
	to = min(from+max(size, 0), k.Cfg.Records)
	return from, to
}

// WriteJSON writes a raw JSON body with status.
func WriteJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// TruncatedBody is served for FaultMalformedBody.
const TruncatedBody = `{"data":[{"id":"1","na`

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// Responders write a provider's own failure answers.
type Responders struct {
	// RateLimited writes the provider's 429 (or equivalent).
	RateLimited func(w http.ResponseWriter, retryAfter int)
	// ServerError writes the provider's 5xx; default 500 {"message":...}.
	ServerError func(w http.ResponseWriter)
}

// Fail applies g's fault, if any, and reports whether it answered.
func (k *Kit) Fail(w http.ResponseWriter, g Gate, r Responders) bool {
	switch g.Fault {
	case FaultRateLimit:
		r.RateLimited(w, k.Cfg.RetryAfter)
	case FaultServer:
		if r.ServerError != nil {
			r.ServerError(w)
		} else {
			WriteJSON(w, http.StatusInternalServerError, `{"message":"internal server error"}`)
		}
	case FaultMalformedBody:
		WriteJSON(w, http.StatusOK, TruncatedBody)
	default:
		return false
	}
	return true
}

// Rows renders dataset rows [from, to) with render, serving malformed rows
// as MalformedRow; the result is a JSON array.
func (k *Kit) Rows(from, to int, render func(Person) any) string {
	var b []byte
	b = append(b, '[')
	for i := from; i < to; i++ {
		if i > from {
			b = append(b, ',')
		}
		if k.IsMalformed(i) {
			b = append(b, MalformedRow...)
			continue
		}
		j, err := json.Marshal(render(k.Person(i)))
		if err != nil {
			panic(err) // plain maps of strings and numbers
		}
		b = append(b, j...)
	}
	return string(append(b, ']'))
}
