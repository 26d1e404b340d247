package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/leadstream/leadstream/internal/apikey"
)

func TestAPIKeyCommand(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := mainExit(context.Background(), append([]string{"apikey"}, args...), &out, &out)
		return code, out.String()
	}
	code, out := run("create", "--data-dir", dir, "--role", "admin", "--name", "erasure desk")
	if code != 0 {
		t.Fatalf("create: %d %s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	key := lines[len(lines)-1]
	e, err := apikey.Open(apikey.Path(dir)).Authenticate(key)
	if err != nil || e.Role != apikey.RoleAdmin || e.Name != "erasure desk" {
		t.Fatalf("the printed key does not authenticate: %+v %v", e, err)
	}
	if code, out := run("list", "--data-dir", dir); code != 0 || !strings.Contains(out, "erasure desk") || strings.Contains(out, key) {
		t.Fatalf("list: %d %s", code, out)
	}
	if code, out := run("revoke", e.ID, "--data-dir", dir); code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("revoke: %d %s", code, out)
	}
	if _, err := apikey.Open(apikey.Path(dir)).Authenticate(key); err == nil {
		t.Fatal("revoked key still authenticates")
	}
	for _, args := range [][]string{{"create", "--data-dir", dir}, {"create", "--data-dir", dir, "--name", "x", "--role", "root"}, {"frobnicate"}} {
		if code, _ := run(args...); code == 0 {
			t.Errorf("%v succeeded", args)
		}
	}
}
