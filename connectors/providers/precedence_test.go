package providers

import (
	"slices"
	"testing"

	"github.com/leadstream/leadstream/internal/lead"
)

// The merge's default precedence (internal/lead, which may not import
// this package) is the order of the source keys here (crm.md §1.1).
func TestKeysAreMergePrecedence(t *testing.T) {
	if got, want := lead.DefaultProviders(), Keys(); !slices.Equal(got, want) {
		t.Errorf("lead.DefaultProviders() = %v, want %v", got, want)
	}
}
