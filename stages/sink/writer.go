package sink

import (
	"context"
	stdjson "encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/pipeline"
)

// writer is where the sink's HaloPSA requests go: the tenant, or in a dry
// run the partition's own state.
type writer interface {
	// upsert POSTs items to resource in arrays; results[i] is the echoed
	// object of items[i], or nil when it failed (failed says why). leads[i]
	// is the lead the item is written for (dry-run bookkeeping). Used for
	// updates, which are safe to send twice.
	upsert(ctx context.Context, resource string, items []map[string]any, leads []string) (results []stdjson.RawMessage, failed []halopsa.ItemError, err error)
	// create is upsert for creates: an array whose outcome is unknown is
	// not sent again; err then matches halopsa.ErrOutcomeUnknown.
	create(ctx context.Context, resource string, items []map[string]any, leads []string) (results []stdjson.RawMessage, failed []halopsa.ItemError, err error)
	// recent lists the rows of resource changed since since, paged, with
	// the extra query (the read-back of the write protocol).
	recent(ctx context.Context, resource string, query url.Values, since time.Time) ([]stdjson.RawMessage, error)
	// pause is the wait before the n-th read-back.
	pause(n int) time.Duration
	// get reads one record by id (nil, nil in a dry run).
	get(ctx context.Context, resource string, id int) (stdjson.RawMessage, error)
}

// live writes to HaloPSA.
type live struct{ c *halopsa.Client }

func anys(items []map[string]any) []any {
	out := make([]any, len(items))
	for i, it := range items {
		out[i] = it
	}
	return out
}

func (w live) upsert(ctx context.Context, resource string, items []map[string]any, _ []string) ([]stdjson.RawMessage, []halopsa.ItemError, error) {
	return w.c.UpsertIsolated(ctx, resource, anys(items))
}

func (w live) create(ctx context.Context, resource string, items []map[string]any, _ []string) ([]stdjson.RawMessage, []halopsa.ItemError, error) {
	return w.c.CreateIsolated(ctx, resource, anys(items))
}

func (w live) recent(ctx context.Context, resource string, query url.Values, since time.Time) ([]stdjson.RawMessage, error) {
	q := url.Values{"lastupdatefromdate": {since.UTC().Format("2006-01-02T15:04:05")}}
	for k, v := range query {
		q[k] = v
	}
	var rows []stdjson.RawMessage
	err := w.c.List(ctx, resource, q, func(r stdjson.RawMessage) error {
		rows = append(rows, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sink: reading back %s changed since %s: %w", resource, since.UTC().Format(time.RFC3339), err)
	}
	return rows, nil
}

func (w live) pause(n int) time.Duration { return w.c.Backoff(n) }

func (w live) get(ctx context.Context, resource string, id int) (stdjson.RawMessage, error) {
	var raw stdjson.RawMessage
	if err := w.c.Get(ctx, resource, id, &raw); err != nil {
		return nil, fmt.Errorf("sink: reading %s %d: %w", resource, id, err)
	}
	return raw, nil
}

// Write is one HaloPSA request element a dry-run sink recorded.
type Write struct {
	LeadID string `json:"lead_id"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Entity string `json:"entity"` // Client, Users, Tickets
	Create bool   `json:"create"`
	Body   any    `json:"body"`
	// SealedBody is Body sealed under the lead's data key (Body is then
	// nil), so that erasing the lead shreds it.
	SealedBody []byte `json:"sealed_body,omitempty"`
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
		key := fmt.Sprintf("%s%s/%04d", keyWrite, leads[i], seq)
		if w.st.sealer != nil {
			body, err := json.Marshal(wr.Body)
			if err != nil {
				return nil, nil, fmt.Errorf("sink: dry run: %w", err)
			}
			if wr.SealedBody, err = pipeline.SealValue(w.st.sealer, pipeline.LeadSubject(leads[i]), key, body); err != nil {
				return nil, nil, fmt.Errorf("sink: dry run: %w", err)
			}
			wr.Body = nil
		}
		if err := w.st.put(key, wr); err != nil {
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

func (w dry) create(ctx context.Context, resource string, items []map[string]any, leads []string) ([]stdjson.RawMessage, []halopsa.ItemError, error) {
	return w.upsert(ctx, resource, items, leads)
}

func (dry) recent(context.Context, string, url.Values, time.Time) ([]stdjson.RawMessage, error) {
	return nil, nil
}

func (dry) pause(int) time.Duration { return 0 }

func (dry) get(context.Context, string, int) (stdjson.RawMessage, error) { return nil, nil }
