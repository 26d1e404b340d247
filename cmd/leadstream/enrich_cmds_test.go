package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadstream/leadstream/internal/testkafka"
)

const peopleCSV = `record_id,first_name,last_name,email,phone,title,company,domain,street,city,state,postcode,country
r1,Jane,Doe,jane@example.com,+14155550100,CEO,Example Co,example.com,,Boston,MA,,US
r2,John,Roe,john@example.org,,CTO,Other Inc,example.org,,Austin,TX,,US
`

func TestProviderSandboxServesCreditsAndWritesTheEnv(t *testing.T) {
	dir := t.TempDir()
	people := filepath.Join(dir, "people.csv")
	if err := os.WriteFile(people, []byte(peopleCSV), 0o600); err != nil {
		t.Fatal(err)
	}
	envFile := filepath.Join(dir, "sandbox.env")
	addr := testkafka.FreeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() {
		done <- providerSandboxCmd(ctx, []string{"--addr", addr, "--people", people, "--env-file", envFile, "--metrics-addr", ""}, &out, &out)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	env := map[string]string{}
	for deadline := time.Now().Add(10 * time.Second); ; {
		b, err := os.ReadFile(envFile)
		if err == nil && len(b) > 0 {
			for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				k, v, _ := strings.Cut(line, "=")
				env[k] = v
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no env file written")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, k := range []string{"APOLLO_BASE_URL", "HUNTER_API_KEY", "LUSHA_BASE_URL", "UPLEAD_API_KEY", "LEADSTREAM_ENRICH_CONFIG"} {
		if env[k] == "" {
			t.Errorf("env file lacks %s: %v", k, env)
		}
	}
	// One paid finder call, then the credits endpoint counts it.
	req, _ := http.NewRequest(http.MethodGet, env["HUNTER_BASE_URL"]+"/email-finder?first_name=Jane&last_name=Doe&domain=example.com&api_key="+env["HUNTER_API_KEY"], nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = http.Get("http://" + addr + "/_control/credits")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var credits map[string]float64
	if err := json.NewDecoder(resp.Body).Decode(&credits); err != nil {
		t.Fatal(err)
	}
	if credits["hunter"] != 1 || credits["apollo"] != 0 {
		t.Errorf("credits = %v, want hunter 1", credits)
	}
}

func TestEnrichDryRun(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "leads.csv")
	if err := os.WriteFile(f, []byte(peopleCSV), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	code := mainExit(context.Background(), []string{"enrich", "--dry-run", "--config-file", "../../config/enrich.json", f}, &out, &out)
	if code != 0 || !strings.Contains(out.String(), "2 leads, 2 need enrichment") || !strings.Contains(out.String(), "total: about") {
		t.Errorf("code %d, output:\n%s", code, out.String())
	}
	out.Reset()
	if code := mainExit(context.Background(), []string{"enrich", f}, &out, &out); code != 2 {
		t.Errorf("enrich without --dry-run: code %d, want 2 (usage)", code)
	}
}
