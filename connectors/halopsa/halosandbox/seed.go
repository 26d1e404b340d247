package halosandbox

import (
	"encoding/json"
	"fmt"
	"io"
)

// Seed is the read-mostly tenant configuration. It can be loaded from a
// JSON fixture with LoadSeed.
type Seed struct {
	TicketTypes []TicketType `json:"ticket_types"`
	Statuses    []Status     `json:"statuses"`
	FieldInfo   []FieldInfo  `json:"field_info"`
	Lookups     []Lookup     `json:"lookups"`
	TopLevels   []TopLevel   `json:"top_levels"`
	// DefaultTicketTypeID and DefaultOpportunityTypeID apply when a create
	// omits tickettype_id; DefaultStatusID when it omits status_id.
	DefaultTicketTypeID      int `json:"default_ticket_type_id"`
	DefaultOpportunityTypeID int `json:"default_opportunity_type_id"`
	DefaultStatusID          int `json:"default_status_id"`
	DefaultTopLevelID        int `json:"default_top_level_id"`
}

// TicketType is a /api/TicketType row. Use is "reqs" or "opps".
type TicketType struct {
	ID       int    `json:"id"`
	Name     string `json:"name"`
	Use      string `json:"use"`
	Sequence int    `json:"sequence"`
}

// Status is a /api/Status row. Closed marks statuses that closed_only
// selects (not serialised). TicketTypeIDs limits the status to those types
// for the tickettype_id filter (empty = every type; not serialised).
type Status struct {
	ID            int    `json:"id"`
	Name          string `json:"name"`
	ShortName     string `json:"shortname"`
	Type          int    `json:"type"`
	Closed        bool   `json:"-"`
	TicketTypeIDs []int  `json:"-"`
}

// FieldInfo is a custom-field definition. TypeID: 1 tickets and
// opportunities, 2 clients, 3 sites, 4 users (inferred), 5 assets.
type FieldInfo struct {
	ID        int      `json:"id"`
	Name      string   `json:"name"`
	Label     string   `json:"label"`
	Type      int      `json:"type"`
	InputType int      `json:"inputtype"`
	TypeID    int      `json:"typeid"`
	Usage     int      `json:"usage"`
	Values    []Lookup `json:"values,omitempty"`
}

// Lookup is a dropdown option (/api/Lookup?lookupid=N, FieldInfo values).
type Lookup struct {
	ID       int    `json:"id"`
	LookupID int    `json:"lookupid"`
	Name     string `json:"name"`
}

// TopLevel is a /api/TopLevel row.
type TopLevel struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// FieldInfo typeids per entity.
const (
	typeTickets = 1
	typeClients = 2
	typeSites   = 3
	typeUsers   = 4 // not known from any source (spec §4); inferred
)

// LoadSeed decodes a JSON seed fixture.
func LoadSeed(r io.Reader) (Seed, error) {
	var s Seed
	if err := json.NewDecoder(r).Decode(&s); err != nil {
		return Seed{}, fmt.Errorf("halosandbox: decoding seed: %w", err)
	}
	return s, nil
}

