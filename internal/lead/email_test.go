package lead

import "testing"

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		raw, addr                   string
		valid, role, disp, freeMail bool
	}{
		{"John.Smith@Acme.COM", "john.smith@acme.com", true, false, false, false},
		{"  jane@acme.co.uk ", "jane@acme.co.uk", true, false, false, false},
		{"mailto:Sales@Acme.com", "sales@acme.com", true, true, false, false},
		{"John Smith <JOHN@ACME.COM>", "john@acme.com", true, false, false, false},
		{"info+newsletter@acme.com", "info+newsletter@acme.com", true, true, false, false},
		{"no-reply@acme.com", "no-reply@acme.com", true, true, false, false},
		{"bob@gmail.com", "bob@gmail.com", true, false, false, true},
		{"bob@hotmail.fr", "bob@hotmail.fr", true, false, false, true},
		{"bob@yahoo.co.jp", "bob@yahoo.co.jp", true, false, false, true},
		{"bob@mail.yandex.ru", "bob@mail.yandex.ru", true, false, false, true},
		{"bob@comcast.net", "bob@comcast.net", true, false, false, true},
		{"x@mailinator.com", "x@mailinator.com", true, false, true, false},
		{"jürgen@müller.de", "jürgen@xn--mller-kva.de", false, false, false, false},
		{"juergen@Müller.DE", "juergen@xn--mller-kva.de", true, false, false, false},
		{"a@acme.com.", "a@acme.com", true, false, false, false},
		{"o'brien@acme.ie", "o'brien@acme.ie", true, false, false, false},
		{"user@xn--e1afmkfd.xn--p1ai", "user@xn--e1afmkfd.xn--p1ai", true, false, false, false},
		{"user@[192.168.0.1]", "user@[192.168.0.1]", false, false, false, false},
		{"user@192.168.0.1", "user@192.168.0.1", false, false, false, false},
		{"\"quoted\"@acme.com", "quoted\"@acme.com", false, false, false, false},
		{"john..smith@acme.com", "john..smith@acme.com", false, false, false, false},
		{".john@acme.com", ".john@acme.com", false, false, false, false},
		{"john@acme", "john@acme", false, false, false, false},
		{"john@acme.c", "john@acme.c", false, false, false, false},
		{"john@-acme.com", "john@-acme.com", false, false, false, false},
		{"john@@acme.com", "john@@acme.com", false, false, false, false},
		{"john smith@acme.com", "john smith@acme.com", false, false, false, false},
		{"johnacme.com", "johnacme.com", false, false, false, false},
		{"[pat@acme.com]", "pat@acme.com", true, false, false, false},
		{"user@пример.рф", "user@xn--e1afmkfd.xn--p1ai", true, false, false, false},
		{"n/a", "n/a", false, false, false, false},
		{"a234567890123456789012345678901234567890123456789012345678901234x@acme.com", "a234567890123456789012345678901234567890123456789012345678901234x@acme.com", false, false, false, false},
	}
	for _, tt := range tests {
		e := NormalizeEmail(tt.raw)
		if e.Address != tt.addr || e.Valid != tt.valid || e.Role != tt.role || e.Disposable != tt.disp || e.FreeMail != tt.freeMail {
			t.Errorf("NormalizeEmail(%q) = %+v; want addr %q valid %v role %v disposable %v free %v",
				tt.raw, e, tt.addr, tt.valid, tt.role, tt.disp, tt.freeMail)
		}
	}
}

func TestEmailMatchKey(t *testing.T) {
	for in, want := range map[string]string{
		"j.o.h.n+x@googlemail.com": "john@gmail.com",
		"john.smith+crm@acme.com":  "john.smith@acme.com",
		"john@acme.com":            "john@acme.com",
		"+x@acme.com":              "",
		"nope":                     "",
	} {
		if got := EmailMatchKey(in); got != want {
			t.Errorf("EmailMatchKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEmailStatus(t *testing.T) {
	for in, want := range map[string]string{
		"": EmailNone, "Verified": EmailVerified, "valid": EmailVerified, "A+": EmailVerified,
		"catch-all": EmailAcceptAll, "Accept All": EmailAcceptAll, "extrapolated": EmailUnverified,
		"webmail": EmailUnverified, "B": EmailUnverified, "do not mail": EmailInvalid,
		"disposable": EmailInvalid, "something odd": EmailUnverified,
	} {
		if got := EmailStatus(in); got != want {
			t.Errorf("EmailStatus(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsFreeMail(t *testing.T) {
	for d, want := range map[string]bool{
		"gmail.com": true, "GMAIL.COM": true, "live.co.uk": true, "gmx.at": true,
		"btinternet.com": true, "acme.com": false, "livenation.com": false, "": false,
	} {
		if got := IsFreeMail(d); got != want {
			t.Errorf("IsFreeMail(%q) = %v, want %v", d, got, want)
		}
	}
}
