package lead

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// SuppressionKeys are the do-not-contact list's keys for a person: HMAC-SHA256
// under secret of every usable e-mail ("e:" + lower case) and every valid
// phone ("p:" + E.164), hex-encoded (crm.md §7.4). The list so holds no
// personal data in clear.
func SuppressionKeys(secret []byte, emails, phones []string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(k string) {
		if k == "" || seen[k] {
			return
		}
		seen[k] = true
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(k))
		out = append(out, hex.EncodeToString(m.Sum(nil)))
	}
	for _, e := range emails {
		if e = strings.ToLower(strings.TrimSpace(e)); strings.Contains(e, "@") {
			add("e:" + e)
		}
	}
	for _, p := range phones {
		if p = strings.TrimSpace(p); strings.HasPrefix(p, "+") {
			add("p:" + p)
		}
	}
	return out
}

// ContactPoints are a lead's usable e-mails and valid phones, for
// SuppressionKeys.
func (l *Lead) ContactPoints() (emails, phones []string) {
	if l.Email != "" {
		emails = append(emails, l.Email)
	}
	for _, e := range l.Emails {
		if e.Usable() {
			emails = append(emails, e.Address)
		}
	}
	if l.Phone != "" {
		phones = append(phones, l.Phone)
	}
	for _, p := range l.Phones {
		if p.Valid && p.E164 != "" {
			phones = append(phones, p.E164)
		}
	}
	return emails, phones
}
