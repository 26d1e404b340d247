package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestSignFormat(t *testing.T) {
	body := []byte(`{"id":"evt_1","type":"lead.created"}`)
	at := time.Unix(1767225600, 0)
	s, err := NewSigner("whsec_current")
	if err != nil {
		t.Fatal(err)
	}
	h := hmac.New(sha256.New, []byte("whsec_current"))
	h.Write([]byte("1767225600." + string(body)))
	want := "t=1767225600,v1=" + hex.EncodeToString(h.Sum(nil))
	if got := s.Sign(at, body); got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

func TestSignRotationEmitsBothSecrets(t *testing.T) {
	body := []byte(`{}`)
	at := time.Unix(1767225600, 0)
	s, err := NewSigner("new", "old")
	if err != nil {
		t.Fatal(err)
	}
	hdr := s.Sign(at, body)
	if n := strings.Count(hdr, "v1="); n != 2 {
		t.Fatalf("header %q has %d v1 values, want 2", hdr, n)
	}
	for _, sec := range []string{"new", "old"} {
		if err := Verify(sec, hdr, body, at); err != nil {
			t.Errorf("Verify with %q: %v", sec, err)
		}
	}
}

func TestNewSignerNoSecret(t *testing.T) {
	if _, err := NewSigner("", ""); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("err = %v, want ErrNoSecret", err)
	}
}

func TestSignerStringHidesSecret(t *testing.T) {
	s, err := NewSigner("topsecret")
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v", *s), fmt.Sprintf("%+v", s)} {
		if strings.Contains(out, "topsecret") {
			t.Errorf("secret leaked in %q", out)
		}
	}
	v := Verifier{Secrets: []string{"topsecret"}}
	if out := fmt.Sprint(v); strings.Contains(out, "topsecret") {
		t.Errorf("secret leaked in %q", out)
	}
}

func TestVerify(t *testing.T) {
	const secret = "whsec_test"
	body := []byte(`{"id":"evt_1","type":"lead.created","created_at":"2026-01-01T00:00:00Z","data":{"lead_id":"L1"}}`)
	signedAt := time.Unix(1767225600, 0)
	signer, err := NewSigner(secret)
	if err != nil {
		t.Fatal(err)
	}
	good := signer.Sign(signedAt, body)
	goodMAC := good[strings.Index(good, "v1="):]

	tests := []struct {
		name    string
		secrets []string
		header  string
		body    []byte
		now     time.Time
		wantErr error
	}{
		{name: "round trip", secrets: []string{secret}, header: good, body: body, now: signedAt},
		{name: "within tolerance late", secrets: []string{secret}, header: good, body: body, now: signedAt.Add(300 * time.Second)},
		{name: "within tolerance early", secrets: []string{secret}, header: good, body: body, now: signedAt.Add(-300 * time.Second)},
		{name: "second secret matches", secrets: []string{"other", secret}, header: good, body: body, now: signedAt},
		{name: "unknown scheme ignored", secrets: []string{secret}, header: good + ",v0=abc", body: body, now: signedAt},
		{name: "tampered body", secrets: []string{secret}, header: good, body: []byte(strings.Replace(string(body), "L1", "L2", 1)), now: signedAt, wantErr: ErrSignatureMismatch},
		{name: "wrong secret", secrets: []string{"whsec_wrong"}, header: good, body: body, now: signedAt, wantErr: ErrSignatureMismatch},
		{name: "stale timestamp", secrets: []string{secret}, header: good, body: body, now: signedAt.Add(301 * time.Second), wantErr: ErrStaleTimestamp},
		{name: "future timestamp", secrets: []string{secret}, header: good, body: body, now: signedAt.Add(-301 * time.Second), wantErr: ErrStaleTimestamp},
		{name: "replayed with new t", secrets: []string{secret}, header: "t=1767225700," + goodMAC, body: body, now: signedAt, wantErr: ErrSignatureMismatch},
		{name: "missing header", secrets: []string{secret}, header: "", body: body, now: signedAt, wantErr: ErrMissingSignature},
		{name: "no v1", secrets: []string{secret}, header: "t=1767225600", body: body, now: signedAt, wantErr: ErrMissingSignature},
		{name: "no t", secrets: []string{secret}, header: goodMAC, body: body, now: signedAt, wantErr: ErrMalformedSignature},
		{name: "bad t", secrets: []string{secret}, header: "t=soon," + goodMAC, body: body, now: signedAt, wantErr: ErrMalformedSignature},
		{name: "bad hex", secrets: []string{secret}, header: "t=1767225600,v1=zz", body: body, now: signedAt, wantErr: ErrMalformedSignature},
		{name: "garbage", secrets: []string{secret}, header: "nonsense", body: body, now: signedAt, wantErr: ErrMalformedSignature},
		{name: "no secret configured", secrets: nil, header: good, body: body, now: signedAt, wantErr: ErrNoSecret},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := Verifier{Secrets: tc.secrets, Now: func() time.Time { return tc.now }}
			err := v.Verify(tc.header, tc.body)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Verify err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}
