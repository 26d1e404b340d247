package main

import (
	"testing"
	"time"
)

func TestTenantRefreshFromEnv(t *testing.T) {
	for _, tc := range []struct {
		env     string
		want    time.Duration
		wantErr bool
	}{
		{"", 0, false},
		{"15m", 15 * time.Minute, false},
		{"-1s", -time.Second, false},
		{"often", 0, true},
	} {
		t.Setenv("HALOPSA_TENANT_REFRESH", tc.env)
		got, err := tenantRefreshFromEnv()
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("%q: got %v, %v; want %v, error %v", tc.env, got, err, tc.want, tc.wantErr)
		}
	}
}
