package crm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/leadstream/leadstream/connectors/halopsa"
)

// Custom fields the stage reads and writes (crm.md §5; ids are the default
// numbers of the keys).
const (
	cfDoNotContact     = "CF_105"
	cfPainPoints       = "CF_201"
	cfQualifiedService = "CF_202"
	cfDecisionMaker    = "CF_203"
	cfBudget           = "CF_204"
	cfTimeframe        = "CF_205"
	cfFitScore         = "CF_206"
	cfPromotedFromLead = "CF_207"
	cfProducts         = "CF_301"
	cfPromotedFromPros = "CF_305"

	// fieldProbability tracks an opportunity's oppconversionprobability,
	// which the probability rule writes (§7.3) and a person may own (§7.5).
	fieldProbability = "oppconversionprobability"
)

// promoteFields are the fields whose change at qualified re-runs
// auto_promote (§8.1).
var promoteFields = []string{cfPainPoints, cfBudget, cfTimeframe, cfFitScore}

// cfKey is the "CF_nnn" key of a custom-field id.
func cfKey(id int) string { return "CF_" + strconv.Itoa(id) }

// cfID is the id of a "CF_nnn" key.
func cfID(key string) int {
	id, _ := strconv.Atoi(strings.TrimPrefix(key, "CF_"))
	return id
}

// flexInt decodes a JSON number or numeric string (Halo sends some ids as
// doubles).
type flexInt int

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("not a number: %s", b)
	}
	*f = flexInt(v)
	return nil
}

// ticket is the part of a HaloPSA ticket or opportunity (schema Faults)
// the stage reads.
type ticket struct {
	ID                       flexInt               `json:"id"`
	Summary                  string                `json:"summary"`
	Details                  string                `json:"details"`
	TicketTypeID             flexInt               `json:"tickettype_id"`
	StatusID                 flexInt               `json:"status_id"`
	ClientID                 flexInt               `json:"client_id"`
	ClientName               string                `json:"client_name"`
	SiteID                   flexInt               `json:"site_id"`
	UserID                   flexInt               `json:"user_id"`
	AgentID                  flexInt               `json:"agent_id"`
	OppConversionProbability *float64              `json:"oppconversionprobability"`
	LastUpdate               string                `json:"last_update"`
	CustomFields             []halopsa.CustomField `json:"customfields"`
}

// fields returns the custom fields as "CF_nnn" → text: the display value
// when Halo gives one (dropdowns store the option id as value), else the
// value.
func (t *ticket) fields() map[string]string {
	out := make(map[string]string, len(t.CustomFields)+1)
	for _, cf := range t.CustomFields {
		if cf.ID == 0 {
			continue
		}
		out[cfKey(cf.ID)] = cfText(cf)
	}
	if t.OppConversionProbability != nil {
		out[fieldProbability] = strconv.FormatFloat(*t.OppConversionProbability, 'f', -1, 64)
	}
	return out
}

func cfText(cf halopsa.CustomField) string {
	if d := strings.TrimSpace(cf.Display); d != "" {
		return d
	}
	switch v := cf.Value.(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	default:
		return strings.TrimSpace(fmt.Sprint(v))
	}
}

// updated is when Halo last changed the ticket (zero if unknown).
func (t *ticket) updated() time.Time { return parseHaloTime(t.LastUpdate) }

// parseHaloTime reads Halo's timestamps: ISO 8601 with 0–7 fractional
// digits, with or without a zone (none means UTC).
func parseHaloTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.9999999", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// delivery is one HaloPSA webhook envelope (halopsa.md §7.2).
type delivery struct {
	ID        string          `json:"id"`
	Event     string          `json:"event"`
	ObjectID  flexInt         `json:"object_id"`
	AgentID   flexInt         `json:"agent_id"`
	Timestamp string          `json:"timestamp"`
	Ticket    json.RawMessage `json:"ticket"`
}

// truthy reports whether a Halo boolean field value is true.
func truthy(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes":
		return true
	}
	return false
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func isNotFound(err error) bool { return errors.Is(err, halopsa.ErrNotFound) }
