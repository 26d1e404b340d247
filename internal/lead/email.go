package lead

import (
	"strings"

	"golang.org/x/net/idna"
)

// freeMail lists mailbox providers whose domain never identifies a
// company (spec §2.1), as registrable domains.
var freeMail = map[string]bool{
	"gmail.com": true, "googlemail.com": true, "outlook.com": true, "aol.com": true,
	"icloud.com": true, "me.com": true, "mac.com": true, "msn.com": true,
	"proton.me": true, "protonmail.com": true, "pm.me": true, "tutanota.com": true,
	"web.de": true, "mail.com": true, "qq.com": true, "163.com": true, "126.com": true,
	"zoho.com": true, "mail.ru": true, "inbox.ru": true, "list.ru": true, "bk.ru": true,
	"rambler.ru": true, "t-online.de": true, "freenet.de": true, "libero.it": true,
	"orange.fr": true, "wanadoo.fr": true, "free.fr": true, "laposte.net": true,
	"sfr.fr": true, "btinternet.com": true, "sky.com": true, "virginmedia.com": true,
	"talktalk.net": true, "ntlworld.com": true, "comcast.net": true, "verizon.net": true,
	"att.net": true, "sbcglobal.net": true, "bellsouth.net": true, "cox.net": true,
	"charter.net": true, "earthlink.net": true, "optonline.net": true, "bigpond.com": true,
	"optusnet.com.au": true, "shaw.ca": true, "rogers.com": true, "sympatico.ca": true,
	"naver.com": true, "hanmail.net": true, "rediffmail.com": true, "seznam.cz": true,
	"wp.pl": true, "o2.pl": true, "interia.pl": true, "onet.pl": true, "terra.com.br": true,
	"uol.com.br": true, "bol.com.br": true, "fastmail.com": true, "hey.com": true,
}

// freeMailBrands are providers with one domain per country ("hotmail.*",
// "yahoo.*", …): any registrable domain whose first label is one of them.
var freeMailBrands = map[string]bool{
	"hotmail": true, "live": true, "yahoo": true, "ymail": true, "gmx": true,
	"yandex": true, "outlook": true,
}

// disposableMail lists throw-away mailbox domains (spec §2.1).
var disposableMail = map[string]bool{
	"mailinator.com": true, "guerrillamail.com": true, "guerrillamail.net": true,
	"sharklasers.com": true, "10minutemail.com": true, "10minutemail.net": true,
	"tempmail.com": true, "temp-mail.org": true, "tempmail.net": true, "tempail.com": true,
	"yopmail.com": true, "yopmail.fr": true, "trashmail.com": true, "trashmail.de": true,
	"throwawaymail.com": true, "getnada.com": true, "dispostable.com": true,
	"maildrop.cc": true, "mailnesia.com": true, "fakeinbox.com": true, "mintemail.com": true,
	"spamgourmet.com": true, "mohmal.com": true, "emailondeck.com": true,
	"burnermail.io": true, "mailcatch.com": true, "moakt.com": true, "33mail.com": true,
	"discard.email": true, "spam4.me": true, "grr.la": true, "mytemp.email": true,
}

// roleLocal lists local parts that address a function, not a person.
var roleLocal = map[string]bool{
	"info": true, "sales": true, "admin": true, "support": true, "contact": true,
	"hello": true, "office": true, "enquiries": true, "inquiries": true, "accounts": true,
	"billing": true, "hr": true, "jobs": true, "careers": true, "marketing": true,
	"team": true, "help": true, "noreply": true, "no-reply": true, "postmaster": true,
	"webmaster": true, "abuse": true,
}

// IsFreeMail reports whether domain (or a host under it) belongs to a free
// mailbox provider.
func IsFreeMail(domain string) bool {
	d := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(domain), "."))
	if freeMail[d] {
		return true
	}
	if r := RegistrableDomain(d); r != "" {
		if freeMail[r] {
			return true
		}
		label, _, _ := strings.Cut(r, ".")
		return freeMailBrands[label]
	}
	return false
}

// IsDisposableMail reports whether domain is a disposable mailbox domain.
func IsDisposableMail(domain string) bool {
	d := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(domain), "."))
	return disposableMail[d] || disposableMail[RegistrableDomain(d)]
}

