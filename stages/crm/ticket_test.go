package crm

import (
	"testing"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/connectors/halopsa"
)

func TestParseHaloTime(t *testing.T) {
	want := time.Date(2026, 9, 25, 6, 41, 8, 789591500, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2026-09-25T06:41:08.7895915Z", want}, // webhook timestamp, 7 digits
		{"2026-09-25T06:41:08.7895915", want},  // no zone: UTC
		{"2026-09-25T06:41:08.789Z", want.Truncate(time.Millisecond)},
		{"2026-09-25T08:41:08.789+02:00", want.Truncate(time.Millisecond)},
		{"2026-09-25T06:41:08", want.Truncate(time.Second)},
		{"", time.Time{}},
		{"yesterday", time.Time{}},
	} {
		if got := parseHaloTime(tc.in); !got.Equal(tc.want) {
			t.Errorf("parseHaloTime(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestTicketDecoding(t *testing.T) {
	raw := `{"id":4242,"tickettype_id":"2","status_id":10.0,"site_id":57.0,"client_id":null,"oppconversionprobability":30,
		"customfields":[{"id":204,"value":120402,"display":"$10K-$50K"},{"id":206,"value":78},{"id":105,"value":true,"display":""},
		{"id":201,"value":"","display":""},{"id":203,"value":null}]}`
	var tk ticket
	if err := json.Unmarshal([]byte(raw), &tk); err != nil {
		t.Fatal(err)
	}
	if tk.ID != 4242 || tk.TicketTypeID != 2 || tk.StatusID != 10 || tk.SiteID != 57 || tk.ClientID != 0 {
		t.Fatalf("ids %+v", tk)
	}
	want := map[string]string{"CF_204": "$10K-$50K", "CF_206": "78", "CF_105": "true", "CF_201": "", "CF_203": "", fieldProbability: "30"}
	got := tk.fields()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("fields %v", got)
	}
	if !truthy(got["CF_105"]) || truthy(got["CF_201"]) {
		t.Error("truthy")
	}
	if cfText(halopsa.CustomField{Value: 1.5}) != "1.5" || cfID("CF_305") != 305 || cfKey(301) != "CF_301" {
		t.Error("custom-field helpers")
	}
}
