package halosandbox

import (
	"strings"
)

type kind int

const (
	kInt kind = iota
	kNum
	kStr
	kBool
	kAddr
	kDate
	kAny
)

// entity describes one writable resource.
type entity struct {
	name       string // canonical route name
	key        string // list envelope key
	table      string // storage table (Tickets and Opportunities share one)
	typeID     int    // FieldInfo typeid of its custom fields
	fields     map[string]kind
	createOnly map[string]bool // accepted on create, not stored
	listFields []string
	required   [][]string // each group: at least one of these keys
	search     []string
	scope      string // read:/edit: suffix
	events     [2]string
}

func fieldSet(kinds map[kind][]string) map[string]kind {
	m := map[string]kind{}
	for k, names := range kinds {
		for _, n := range names {
			m[n] = k
		}
	}
	return m
}

var ticketFields = map[kind][]string{
	kInt:  {"id", "tickettype_id", "status_id", "priority_id", "client_id", "site_id", "user_id", "agent_id", "pipeline_stage_id", "source"},
	kStr:  {"summary", "details", "details_html", "category_1", "category_2", "category_3", "category_4", "client_name", "site_name", "user_name", "team", "pipeline_stage_name"},
	kDate: {"dateoccurred", "last_update", "targetdate", "followupdate", "oppconverteddate"},
	kBool: {"deleted", "dont_do_rules", "_novalidate"},
}

func opportunityFields() map[kind][]string {
	m := map[kind][]string{}
	for k, v := range ticketFields {
		m[k] = append([]string(nil), v...)
	}
	m[kStr] = append(m[kStr], "oppcompanyname", "oppcontactname", "oppemailaddress", "opptel", "oppjobtitle",
		"oppcustomertitle", "oppaddr1", "oppaddr2", "oppaddr3", "oppaddr4", "opppostcode", "oppcountry", "oppregion")
	m[kNum] = append(m[kNum], "oppvalue", "oppconversionprobability", "oppvalueadjusted", "oppprofit")
	return m
}

