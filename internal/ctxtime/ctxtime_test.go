package ctxtime

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSleep(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		d    time.Duration
		want error
	}{
		{"zero wait, live context", context.Background(), 0, nil},
		{"short wait", context.Background(), time.Millisecond, nil},
		{"cancelled, no wait", cancelled, 0, context.Canceled},
		{"cancelled during a long wait", cancelled, time.Hour, context.Canceled},
	} {
		if err := Sleep(tc.ctx, tc.d); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}