// DefaultSeed returns a tenant configured for leadstream: lead, prospect
// and opportunity ticket types, every status of config/workflow.json
// (crm.md §7.1) under its ticket type, and the
// crm.md §5 custom fields CF_101–CF_113, CF_201–CF_207 and CF_301–CF_305
// at their default ids (typeid 1).
func DefaultSeed() Seed {
	s := Seed{
		TicketTypes: []TicketType{
			{ID: 1, Name: "Lead", Use: "reqs", Sequence: 1},
			{ID: 2, Name: "Prospect", Use: "reqs", Sequence: 2},
			{ID: 3, Name: "Incident", Use: "reqs", Sequence: 3},
			{ID: 32, Name: "Opportunity", Use: "opps", Sequence: 10},
		},
		Statuses: []Status{
			{ID: 1, Name: "New", ShortName: "New", Type: 1},
			{ID: 2, Name: "In Progress", ShortName: "InProg", Type: 1},
			{ID: 3, Name: "Contacted", ShortName: "Cont", Type: 1, TicketTypeIDs: []int{1}},
			{ID: 4, Name: "Engaged", ShortName: "Eng", Type: 1, TicketTypeIDs: []int{1}},
			{ID: 5, Name: "No Interest", ShortName: "NoInt", Type: 2, Closed: true, TicketTypeIDs: []int{1}},
			{ID: 6, Name: "Do Not Contact", ShortName: "DNC", Type: 2, Closed: true},
			{ID: 7, Name: "Invalid Data", ShortName: "Inv", Type: 2, Closed: true, TicketTypeIDs: []int{1}},
			{ID: 8, Name: "Converted to Prospect", ShortName: "Conv", Type: 2, Closed: true, TicketTypeIDs: []int{1}},
			{ID: 9, Name: "Closed", ShortName: "Closed", Type: 2, Closed: true},
			{ID: 10, Name: "Prospect - New", ShortName: "PNew", Type: 1, TicketTypeIDs: []int{2}},
			{ID: 11, Name: "Prospect - Prospecting", ShortName: "PProsp", Type: 1, TicketTypeIDs: []int{2}},
			{ID: 12, Name: "Prospect - Qualified", ShortName: "PQual", Type: 1, TicketTypeIDs: []int{2}},
			{ID: 13, Name: "Prospect - Disqualified", ShortName: "PDisq", Type: 2, Closed: true, TicketTypeIDs: []int{2}},
			{ID: 14, Name: "Prospect - Promoted", ShortName: "PProm", Type: 2, Closed: true, TicketTypeIDs: []int{2}},
			{ID: 20, Name: "Opportunity - Open", ShortName: "OOpen", Type: 1, TicketTypeIDs: []int{32}},
			{ID: 21, Name: "Opportunity - Proposal", ShortName: "OProp", Type: 1, TicketTypeIDs: []int{32}},
			{ID: 22, Name: "Opportunity - Negotiation", ShortName: "ONeg", Type: 1, TicketTypeIDs: []int{32}},
			{ID: 23, Name: "Opportunity - Won", ShortName: "OWon", Type: 2, Closed: true, TicketTypeIDs: []int{32}},
			{ID: 24, Name: "Opportunity - Lost", ShortName: "OLost", Type: 2, Closed: true, TicketTypeIDs: []int{32}},
		},
		TopLevels:                []TopLevel{{ID: 1, Name: "Customers"}},
		DefaultTicketTypeID:      1,
		DefaultOpportunityTypeID: 32,
		DefaultStatusID:          1,
		DefaultTopLevelID:        1,
	}
	dropdown := func(id, lookupID int, key, label string, opts ...string) FieldInfo {
		f := FieldInfo{ID: id, Name: key, Label: label, Type: 2, InputType: 2, TypeID: typeTickets, Usage: 1}
		for i, o := range opts {
			l := Lookup{ID: lookupID*100 + i + 1, LookupID: lookupID, Name: o}
			f.Values = append(f.Values, l)
			s.Lookups = append(s.Lookups, l)
		}
		return f
	}
	text := func(id int, key, label string) FieldInfo {
		return FieldInfo{ID: id, Name: key, Label: label, Type: 0, InputType: 1, TypeID: typeTickets, Usage: 1}
	}
	integer := func(id int, key, label string) FieldInfo {
		return FieldInfo{ID: id, Name: key, Label: label, Type: 1, InputType: 0, TypeID: typeTickets, Usage: 1}
	}
	boolean := func(id int, key, label string) FieldInfo {
		return FieldInfo{ID: id, Name: key, Label: label, Type: 4, InputType: 4, TypeID: typeTickets, Usage: 1}
	}
	s.FieldInfo = []FieldInfo{
		dropdown(101, 1001, "CF_101_lead_source", "Lead Source", "Apollo.io", "ZoomInfo", "Hunter.io", "UpLead", "Lusha", "Seamless.ai", "Lead411", "RocketReach", "BookYourData", "LeadsBlue", "Import"),
		text(102, "CF_102_services_offered", "Services Offered"),
		text(103, "CF_103_growth_signals", "Growth Signals"),
		text(104, "CF_104_project_pipelines", "Project Pipelines"),
		boolean(105, "CF_105_do_not_contact", "Do Not Contact"),
		text(106, "CF_106_technology_stack", "Technology Stack"),
		dropdown(107, 1007, "CF_107_revenue_range", "Revenue Range", "<$1M", "$1M-$5M", "$5M-$25M", "$25M-$100M", "$100M+"),
		dropdown(108, 1008, "CF_108_employee_count_range", "Employee Count Range", "1-10", "11-50", "51-200", "201-1000", "1001-5000", "5000+"),
		dropdown(109, 1009, "CF_109_management_level", "Management Level", "C-Suite", "VP", "SVP", "Director", "Manager", "Individual Contributor"),
		dropdown(110, 1010, "CF_110_department_function", "Department Function", "IT", "Finance", "Operations", "HR", "Marketing", "Sales", "Legal", "Procurement"),
		text(111, "CF_111_intent_signals", "Intent Signals"),
		integer(112, "CF_112_company_founded_year", "Company Founded Year"),
		text(113, "CF_113_location_hq", "Location HQ"),
		text(201, "CF_201_pain_points", "Pain Points"),
		text(202, "CF_202_qualified_services", "Qualified Services"),
		text(203, "CF_203_decision_maker", "Decision Maker"),
		dropdown(204, 1204, "CF_204_budget_range", "Budget Range", "<$10K", "$10K-$50K", "$50K-$100K", "$100K-$500K", "$500K+"),
		dropdown(205, 1205, "CF_205_timeframe", "Timeframe", "Immediate", "1-3 months", "3-6 months", "6-12 months", "12+ months"),
		integer(206, "CF_206_fit_score", "Fit Score"),
		text(207, "CF_207_promoted_from_lead", "Promoted From Lead"),
		text(301, "CF_301_products_services", "Products Services"),
		text(302, "CF_302_quotes_proposals", "Quotes Proposals"),
		text(303, "CF_303_competitors", "Competitors"),
		text(304, "CF_304_win_loss_reason", "Win Loss Reason"),
		text(305, "CF_305_promoted_from_prospect", "Promoted From Prospect"),
		{ID: 401, Name: "CFLeadstreamOrgID", Label: "leadstream org id", TypeID: typeClients, InputType: 1, Usage: 1},
		{ID: 451, Name: "CFLeadstreamSiteRef", Label: "leadstream site ref", TypeID: typeSites, InputType: 1, Usage: 1},
		{ID: 501, Name: "CFLeadstreamLeadID", Label: "leadstream lead id", TypeID: typeUsers, InputType: 1, Usage: 1},
	}
	return s
}
