package sink

import (
	"context"
	stdjson "encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/internal/textsafe"
)

// writer is where the sink's HaloPSA requests go: the tenant, or in a dry
// run the partition's own state.
type writer interface {
	// upsert POSTs items to resource in arrays; results[i] is the echoed
	// object of items[i], or nil when it failed (failed says why). leads[i]
	// is the lead the item is written for (dry-run bookkeeping).
	upsert(ctx context.Context, resource string, items []map[string]any, leads []string) (results []stdjson.RawMessage, failed []halopsa.ItemError, err error)
	// findClient finds a Client by exact name.
	findClient(ctx context.Context, name string) (id, siteID int, err error)
	// usersOf lists a Client's Users.
	usersOf(ctx context.Context, clientID int) ([]halopsa.User, error)
	// leadTickets maps user ids to the tickets of typeID changed since
	// since (list rows carry no details, but a lead ticket's user is its
	// lead's own).
	leadTickets(ctx context.Context, typeID int, since time.Time) (map[int]int, error)
}

// live writes to HaloPSA.
type live struct{ c *halopsa.Client }

func (w live) upsert(ctx context.Context, resource string, items []map[string]any, _ []string) ([]stdjson.RawMessage, []halopsa.ItemError, error) {
	anys := make([]any, len(items))
	for i, it := range items {
		anys[i] = it
	}
	return w.c.UpsertIsolated(ctx, resource, anys)
}

func (w live) findClient(ctx context.Context, name string) (int, int, error) {
	rows, err := halopsa.ListAll[halopsa.Area](ctx, w.c, halopsa.ResClient, url.Values{"search": {name}, "search_name_only": {"true"}})
	if err != nil {
		return 0, 0, fmt.Errorf("sink: find client: %w", err)
	}
	for _, r := range rows {
		// What was written is the neutralised name (records.go).
		if strings.EqualFold(strings.TrimSpace(r.Name), strings.TrimSpace(textsafe.Cell(name))) {
			if r.MainSiteID == 0 {
				// List rows are reduced; the main site is on the full object.
				var full halopsa.Area
				if err := w.c.Get(ctx, halopsa.ResClient, r.ID, &full); err == nil {
					r.MainSiteID = full.MainSiteID
				}
			}
			return r.ID, r.MainSiteID, nil
		}
	}
	return 0, 0, nil
}

func (w live) usersOf(ctx context.Context, clientID int) ([]halopsa.User, error) {
	us, err := halopsa.ListAll[halopsa.User](ctx, w.c, halopsa.ResUsers, url.Values{"client_id": {strconv.Itoa(clientID)}})
	if err != nil {
		return nil, fmt.Errorf("sink: list users of client %d: %w", clientID, err)
	}
	return us, nil
}

func (w live) leadTickets(ctx context.Context, typeID int, since time.Time) (map[int]int, error) {
	q := url.Values{"lastupdatefromdate": {since.UTC().Format("2006-01-02T15:04:05")}}
	if typeID > 0 {
		q.Set("requesttype_id", strconv.Itoa(typeID))
	}
	rows, err := halopsa.ListAll[halopsa.Ticket](ctx, w.c, halopsa.ResTickets, q)
	if err != nil {
		return nil, fmt.Errorf("sink: list lead tickets: %w", err)
	}
	out := make(map[int]int, len(rows))
	for _, t := range rows {
		if t.UserID != 0 {
			out[t.UserID] = t.ID
		}
	}
	return out, nil
}

// matchUser finds a lead's User among a Client's: by e-mail address, else
// by exact name when the lead has no address.
func matchUser(us []halopsa.User, l *lead.Lead) int {
	for _, u := range us {
		if l.Email != "" && strings.EqualFold(strings.TrimSpace(u.EmailAddress), textsafe.Cell(l.Email)) {
			return u.ID
		}
	}
	if l.Email == "" {
		for _, u := range us {
			if strings.EqualFold(u.Name, textsafe.Cell(personName(l))) {
				return u.ID
			}
		}
	}
	return 0
}

// Write is one HaloPSA request element a dry-run sink recorded.
type Write struct {
	LeadID string `json:"lead_id"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Entity string `json:"entity"` // Client, Users, Tickets
	Create bool   `json:"create"`
	Body   any    `json:"body"`
}

// dry records the writes in the partition's state and answers like HaloPSA
// would, with ids of its own. A crash loses the recorded writes together
// with the ids, so there is never anything to find again.
type dry struct {
	st state
}

func (w dry) upsert(_ context.Context, resource string, items []map[string]any, leads []string) ([]stdjson.RawMessage, []halopsa.ItemError, error) {
	out := make([]stdjson.RawMessage, len(items))
	for i, it := range items {
		echo := make(map[string]any, len(it)+2)
		for k, v := range it {
			echo[k] = v
		}
		_, has := it["id"]
		if !has {
			id, err := w.nextID()
			if err != nil {
				return nil, nil, err
			}
			echo["id"] = id
			if resource == halopsa.ResClient {
				echo["main_site_id"] = id
			}
		}
		var seq int
		if _, err := w.st.get(keyDrySeq+"/w/"+leads[i], &seq); err != nil {
			return nil, nil, err
		}
		seq++
		if err := w.st.put(keyDrySeq+"/w/"+leads[i], seq); err != nil {
			return nil, nil, err
		}
		wr := Write{LeadID: leads[i], Method: "POST", Path: "/api/" + resource, Entity: resource, Create: !has, Body: []map[string]any{it}}
		if err := w.st.put(fmt.Sprintf("%s%s/%04d", keyWrite, leads[i], seq), wr); err != nil {
			return nil, nil, err
		}
		b, err := json.Marshal(echo)
		if err != nil {
			return nil, nil, fmt.Errorf("sink: dry run: %w", err)
		}
		out[i] = b
	}
	return out, nil, nil
}

// nextID hands out ids from the partition's sequence.
func (w dry) nextID() (int, error) {
	var n int
	if _, err := w.st.get(keyDrySeq, &n); err != nil {
		return 0, err
	}
	n++
	return n, w.st.put(keyDrySeq, n)
}

func (dry) findClient(context.Context, string) (int, int, error) { return 0, 0, nil }
func (dry) usersOf(context.Context, int) ([]halopsa.User, error) { return nil, nil }
func (dry) leadTickets(context.Context, int, time.Time) (map[int]int, error) {
	return nil, nil
}
