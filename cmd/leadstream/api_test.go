package main

import (
	"context"
	"io"
	"testing"

	"github.com/leadstream/leadstream/internal/api"
	"github.com/leadstream/leadstream/internal/testkafka"
)

// TestAPIFlagsResolve checks the API settings resolve like every other
// flag: defaults, LEADSTREAM_* variables, and the command line first.
func TestAPIFlagsResolve(t *testing.T) {
	free := testkafka.FreeAddr(t) // never bound here, but no fixed port either
	for _, tc := range []struct {
		name                   string
		args                   []string
		env                    map[string]string
		addr, user, pass, tokn string
	}{
		{name: "defaults", addr: api.DefaultAddr},
		{name: "environment", env: map[string]string{"LEADSTREAM_WEBHOOK_USER": "halo", "LEADSTREAM_WEBHOOK_PASSWORD": "pw",
			"LEADSTREAM_WEBHOOK_TOKEN": "tok", "LEADSTREAM_API_ADDR": free},
			addr: free, user: "halo", pass: "pw", tokn: "tok"},
		{name: "flags win", args: []string{"--api-addr", "", "--webhook-token", "flag"}, env: map[string]string{"LEADSTREAM_WEBHOOK_TOKEN": "env"},
			tokn: "flag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"LEADSTREAM_WEBHOOK_USER", "LEADSTREAM_WEBHOOK_PASSWORD", "LEADSTREAM_WEBHOOK_TOKEN", "LEADSTREAM_API_ADDR", "LEADSTREAM_CONFIG"} {
				t.Setenv(k, tc.env[k])
			}
			c := newFlags("run", "", "", io.Discard)
			f := addAPIFlags(c.fs)
			if err := c.parse(tc.args); err != nil {
				t.Fatal(err)
			}
			if *f.addr != tc.addr || *f.user != tc.user || *f.password != tc.pass || *f.token != tc.tokn {
				t.Fatalf("got addr=%q user=%q password=%q token=%q", *f.addr, *f.user, *f.password, *f.token)
			}
			if tc.addr == "" {
				if err := startAPI(context.Background(), f, nil, apiDeps{}, nil, nil); err != nil { // disabled: returns without touching the system
					t.Fatal(err)
				}
			}
		})
	}
}
