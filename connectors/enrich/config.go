package enrich

import (
	"net/http"
	"strings"
)

// ClientConfig is what every provider client is built from.
type ClientConfig struct {
	// BaseURL is the provider's API root (its documented one when empty).
	BaseURL string
	// APIKey is the provider's key.
	APIKey string
	// HTTP is the client requests go through (instrumented by the caller).
	HTTP *http.Client
	// PerSecond paces requests below the provider's published limit
	// (0: the client's default).
	PerSecond float64
}

// Base returns the base URL without a trailing slash, def when unset.
func (c ClientConfig) Base(def string) string {
	if c.BaseURL == "" {
		return def
	}
	return strings.TrimRight(c.BaseURL, "/")
}

// Rate returns the pacing, def when unset.
func (c ClientConfig) Rate(def float64) float64 {
	if c.PerSecond > 0 {
		return c.PerSecond
	}
	return def
}
