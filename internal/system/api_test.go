package system

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/internal/api"
	"github.com/leadstream/leadstream/internal/api/openapitest"
	"github.com/leadstream/leadstream/internal/apikey"
	"github.com/leadstream/leadstream/internal/erasure"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
)

// apiClient calls the API over HTTP and checks every answer against the
// OpenAPI document.
type apiClient struct {
	t    *testing.T
	base string
	doc  *openapitest.Validator
}

func (c *apiClient) call(method, path, key string, body any) (int, map[string]any) {
	c.t.Helper()
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			c.t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(raw))
	if err != nil {
		c.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	vreq, _ := http.NewRequest(method, c.base+path, bytes.NewReader(raw))
	vreq.Header = req.Header.Clone()
	if err := c.doc.Check(context.Background(), vreq, resp.StatusCode, resp.Header, b); err != nil {
		c.t.Errorf("%v\nbody: %s", err, b)
	}
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

// TestAPIOverThePipeline runs the API on a real pipeline: bulk sync, the
// leads view (search, filters, paging, a lead's page), the review queue
// and its decisions, analytics, erasure and the suppressed re-import.
func TestAPIOverThePipeline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	opts := testOptions(t)
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	vctx, vcancel := context.WithCancel(ctx)
	defer vcancel()
	view, err := s.FollowLeadsView(vctx)
	if err != nil {
		t.Fatal(err)
	}
	keys := apikey.Open(apikey.Path(opts.DataDir))
	key := map[string]string{}
	for _, role := range apikey.Roles {
		if key[role], _, err = keys.Create(role, role); err != nil {
			t.Fatal(err)
		}
	}
	supKey, err := s.SuppressionKey()
	if err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Options{Producer: s, Namespace: opts.Namespace, Keys: keys, Leads: view, Review: s.ReviewQueue(),
		Transitions: s.Transitions, Kafka: s.Ready,
		Eraser: &erasure.Eraser{View: view, Producer: s, Namespace: opts.Namespace, SuppressionKey: supKey}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	doc, err := openapitest.New(ctx, api.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	c := &apiClient{t: t, base: srv.URL, doc: doc}

	// Bulk: forty people at four companies.
	firsts := []string{"Alice", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Greta", "Hiroshi", "Ines", "Jonas"}
	lasts := []string{"Albright", "Novak", "Okafor", "Lindqvist"}
	companies := []string{"Acme Robotics", "Globex Systems", "Initech", "Umbrella Labs"}
	var leads []map[string]any
	for i, f := range firsts {
		for j, l := range lasts {
			co := companies[(i+j)%4]
			dom := strings.ToLower(strings.Fields(co)[0]) + ".example"
			leads = append(leads, map[string]any{"first_name": f, "last_name": l, "email": strings.ToLower(f+"."+l) + "@" + dom,
				"phone": fmt.Sprintf("+44 20 7946 %04d", i*10+j), "title": "Head of IT", "company": co, "website": "https://" + dom,
				"country": "GB", "city": "London", "employee_count": 250})
		}
	}
	code, out := c.call("POST", "/api/sync/leads/bulk", key["operator"], map[string]any{"source": "apollo", "leads": leads})
	if code != 202 || out["accepted"] != float64(40) {
		t.Fatalf("bulk: %d %v", code, out)
	}
	batch := out["batch_id"].(string)
	sum, err := s.WaitForOutcomes(ctx, []pipeline.ImportResult{{ImportID: batch, Rows: 40}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	synced := sum.Counts[pipeline.OutcomeSynced]
	if synced < 30 {
		t.Fatalf("only %d of 40 synced: %+v", synced, sum.Counts)
	}
	// The view follows leads.current.
	waitTotal := func(path string, want int) map[string]any {
		t.Helper()
		for ctx.Err() == nil {
			if code, out := c.call("GET", path, key["viewer"], nil); code == 200 && out["total"] == float64(want) {
				return out
			}
			time.Sleep(100 * time.Millisecond)
		}
		_, out := c.call("GET", path, key["viewer"], nil)
		t.Fatalf("%s: want total %d, got %v", path, want, out["total"])
		return nil
	}
	waitTotal("/api/leads", synced)
	out = waitTotal("/api/leads?q="+url.QueryEscape("greta okafor"), 1)
	greta := out["data"].([]any)[0].(map[string]any)
	if greta["email"] != "greta.okafor@initech.example" && greta["email"] != "greta.okafor@umbrella.example" && !strings.HasPrefix(greta["email"].(string), "greta.okafor@") {
		t.Fatalf("search found %v", greta)
	}
	gretaID := greta["lead_id"].(string)
	waitTotal("/api/leads?company=Initech&source=apollo&country=GB", synced/4)
	// Paging: every lead once.
	seen := map[string]bool{}
	next := "/api/leads?limit=7&sort=quality_score&order=asc"
	for next != "" {
		code, out := c.call("GET", next, key["viewer"], nil)
		if code != 200 {
			t.Fatalf("page: %d %v", code, out)
		}
		for _, d := range out["data"].([]any) {
			id := d.(map[string]any)["lead_id"].(string)
			if seen[id] {
				t.Fatalf("%s on two pages", id)
			}
			seen[id] = true
		}
		next = ""
		if p := out["pagination"].(map[string]any); p["has_more"] == true {
			next = "/api/leads?limit=7&sort=quality_score&order=asc&cursor=" + url.QueryEscape(p["next_cursor"].(string))
		}
	}
	if len(seen) != synced {
		t.Fatalf("paged through %d leads, want %d", len(seen), synced)
	}
	if code, _ := c.call("GET", "/api/leads?limit=0", key["viewer"], nil); code != 400 {
		t.Errorf("limit=0: %d", code)
	}
	code, full := c.call("GET", "/api/leads/"+gretaID, key["viewer"], nil)
	if code != 200 || full["first_name"] != "Greta" || len(full["sources"].([]any)) != 1 || full["provenance"].(map[string]any)["email"] == nil {
		t.Fatalf("lead page: %d %v", code, full)
	}
	if code, _ := c.call("GET", "/api/leads/ld_nobody", key["viewer"], nil); code != 404 {
		t.Errorf("unknown lead: %d", code)
	}

	// Review: a held low-quality record.
	heldID := batch + "-held:1"
	held := &pipeline.Envelope{TraceID: heldID, Source: pipeline.Source{Provider: "apollo", RecordID: "held", ImportID: batch + "-held"},
		FirstSeen: time.Now().UTC(), Lead: &lead.Lead{FirstName: "Karl", LastName: "Thin", Email: "karl@thin.example"},
		Outcome: pipeline.OutcomeReview, Reasons: []string{pipeline.ReasonLowQuality}}
	if err := s.SendTo(ctx, pipeline.TopicReview, heldID, held); err != nil {
		t.Fatal(err)
	}
	for ctx.Err() == nil {
		if code, out := c.call("GET", "/api/review?reason=low_quality", key["viewer"], nil); code == 200 && out["total"] == float64(1) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	dec := func(k string, body map[string]any) (int, map[string]any) {
		return c.call("POST", "/api/review/"+url.PathEscape(heldID)+"/decision", k, body)
	}
	if code, _ := dec(key["viewer"], map[string]any{"decision": "approve"}); code != 403 {
		t.Errorf("viewer decides: %d", code)
	}
	if code, out := dec(key["operator"], map[string]any{"decision": "merge", "target_lead_id": gretaID}); code != 400 {
		t.Errorf("merge of a low-quality item: %d %v", code, out)
	}
	code, out = dec(key["operator"], map[string]any{"decision": "approve", "note": "checked by phone"})
	if code != 200 || out["lead_id"] == nil {
		t.Fatalf("approve: %d %v", code, out)
	}
	if code, _ := dec(key["operator"], map[string]any{"decision": "reject"}); code != 409 {
		t.Errorf("second decision: %d", code)
	}
	if code, _ := c.call("POST", "/api/review/nope/decision", key["operator"], map[string]any{"decision": "reject"}); code != 404 {
		t.Errorf("unknown item: %d", code)
	}
	// The approved record becomes a lead of its own.
	waitTotal("/api/leads?q=karl", 1)

	// Analytics answer (no transitions yet).
	if code, out := c.call("GET", "/api/analytics/workflow?stage=lead", key["viewer"], nil); code != 200 || len(out["stages"].([]any)) != 1 {
		t.Fatalf("analytics: %d %v", code, out)
	}

	// Erasure.
	email := greta["email"].(string)
	if code, _ := c.call("DELETE", "/api/leads/"+gretaID, key["operator"], nil); code != 403 {
		t.Errorf("operator erases: %d", code)
	}
	if code, out := c.call("DELETE", "/api/leads/"+gretaID+"?halopsa=keep", key["admin"], nil); code != 200 || out["halopsa"] != "kept" {
		t.Fatalf("erase: %d %v", code, out)
	}
	if code, _ := c.call("GET", "/api/leads/"+gretaID, key["viewer"], nil); code != 404 {
		t.Errorf("erased lead: %d", code)
	}

	if hits := grepFiles(t, LeadsViewDir(opts.DataDir, opts.Namespace), email); len(hits) > 0 {
		t.Errorf("the leads view still holds %s in %v", email, hits)
	}
	// Imported again, the person is suppressed and counted, without data.
	code, out = c.call("POST", "/api/sync/leads/bulk", key["operator"], map[string]any{"source": "zoominfo",
		"leads": []map[string]any{{"first_name": "Greta", "last_name": "Okafor", "email": email, "company": "Initech"}}})
	if code != 202 {
		t.Fatalf("re-import: %d %v", code, out)
	}
	sum, err = s.WaitForOutcomes(ctx, []pipeline.ImportResult{{ImportID: out["batch_id"].(string), Rows: 1}}, nil)
	if err != nil || sum.Counts[pipeline.OutcomeSuppressed] != 1 {
		t.Fatalf("re-import: %+v %v", sum.Counts, err)
	}
	if code, out := c.call("GET", "/health", "", nil); code != 200 || out["checks"].(map[string]any)["bleve"] != "ok" {
		t.Errorf("health: %d %v", code, out)
	}
}

// grepFiles lists the files under dir that contain s.
func grepFiles(t *testing.T, dir, s string) []string {
	t.Helper()
	var hits []string
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if b, err := os.ReadFile(path); err == nil && bytes.Contains(b, []byte(s)) {
			hits = append(hits, path)
		}
		return nil
	})
	return hits
}
