package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/dgraph-io/badger/v4"
	"github.com/klauspost/compress/s2"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/internal/testkafka"
	"github.com/leadstream/leadstream/pipeline"
)

// The person erased in TestEraseLeavesNothingReadable: two source records
// (one upper-cased) that merge into one lead.
const (
	erasedEmail = "ottilie.vandersloot@quokka-analytics.example"
	erasedPhone = "2079460321" // +44 20 7946 0321
)

// erasedNeedles are what must not be readable anywhere afterwards.
var erasedNeedles = []string{erasedEmail, "ottilie", "vandersloot", erasedPhone, "20 7946 0321"}

const eraseHeader = "record_id,first_name,last_name,email,phone,title,company,domain,street,city,state,postcode,country\n"

// eraseFile is the first import: the person twice, and four other people.
const eraseFile = eraseHeader +
	"e1,Ottilie,Vandersloot,ottilie.vandersloot@quokka-analytics.example,+44 20 7946 0321,CTO,Quokka Analytics Ltd,quokka-analytics.example,12 Wharf Road,London,,N1 7GR,GB\n" +
	"e2,OTTILIE,VANDERSLOOT,OTTILIE.VANDERSLOOT@QUOKKA-ANALYTICS.EXAMPLE,+44 20 7946 0321,,Quokka Analytics Ltd,quokka-analytics.example,12 Wharf Road,London,,N1 7GR,GB\n" +
	"e3,Bartholomew,Quince,bart.quince@quokka-analytics.example,+44 20 7946 0877,CFO,Quokka Analytics Ltd,quokka-analytics.example,12 Wharf Road,London,,N1 7GR,GB\n" +
	"e4,Maren,Ostrowski,maren.ostrowski@pelican-it.example,+1 415 555 0134,IT Director,Pelican IT Inc,pelican-it.example,1 Market Street,San Francisco,CA,94105,US\n" +
	"e5,Idris,Abernathy,idris.abernathy@pelican-it.example,+1 415 555 0178,CEO,Pelican IT Inc,pelican-it.example,1 Market Street,San Francisco,CA,94105,US\n" +
	"e6,Solveig,Haraldsen,solveig.haraldsen@fjord-msp.example,+47 22 12 34 56,Service Desk Manager,Fjord MSP AS,fjord-msp.example,Karl Johans gate 1,Oslo,,0154,NO\n"

// reimportFile brings the person back from another export: once by
// e-mail and phone (suppressed), once by name and company only, which
// validate cannot recognise and dedupe must not merge into the erased lead.
const reimportFile = eraseHeader +
	"x1,Ottilie,Vandersloot,ottilie.vandersloot@quokka-analytics.example,+44 20 7946 0321,CTO,Quokka Analytics Ltd,quokka-analytics.example,12 Wharf Road,London,,N1 7GR,GB\n" +
	"x2,Ottilie,Vandersloot,,,Chief Technology Officer,Quokka Analytics Ltd,quokka-analytics.example,12 Wharf Road,London,,N1 7GR,GB\n"

