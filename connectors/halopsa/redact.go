package halopsa

import (
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

var emailRE = regexp.MustCompile(`[A-Za-z0-9._%+\-]+(@|%40)[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)

// redact masks e-mail addresses in free text (error bodies, messages).
func redact(s string) string {
	return emailRE.ReplaceAllString(s, "[email]")
}

// redactQuery keeps query keys but masks the values of keys that can carry
// personal data (search terms and the like).
func redactQuery(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		v := strings.Join(q[k], ",")
		if safeQueryKey(k) {
			b.WriteString(v)
		} else {
			b.WriteString("[redacted]")
		}
	}
	return b.String()
}

func safeQueryKey(k string) bool {
	switch strings.ToLower(k) {
	case "pageinate", "page_size", "page_no", "count", "order", "orderdesc",
		"client_id", "site_id", "user_id", "ticket_id", "status_id", "requesttype_id",
		"typeid", "tickettype_id", "domain", "includeinactive", "include_custom_fields",
		"includevalues", "lookupid", "toplevel_id", "lastupdatefromdate", "lastupdatetodate":
		return true
	}
	return false
}

// String renders Options without the client secret.
func (o Options) String() string {
	return fmt.Sprintf("halopsa.Options{BaseURL:%q AuthURL:%q ClientID:%q ClientSecret:%s Scope:%q Tenant:%q RateLimit:%d RateWindow:%s}",
		o.BaseURL, o.AuthURL, o.ClientID, secretMask(o.ClientSecret), o.Scope, o.Tenant, o.RateLimit, o.RateWindow)
}

// LogValue renders Options for slog without the client secret.
func (o Options) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("base_url", o.BaseURL),
		slog.String("client_id", o.ClientID),
		slog.String("client_secret", secretMask(o.ClientSecret)),
		slog.String("scope", o.Scope),
		slog.String("tenant", o.Tenant),
		slog.Int("rate_limit", o.RateLimit),
		slog.Duration("rate_window", o.RateWindow),
	)
}

func secretMask(s string) string {
	if s == "" {
		return `""`
	}
	return "[redacted]"
}