// entities is immutable after package initialisation.
var entities = func() map[string]*entity {
	list := []*entity{
		{
			name: "Client", key: "clients", table: "client", typeID: typeClients,
			fields: fieldSet(map[kind][]string{
				kInt:  {"id", "toplevel_id", "customertype", "main_site_id", "isopportunity"},
				kStr:  {"name", "website", "main_phonenumber", "accountsemailaddress", "notes", "ref", "toplevel_name"},
				kBool: {"inactive", "is_vip", "is_account"},
				kDate: {"datecreated", "alastupdate"},
			}),
			createOnly: map[string]bool{"newclient_sitename": true, "newclient_phonenumber": true, "newclient_contactname": true,
				"newclient_contactemail": true, "newclient_delivery_address": true, "newclient_domain": true},
			listFields: []string{"id", "name", "toplevel_id", "toplevel_name", "inactive", "is_account", "website", "main_site_id", "alastupdate"},
			required:   [][]string{{"name"}},
			search:     []string{"name"},
			scope:      "customers",
			events:     [2]string{"new client created", "client updated"},
		},
		{
			name: "Site", key: "sites", table: "site", typeID: typeSites,
			fields: fieldSet(map[kind][]string{
				kInt:  {"id", "client_id", "maincontact_id"},
				kStr:  {"name", "client_name", "phonenumber"},
				kBool: {"inactive", "isinvoicesite"},
				kAddr: {"delivery_address", "invoice_address"},
				kDate: {"last_update"},
			}),
			listFields: []string{"id", "name", "client_id", "client_name", "inactive", "phonenumber"},
			required:   [][]string{{"client_id"}, {"name"}},
			search:     []string{"name"},
			scope:      "customers",
		},
		{
			name: "Users", key: "users", table: "users", typeID: typeUsers,
			fields: fieldSet(map[kind][]string{
				kInt:  {"id", "client_id", "opportunity_id", "site_id_int"},
				kNum:  {"site_id"},
				kStr:  {"name", "firstname", "surname", "emailaddress", "phonenumber", "mobilenumber", "phonenumber_preferred", "title", "client_name", "site_name", "notes"},
				kBool: {"inactive", "is_prospect", "isimportantcontact"},
				kDate: {"last_update"},
			}),
			listFields: []string{"id", "name", "firstname", "surname", "emailaddress", "phonenumber", "client_id", "client_name", "site_id", "site_name", "inactive", "is_prospect"},
			required:   [][]string{{"client_id"}, {"name", "firstname", "surname"}},
			search:     []string{"name", "emailaddress", "firstname", "surname"},
			scope:      "customers",
			events:     [2]string{"new user created", "user updated"},
		},
		{
			name: "Tickets", key: "tickets", table: "faults", typeID: typeTickets,
			fields:     fieldSet(ticketFields),
			listFields: []string{"id", "summary", "tickettype_id", "status_id", "priority_id", "client_id", "client_name", "site_id", "user_id", "agent_id", "dateoccurred", "last_update"},
			required:   [][]string{{"summary"}},
			search:     []string{"summary", "details"},
			scope:      "tickets",
			events:     [2]string{"new ticket logged", "ticket updated"},
		},
		{
			name: "Opportunities", key: "tickets", table: "faults", typeID: typeTickets,
			fields: fieldSet(opportunityFields()),
			listFields: []string{"id", "summary", "tickettype_id", "status_id", "client_id", "client_name", "user_id", "agent_id",
				"pipeline_stage_id", "oppcompanyname", "oppcontactname", "oppemailaddress", "oppvalue", "targetdate", "last_update"},
			required: [][]string{{"summary"}},
			search:   []string{"summary", "details"},
			scope:    "crm",
			events:   [2]string{"new ticket logged", "ticket updated"},
		},
		{
			name: "Actions", key: "actions", table: "actions",
			fields: fieldSet(map[kind][]string{
				kInt:  {"id", "ticket_id", "outcome_id", "new_status", "who_type"},
				kStr:  {"outcome", "note", "note_html", "emailto", "emailfrom", "who"},
				kBool: {"hiddenfromuser", "sendemail", "important"},
				kNum:  {"timetaken", "actionchargehours"},
				kDate: {"datetime"},
			}),
			listFields: []string{"id", "ticket_id", "outcome", "outcome_id", "note", "hiddenfromuser", "datetime", "who"},
			required:   [][]string{{"ticket_id"}, {"outcome", "outcome_id"}},
			scope:      "tickets",
			events:     [2]string{"action added", "action added"},
		},
		{
			name: "CRMNote", key: "actions", table: "crmnote",
			fields: fieldSet(map[kind][]string{
				kInt:  {"id", "client_id", "site_id", "user_id", "ticketid", "who_agentid"},
				kStr:  {"note", "detail"},
				kNum:  {"timetaken"},
				kDate: {"datetime", "nextcalldate"},
			}),
			listFields: []string{"id", "client_id", "user_id", "ticketid", "note", "datetime", "who_agentid"},
			required:   [][]string{{"note"}},
			search:     []string{"note"},
			scope:      "crm",
		},
	}
	m := map[string]*entity{}
	for _, e := range list {
		m[strings.ToLower(e.name)] = e
	}
	return m
}()

// readOnly resources answered from the seed or the server's logs.
var readOnly = map[string]string{
	"tickettype":   "TicketType",
	"status":       "Status",
	"fieldinfo":    "FieldInfo",
	"lookup":       "Lookup",
	"toplevel":     "TopLevel",
	"webhook":      "Webhook",
	"webhookevent": "WebhookEvent",
}

// scopeFor maps a resource to its scope suffix ("" = no scope needed beyond a token).
func scopeFor(res string) string {
	if e, ok := entities[res]; ok {
		return e.scope
	}
	switch res {
	case "tickettype", "status":
		return "tickets"
	}
	return ""
}