// TestEraseLeavesNothingReadable is issue 13's erasure criterion: after
// DELETE /api/leads/{id} and a restart, nothing under the data directory
// holds the person's e-mail, names or phone — not the raw bytes of any
// file, nor any topic record (read through the broker, so decompressed),
// nor any Badger version (S2-compressed values decompressed), nor any
// Bleve term — and a re-import of the person is suppressed.
func TestEraseLeavesNothingReadable(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	ns := fmt.Sprintf("erase%d", time.Now().UnixNano())
	addr, apiAddr := testkafka.FreeAddr(t), testkafka.FreeAddr(t)
	first, again := filepath.Join(dir, "first.csv"), filepath.Join(dir, "again.csv")
	for f, body := range map[string]string{first: eraseFile, again: reimportFile} {
		if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if code := mainExit(context.Background(), []string{"apikey", "create", "--data-dir", data, "--role", "admin", "--name", "dpo"}, &out, &out); code != 0 {
		t.Fatalf("apikey: %s", out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	key := lines[len(lines)-1]

	run := startCLI(t, append(append([]string{"run", "--import", first}, pipelineArgs(t, data, addr, ns)...), "--api-addr", apiAddr)...)
	defer func() { _ = run.cmd.Process.Kill(); _ = run.cmd.Wait() }()
	api := func(method, path string) (int, []byte) {
		req, _ := http.NewRequest(method, "http://"+apiAddr+path, nil)
		req.Header.Set("X-API-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, b.Bytes()
	}
	var page struct {
		Data []struct {
			LeadID string `json:"lead_id"`
		} `json:"data"`
		Total int `json:"total"`
	}
	// Five people: wait until the view has them all (the pipeline is done).
	deadline := time.Now().Add(2 * time.Minute)
	for {
		code, body := api("GET", "/api/leads")
		if code == 200 && json.Unmarshal(body, &page) == nil && page.Total == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the view never held the 5 leads: %d %s\n%s", code, body, run.stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	code, body := api("GET", "/api/leads?q=vandersloot")
	if code != 200 || json.Unmarshal(body, &page) != nil || len(page.Data) != 1 {
		t.Fatalf("search: %d %s", code, body)
	}
	leadID := page.Data[0].LeadID
	if code, body := api("DELETE", "/api/leads/"+leadID); code != 200 {
		t.Fatalf("DELETE: %d %s", code, body)
	}
	if code, _ := api("GET", "/api/leads/"+leadID); code != 404 {
		t.Fatalf("the erased lead answers %d", code)
	}
	stop(t, run)

	// The restart: every stage and the view come back from what is on disk.
	restart := startCLI(t, append([]string{"run", "--until-idle"}, pipelineArgs(t, data, addr, ns)...)...)
	if err := waitCLI(restart, 2*time.Minute); err != nil {
		t.Fatalf("restart: %v\n%s", err, restart.stderr.String())
	}
	scanDataDir(t, data, ns, erasedNeedles)

	// The person imported again: suppressed, counted, and not merged
	// into the erased lead by name.
	re := startCLI(t, append([]string{"run", "--import", again, "--until-idle"}, pipelineArgs(t, data, addr, ns)...)...)
	if err := waitCLI(re, 2*time.Minute); err != nil {
		t.Fatalf("re-import: %v\n%s", err, re.stderr.String())
	}
	sum := parseSummary(re.stdout.String())
	if sum["suppressed"] != 1 || sum["merged"] != 0 || sum["outcomes"] != 2 {
		t.Fatalf("re-import summary %v\n%s", sum, re.stdout.String())
	}
	// The suppressed record's copy on leads.raw is shredded as well; the
	// name-only record is a new lead of its own, so only the e-mail and
	// the phone must stay absent.
	scanDataDir(t, data, ns, []string{erasedEmail, erasedPhone})
}

// stop interrupts a run and waits for it to exit.
func stop(t *testing.T, r *cliRun) {
	t.Helper()
	_ = r.cmd.Process.Signal(syscall.SIGINT)
	if err := waitCLI(r, time.Minute); err != nil {
		t.Fatalf("stop: %v\n%s", err, r.stderr.String())
	}
}

// eraseControls are data of people not erased, which each reader must
// see: a reader that sees nothing proves nothing.
var eraseControls = []string{"haraldsen", "pelican-it.example"}

// scanDataDir looks for needles (case-insensitively) in everything under
// dir, and in every record of the namespace's topics.
func scanDataDir(t *testing.T, dir, ns string, needles []string) {
	t.Helper()
	seen := map[string]int{} // reader → control hits
	reader := ""
	find := func(where string, b []byte) {
		lower := bytes.ToLower(b)
		for _, n := range needles {
			if bytes.Contains(lower, []byte(strings.ToLower(n))) {
				t.Errorf("%q readable in %s", n, where)
			}
		}
		for _, c := range eraseControls {
			if bytes.Contains(lower, []byte(c)) {
				seen[reader]++
			}
		}
	}
	var badgers, bleves []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		find(rel, b)
		switch d.Name() {
		case "MANIFEST":
			badgers = append(badgers, filepath.Dir(path))
		case "index_meta.json":
			bleves = append(bleves, filepath.Dir(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	reader = "badger"
	for _, d := range badgers {
		scanBadger(t, d, find)
	}
	reader = "bleve"
	for _, d := range bleves {
		scanBleve(t, d, find)
	}
	reader = "topics"
	scanTopics(t, dir, ns, find)
	for _, r := range []string{"badger", "bleve", "topics"} {
		if seen[r] == 0 {
			t.Errorf("the %s reader saw no one's data at all: it checks nothing", r)
		}
	}
}

// scanBadger reads every version of every key of a store.
func scanBadger(t *testing.T, dir string, find func(string, []byte)) {
	t.Helper()
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	defer db.Close()
	err = db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{AllVersions: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			v, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			where := fmt.Sprintf("%s key %q", dir, item.Key())
			find(where, item.Key())
			find(where, v)
			if len(v) > 1 && v[0] == 0xff { // dedupe's S2-compressed leads
				if d, err := s2.Decode(nil, v[1:]); err == nil {
					find(where+" (S2)", d)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("scan %s: %v", dir, err)
	}
}

// scanBleve reads every term of every field of an index.
func scanBleve(t *testing.T, dir string, find func(string, []byte)) {
	t.Helper()
	idx, err := bleve.Open(dir)
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	defer idx.Close()
	fields, err := idx.Fields()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fields {
		dict, err := idx.FieldDict(f)
		if err != nil {
			t.Fatal(err)
		}
		for {
			e, err := dict.Next()
			if err != nil {
				t.Fatal(err)
			}
			if e == nil {
				break
			}
			where := fmt.Sprintf("%s field %s", dir, f)
			if q := bleve.NewTermQuery(e.Term); true {
				q.SetField(f)
				if res, err := idx.Search(bleve.NewSearchRequest(q)); err == nil && res.Total > 0 {
					where += fmt.Sprintf(" (documents %v)", res.Hits)
				}
			}
			find(where, []byte(e.Term))
		}
		_ = dict.Close()
	}
}

// scanTopics reads every record of every topic of the namespace through
// a broker: the embedded one started again on the data directory's log,
// or the real one of LEADSTREAM_TEST_BROKERS.
func scanTopics(t *testing.T, dir, ns string, find func(string, []byte)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	brokers := testkafka.Brokers()
	prefix := ns + "."
	if brokers == nil {
		b, err := pipeline.StartEmbedded(pipeline.EmbeddedOptions{Dir: filepath.Join(dir, "broker"), Addr: testkafka.FreeAddr(t), Partitions: 3})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		brokers, prefix = b.Addrs(), ""
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	topics, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range topics.Names() {
		if strings.HasPrefix(n, prefix) && !strings.HasPrefix(n, "__") {
			names = append(names, n)
		}
	}
	ends, err := adm.ListEndOffsets(ctx, names...)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			if want[o.Topic] == nil {
				want[o.Topic] = map[int32]int64{}
			}
			want[o.Topic][o.Partition] = o.Offset
		}
	})
	if len(want) == 0 {
		t.Fatal("no records in any topic: nothing was scanned")
	}
	cons, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(names...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	for len(want) > 0 {
		fs := cons.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("topics not read to their end: %v", want)
		}
		fs.EachRecord(func(r *kgo.Record) {
			where := fmt.Sprintf("%s[%d]@%d", r.Topic, r.Partition, r.Offset)
			find(where, r.Key)
			find(where, r.Value)
			for _, h := range r.Headers {
				find(where+" header "+h.Key, h.Value)
			}
			if end, ok := want[r.Topic][r.Partition]; ok && r.Offset+1 >= end {
				delete(want[r.Topic], r.Partition)
				if len(want[r.Topic]) == 0 {
					delete(want, r.Topic)
				}
			}
		})
	}
}