// emailStatuses maps provider verification values to a status (spec
// §2.1 step 5). Keys are lower case.
var emailStatuses = map[string]string{
	"verified": EmailVerified, "valid": EmailVerified, "deliverable": EmailVerified,
	"a+": EmailVerified, "a": EmailVerified,
	"catch-all": EmailAcceptAll, "catch_all": EmailAcceptAll, "catchall": EmailAcceptAll,
	"accept-all": EmailAcceptAll, "accept_all": EmailAcceptAll, "accept all": EmailAcceptAll,
	"unverified": EmailUnverified, "extrapolated": EmailUnverified, "unknown": EmailUnverified,
	"webmail": EmailUnverified, "risky": EmailUnverified, "guessed": EmailUnverified,
	"likely": EmailUnverified, "b": EmailUnverified, "c": EmailUnverified, "d": EmailUnverified,
	"invalid": EmailInvalid, "disposable": EmailInvalid, "do not mail": EmailInvalid,
	"do_not_mail": EmailInvalid, "undeliverable": EmailInvalid, "bounced": EmailInvalid,
}

// EmailStatus maps a provider's verification value to a status; an empty
// value gives "none", an unknown one "unverified".
func EmailStatus(provider string) string {
	v := strings.ToLower(strings.TrimSpace(provider))
	if v == "" {
		return EmailNone
	}
	if s, ok := emailStatuses[v]; ok {
		return s
	}
	return EmailUnverified
}

// NormalizeEmail cleans one address per spec §2.1: trimmed, NFC, lower
// case, the domain in IDNA ASCII without a trailing dot; mailto: prefixes
// and "Name <addr>" wrappers are removed. It sets the syntax verdict and
// the role, disposable and free-mail flags; status is "none".
func NormalizeEmail(raw string) Email {
	s, _ := cleanText(raw)
	s = strings.ToLower(s)
	if i := strings.IndexByte(s, '<'); i >= 0 {
		if j := strings.IndexByte(s[i:], '>'); j > 0 {
			s = s[i+1 : i+j]
		}
	}
	s = strings.TrimPrefix(strings.TrimSpace(s), "mailto:")
	s = strings.Trim(s, " \"'`()<>,;:")
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
	}
	e := Email{Address: s, Status: EmailNone}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return e
	}
	local, domain := s[:at], strings.TrimSuffix(s[at+1:], ".")
	if ascii, err := idna.Lookup.ToASCII(domain); err == nil {
		domain = ascii
	}
	e.Address = local + "@" + domain
	e.Valid = validLocal(local) && validDomain(domain) && len(e.Address) <= 254
	if !e.Valid {
		return e
	}
	base, _, _ := strings.Cut(local, "+")
	e.Role = roleLocal[base]
	e.Disposable = IsDisposableMail(domain)
	e.FreeMail = IsFreeMail(domain)
	return e
}

// validLocal checks a dot-atom local part of at most 64 characters.
func validLocal(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-/=?^_`{|}~.", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validDomain checks an ASCII domain: at most 253 characters, at least two
// LDH labels, and an alphabetic top-level label of two or more letters or
// an xn-- label. IP literals fail.
func validDomain(d string) bool {
	if len(d) > 253 || d == "" {
		return false
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	if strings.HasPrefix(tld, "xn--") {
		return true
	}
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if tld[i] < 'a' || tld[i] > 'z' {
			return false
		}
	}
	return true
}

// EmailMatchKey is the exact-match form of an address (spec §2.1 step 6):
// the +tag stripped, googlemail.com mapped to gmail.com and, for gmail.com
// only, dots removed from the local part. The stored address is unchanged.
func EmailMatchKey(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return ""
	}
	local, domain := addr[:at], addr[at+1:]
	local, _, _ = strings.Cut(local, "+")
	if domain == "googlemail.com" {
		domain = "gmail.com"
	}
	if domain == "gmail.com" {
		local = strings.ReplaceAll(local, ".", "")
	}
	if local == "" {
		return ""
	}
	return local + "@" + domain
}

// splitEmails splits a cell that may hold several addresses.
func splitEmails(s string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '|' }) {
		if strings.ContainsRune(part, '<') {
			out = append(out, part)
			continue
		}
		out = append(out, strings.Fields(part)...)
	}
	return out
}
