package textsafe

import (
	"reflect"
	"testing"
)

func TestCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"},
		{"+Cmd", "'+Cmd"},
		{"-2+3", "'-2+3"},
		{"@Sum(a1:a9)", "'@Sum(a1:a9)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"  =1+1", "'  =1+1"},
		{"Jane Doe", "Jane Doe"},
		{"O'Brien", "O'Brien"},
		{"a=b", "a=b"},
		{"", ""},
		{"jane@example.com", "jane@example.com"},
	} {
		if got := Cell(tc.in); got != tc.want {
			t.Errorf("Cell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPhone(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"+14155550100", "+14155550100"},
		{"+442071838750", "+442071838750"},
		{"+1 415 555 0100", "'+1 415 555 0100"},
		{"+1415555", "+1415555"},
		{"+123456", "'+123456"},
		{"+1234567890123456", "'+1234567890123456"},
		{"+0123456789", "'+0123456789"},
		{"+1(2)=3", "'+1(2)=3"},
		{"=1+1", "'=1+1"},
		{"-4155550100", "'-4155550100"},
		{"4155550100", "4155550100"},
	} {
		if got := Phone(tc.in); got != tc.want {
			t.Errorf("Phone(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestBody(t *testing.T) {
	b := map[string]any{
		"name":        "=cmd",
		"phonenumber": "+14155550100",
		"notes":       "+evil",
		"client_id":   7,
		"address":     map[string]any{"line1": "@home", "line2": "Berlin"},
		"customfields": []any{
			map[string]any{"id": 101, "value": "-1"},
		},
		"list": []map[string]any{{"summary": "\tx"}},
	}
	Body(b, "phonenumber")
	want := map[string]any{
		"name":        "'=cmd",
		"phonenumber": "+14155550100",
		"notes":       "'+evil",
		"client_id":   7,
		"address":     map[string]any{"line1": "'@home", "line2": "Berlin"},
		"customfields": []any{
			map[string]any{"id": 101, "value": "'-1"},
		},
		"list": []map[string]any{{"summary": "'\tx"}},
	}
	if !reflect.DeepEqual(b, want) {
		t.Errorf("Body = %v, want %v", b, want)
	}
}
