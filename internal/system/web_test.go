package system

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/internal/api"
	"github.com/leadstream/leadstream/internal/apikey"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/internal/leadsview"
	"github.com/leadstream/leadstream/pipeline"
	"github.com/leadstream/leadstream/stages/review"
)

// chromiumPath finds a Chromium or Chrome binary.
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// artifactsDir is where the browser test leaves its screenshots:
// $LEADSTREAM_TEST_ARTIFACTS (CI sets it), else a directory under the
// system's temporary directory.
func artifactsDir(t *testing.T) string {
	dir := os.Getenv("LEADSTREAM_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "leadstream-test-artifacts")
	}
	dir = filepath.Join(dir, "web")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestWebPageInChromium drives the web page in a real headless Chromium
// against the API over a real pipeline: it signs in with a key, searches,
// opens a lead with its provenance, merges a review item with the
// keyboard and sees the funnel. Screenshots are kept as artefacts.
func TestWebPageInChromium(t *testing.T) {
	chrome := chromiumPath()
	if chrome == "" {
		t.Skip("no chromium on PATH (Debian: apt-get install -y chromium)")
	}
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
	opKey, _, err := keys.Create("browser", apikey.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Options{Producer: s, Namespace: opts.Namespace, Keys: keys, Leads: view, Review: s.ReviewQueue(),
		Transitions: s.Transitions, Kafka: s.Ready})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	// Leads through the pipeline.
	people := [][3]string{{"Greta", "Okafor", "Initech"}, {"Jonas", "Lindqvist", "Globex Systems"}, {"Alice", "Novak", "Acme Robotics"},
		{"Farid", "Albright", "Umbrella Labs"}, {"Ines", "Okafor", "Initech"}, {"Bruno", "Novak", "Globex Systems"}}
	batch := fmt.Sprintf("web%d", time.Now().UnixNano())
	for i, p := range people {
		dom := strings.ToLower(strings.Fields(p[2])[0]) + ".example"
		env := &pipeline.Envelope{TraceID: fmt.Sprintf("%s:%d", batch, i), FirstSeen: time.Now().UTC(),
			Source: pipeline.Source{Provider: "apollo", RecordID: fmt.Sprint(i), ImportID: batch},
			Raw: map[string]string{"first_name": p[0], "last_name": p[1], "company": p[2], "email": strings.ToLower(p[0]+"."+p[1]) + "@" + dom,
				"title": "IT Director", "website": "https://" + dom, "phone": fmt.Sprintf("+44 20 7946 %04d", 100+i), "country": "GB", "city": "London"}}
		if err := s.Send(ctx, env); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := s.WaitForOutcomes(ctx, []pipeline.ImportResult{{ImportID: batch, Rows: len(people)}}, nil)
	if err != nil || sum.Counts[pipeline.OutcomeSynced] != len(people) {
		t.Fatalf("pipeline: %+v %v", sum.Counts, err)
	}
	var gretaID string
	for ctx.Err() == nil && gretaID == "" {
		if p, err := view.Search(t.Context(), leadsview.Query{Q: "greta"}); err == nil && len(p.Docs) == 1 {
			gretaID = p.Docs[0].LeadID
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A possible duplicate of Greta waits for a person.
	one, half := 1.0, 0.55
	held := &pipeline.Envelope{TraceID: batch + "-dup:1", FirstSeen: time.Now().UTC(), Outcome: pipeline.OutcomeReview,
		Source: pipeline.Source{Provider: "zoominfo", RecordID: "dup", ImportID: batch + "-dup"},
		Lead:   &lead.Lead{FirstName: "Greta", LastName: "Okafor-Ruiz", Email: "greta.okafor@initech.example", Company: "Initech", QualityScore: 70},
		Reasons: []string{review.ReasonPossibleDuplicate, review.FormatCandidate(review.Candidate{LeadID: gretaID, Score: 0.81,
			Components: review.Components{Email: &one, Name: &half, Company: &one}})}}
	if err := s.SendTo(ctx, pipeline.TopicReview, held.TraceID, held); err != nil {
		t.Fatal(err)
	}
	// A few workflow transitions for the funnel.
	t0 := time.Now().UTC().Add(-72 * time.Hour)
	for i, tr := range [][3]string{{"T1", "new_lead", "researching"}, {"T1", "researching", "contacted"}, {"T1", "contacted", "engaged"},
		{"T1", "engaged", "converted_to_prospect"}, {"T1", "converted_to_prospect", "new_prospect"}, {"T2", "new_lead", "researching"},
		{"T2", "researching", "invalid_data"}, {"T3", "new_lead", "researching"}} {
		ev, _ := json.Marshal(map[string]any{"type": "status_changed", "ticket_id": tr[0], "from": tr[1], "to": tr[2],
			"at": t0.Add(time.Duration(i) * time.Hour), "trigger": "manual"})
		env := &pipeline.Envelope{TraceID: fmt.Sprintf("ev-%d", i), FirstSeen: time.Now().UTC(), Event: ev}
		if err := s.SendTo(ctx, pipeline.TopicEvents, tr[0], env); err != nil {
			t.Fatal(err)
		}
	}

	actx, acancel := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU, chromedp.WindowSize(1280, 900))...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	dir := artifactsDir(t)
	type css = chromedp.CSS
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			buf, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, name), buf, 0o644)
		})
	}
	until := func(expr string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(30*time.Second))
	}
	text := func(sel string, into *string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			v, err := chromedp.Text(css(sel))(ctx, tg)
			*into = v
			return err
		})
	}
	var rows, provenance, bars, status, funnel string
	err = chromedp.Do(bctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(css("#key")),
		chromedp.SendKeys(css("#key"), opKey),
		chromedp.Click(css("#login")),
		chromedp.WaitVisible(css("#results tbody tr")),
		chromedp.SendKeys(css("#q"), "greta"),
		chromedp.Click(css("#search")),
		until(`document.querySelectorAll("#results tbody tr").length === 1`),
		text("#results tbody", &rows),
		chromedp.Click(css("#results tbody tr")),
		chromedp.WaitVisible(css("#lead-provenance")),
		text("#lead-provenance", &provenance),
		shot("1-lead.png"),
		chromedp.Click(css("#tab-review")),
		chromedp.WaitVisible(css(".candidate .bar")),
		text(".candidate", &bars),
		shot("2-review.png"),
		chromedp.KeyEvent("m"),
		until(`document.querySelector("#review-status").textContent.includes("merge")`),
		text("#review-status", &status),
		chromedp.WaitVisible(css("#review-empty")),
		shot("3-review-decided.png"),
		chromedp.Click(css("#tab-funnel")),
		chromedp.WaitVisible(css("#funnel svg rect.funnel-advanced")),
		text("#funnel-facts", &funnel),
		shot("4-funnel.png"),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	t.Logf("screenshots in %s", dir)
	if !strings.Contains(rows, "Greta") || !strings.Contains(rows, "greta.okafor@initech.example") {
		t.Errorf("search result: %q", rows)
	}
	if !strings.Contains(provenance, "apollo") || !strings.Contains(provenance, "greta.okafor@initech.example") {
		t.Errorf("provenance: %q", provenance)
	}
	if !strings.Contains(bars, "email") || !strings.Contains(bars, "1.00") || !strings.Contains(bars, "0.55") {
		t.Errorf("score bars: %q", bars)
	}
	if !strings.Contains(status, "merge") || !strings.Contains(status, gretaID) {
		t.Errorf("decision: %q", status)
	}
	if !strings.Contains(funnel, "Funnel rate") {
		t.Errorf("funnel: %q", funnel)
	}
}
