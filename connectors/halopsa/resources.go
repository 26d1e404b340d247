package halopsa

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Resource routes (names are case-insensitive on Halo's side).
const (
	ResClient        = "Client"
	ResSite          = "Site"
	ResUsers         = "Users"
	ResTickets       = "Tickets"
	ResOpportunities = "Opportunities"
	ResActions       = "Actions"
	ResCRMNote       = "CRMNote"
	ResTicketType    = "TicketType"
	ResStatus        = "Status"
	ResFieldInfo     = "FieldInfo"
	ResLookup        = "Lookup"
)

// ListKey returns the envelope key a resource's list rows live under
// (spec §3.1); "" means the resource answers with a bare array.
func ListKey(resource string) string {
	switch strings.ToLower(resource) {
	case "client":
		return "clients"
	case "site":
		return "sites"
	case "users":
		return "users"
	case "tickets", "opportunities":
		return "tickets"
	case "actions", "crmnote":
		return "actions"
	case "toplevel":
		return "tree"
	case "webhookevent":
		return "events"
	case "agent":
		return "results"
	}
	return ""
}

// CustomField is one element of an entity's customfields array. Write with
// ID (or Name) and Value; reads also carry Name, Label, Type and Display.
type CustomField struct {
	ID      int    `json:"id,omitempty"`
	Name    string `json:"name,omitempty"`
	Label   string `json:"label,omitempty"`
	Type    int    `json:"type,omitempty"`
	Value   any    `json:"value"`
	Display string `json:"display,omitempty"`
}

// Address is Halo's AddressStore.
type Address struct {
	Line1    string `json:"line1,omitempty"`
	Line2    string `json:"line2,omitempty"`
	Line3    string `json:"line3,omitempty"`
	Line4    string `json:"line4,omitempty"`
	Postcode string `json:"postcode,omitempty"`
}

// Area is a Halo Client (route /api/Client, SW schema Area). Every field is
// omitempty, so a struct literal creates; partial updates that must send a
// zero value (false, 0, "") should use a map with the id and changed keys.
type Area struct {
	ID                   int           `json:"id,omitempty"`
	Name                 string        `json:"name,omitempty"`
	ToplevelID           int           `json:"toplevel_id,omitempty"`
	Inactive             bool          `json:"inactive,omitempty"`
	Website              string        `json:"website,omitempty"`
	MainPhoneNumber      string        `json:"main_phonenumber,omitempty"`
	AccountsEmailAddress string        `json:"accountsemailaddress,omitempty"`
	Notes                string        `json:"notes,omitempty"`
	Ref                  string        `json:"ref,omitempty"`
	IsAccount            bool          `json:"is_account,omitempty"`
	MainSiteID           int           `json:"main_site_id,omitempty"`
	NewClientSiteName    string        `json:"newclient_sitename,omitempty"`
	CustomFields         []CustomField `json:"customfields,omitempty"`
}

// Site is a Halo Site (/api/Site).
type Site struct {
	ID              int           `json:"id,omitempty"`
	Name            string        `json:"name,omitempty"`
	ClientID        int           `json:"client_id,omitempty"`
	ClientName      string        `json:"client_name,omitempty"`
	Inactive        bool          `json:"inactive,omitempty"`
	PhoneNumber     string        `json:"phonenumber,omitempty"`
	DeliveryAddress *Address      `json:"delivery_address,omitempty"`
	CustomFields    []CustomField `json:"customfields,omitempty"`
}

// User is a Halo end user, i.e. a contact (/api/Users). Job title is Title;
// Users has no jobtitle field.
type User struct {
	ID           int           `json:"id,omitempty"`
	Name         string        `json:"name,omitempty"`
	FirstName    string        `json:"firstname,omitempty"`
	Surname      string        `json:"surname,omitempty"`
	EmailAddress string        `json:"emailaddress,omitempty"`
	PhoneNumber  string        `json:"phonenumber,omitempty"`
	MobileNumber string        `json:"mobilenumber,omitempty"`
	Title        string        `json:"title,omitempty"`
	ClientID     int           `json:"client_id,omitempty"`
	ClientName   string        `json:"client_name,omitempty"`
	SiteID       float64       `json:"site_id,omitempty"` // a double in Halo's schema
	SiteName     string        `json:"site_name,omitempty"`
	Inactive     bool          `json:"inactive,omitempty"`
	IsProspect   bool          `json:"is_prospect,omitempty"`
	Notes        string        `json:"notes,omitempty"`
	CustomFields []CustomField `json:"customfields,omitempty"`
}

// Ticket is a Halo ticket or opportunity (/api/Tickets, /api/Opportunities,
// SW schema Faults).
type Ticket struct {
	ID                       int           `json:"id,omitempty"`
	Summary                  string        `json:"summary,omitempty"`
	Details                  string        `json:"details,omitempty"`
	TicketTypeID             int           `json:"tickettype_id,omitempty"`
	StatusID                 int           `json:"status_id,omitempty"`
	PriorityID               int           `json:"priority_id,omitempty"`
	ClientID                 int           `json:"client_id,omitempty"`
	SiteID                   int           `json:"site_id,omitempty"`
	UserID                   int           `json:"user_id,omitempty"`
	AgentID                  int           `json:"agent_id,omitempty"`
	Category1                string        `json:"category_1,omitempty"`
	Category2                string        `json:"category_2,omitempty"`
	Category3                string        `json:"category_3,omitempty"`
	Category4                string        `json:"category_4,omitempty"`
	PipelineStageID          int           `json:"pipeline_stage_id,omitempty"`
	OppCompanyName           string        `json:"oppcompanyname,omitempty"`
	OppContactName           string        `json:"oppcontactname,omitempty"`
	OppEmailAddress          string        `json:"oppemailaddress,omitempty"`
	OppValue                 float64       `json:"oppvalue,omitempty"`
	OppConversionProbability float64       `json:"oppconversionprobability,omitempty"`
	TargetDate               string        `json:"targetdate,omitempty"`
	LastUpdate               string        `json:"last_update,omitempty"`
	CustomFields             []CustomField `json:"customfields,omitempty"`
}

// TicketType is a row of /api/TicketType.
type TicketType struct {
	ID       int    `json:"id"`
	Name     string `json:"name"`
	Use      string `json:"use,omitempty"`
	Sequence int    `json:"sequence,omitempty"`
}

// Status is a row of /api/Status.
type Status struct {
	ID        int    `json:"id"`
	Name      string `json:"name"`
	ShortName string `json:"shortname,omitempty"`
	Type      int    `json:"type,omitempty"`
}

// LookupValue is a dropdown option (FieldInfo values, /api/Lookup).
type LookupValue struct {
	ID       int    `json:"id"`
	LookupID int    `json:"lookupid,omitempty"`
	Name     string `json:"name"`
}

// FieldInfo is a custom-field definition from /api/FieldInfo.
type FieldInfo struct {
	ID        int           `json:"id"`
	Name      string        `json:"name"`
	Label     string        `json:"label"`
	Type      int           `json:"type"`
	InputType int           `json:"inputtype"`
	TypeID    int           `json:"typeid"`
	Usage     int           `json:"usage"`
	Values    []LookupValue `json:"values,omitempty"`
}

// FieldInfo typeid values (spec §4; the users value is inferred).
const (
	FieldTypeTickets = 1 // tickets and opportunities
	FieldTypeClients = 2
	FieldTypeSites   = 3
	FieldTypeAssets  = 5
)

// UpsertRaw POSTs items (a slice of objects) to /api/<resource> as JSON
// arrays of at most BatchSize elements, and returns the echoed objects in
// input order. Elements without id (or id 0) are created; elements with an
// id update only the keys they carry. Halo answers one object for a
// one-element array and an array otherwise; both are accepted.
func (c *Client) UpsertRaw(ctx context.Context, resource string, items []any) ([]json.RawMessage, error) {
	return c.upsertRaw(ctx, resource, items, false)
}

func (c *Client) upsertRaw(ctx context.Context, resource string, items []any, create bool) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, 0, len(items))
	for start := 0; start < len(items); start += c.opts.BatchSize {
		batch := items[start:min(start+c.opts.BatchSize, len(items))]
		raw, err := c.send(ctx, "POST", resource, nil, batch, create)
		if err != nil {
			return out, fmt.Errorf("halopsa: upsert %s batch at %d: %w", resource, start, err)
		}
		got, err := decodeObjectOrArray(raw)
		if err != nil {
			return out, fmt.Errorf("halopsa: upsert %s: %w", resource, err)
		}
		if len(got) != len(batch) {
			return out, fmt.Errorf("halopsa: upsert %s: sent %d elements, got %d back", resource, len(batch), len(got))
		}
		out = append(out, got...)
	}
	return out, nil
}

func decodeObjectOrArray(raw []byte) ([]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, errors.New("empty response body")
	}
	if raw[0] == '[' {
		var arr []json.RawMessage
		if err := json.Unmarshal(raw, &arr); err != nil {
			return nil, fmt.Errorf("decoding array response: %w", err)
		}
		return arr, nil
	}
	if raw[0] == '{' {
		return []json.RawMessage{json.RawMessage(raw)}, nil
	}
	return nil, fmt.Errorf("unexpected response body starting with %q", raw[:1])
}

// Upsert POSTs items to /api/<resource> and decodes the echoed objects as T.
func Upsert[T any](ctx context.Context, c *Client, resource string, items []T) ([]T, error) {
	in := make([]any, len(items))
	for i := range items {
		in[i] = items[i]
	}
	raws, err := c.UpsertRaw(ctx, resource, in)
	out := make([]T, 0, len(raws))
	for _, r := range raws {
		var v T
		if derr := json.Unmarshal(r, &v); derr != nil {
			return out, fmt.Errorf("halopsa: upsert %s: decoding echoed object: %w", resource, derr)
		}
		out = append(out, v)
	}
	return out, err
}

// UpsertClients creates or updates Halo Clients.
func (c *Client) UpsertClients(ctx context.Context, items ...Area) ([]Area, error) {
	return Upsert(ctx, c, ResClient, items)
}

// UpsertSites creates or updates Sites.
func (c *Client) UpsertSites(ctx context.Context, items ...Site) ([]Site, error) {
	return Upsert(ctx, c, ResSite, items)
}

// UpsertUsers creates or updates Users (contacts).
func (c *Client) UpsertUsers(ctx context.Context, items ...User) ([]User, error) {
	return Upsert(ctx, c, ResUsers, items)
}

// UpsertTickets creates or updates Tickets.
func (c *Client) UpsertTickets(ctx context.Context, items ...Ticket) ([]Ticket, error) {
	return Upsert(ctx, c, ResTickets, items)
}

// UpsertOpportunities creates or updates Opportunities.
func (c *Client) UpsertOpportunities(ctx context.Context, items ...Ticket) ([]Ticket, error) {
	return Upsert(ctx, c, ResOpportunities, items)
}

// Get reads GET /api/<resource>/<id> (the bare object, customfields
// included) into out. A missing id matches ErrNotFound.
func (c *Client) Get(ctx context.Context, resource string, id int, out any) error {
	if err := c.Do(ctx, "GET", resource+"/"+strconv.Itoa(id), nil, nil, out); err != nil {
		return fmt.Errorf("halopsa: get %s %d: %w", resource, id, err)
	}
	return nil
}

// Delete removes /api/<resource>/<id>.
func (c *Client) Delete(ctx context.Context, resource string, id int) error {
	if err := c.Do(ctx, "DELETE", resource+"/"+strconv.Itoa(id), nil, nil, nil); err != nil {
		return fmt.Errorf("halopsa: delete %s %d: %w", resource, id, err)
	}
	return nil
}

type pageEnvelope struct {
	PageNo      int  `json:"page_no"`
	PageSize    int  `json:"page_size"`
	RecordCount *int `json:"record_count"`
}

// List pages through GET /api/<resource> with pageinate=true, calling fn
// for every row, until page_no·page_size ≥ record_count or a short page
// (page_size is taken from the echo when the server caps it). Rows come
// from the resource's envelope key (ListKey); a bare-array answer is
// accepted and ends the listing. fn returning an error stops it.
func (c *Client) List(ctx context.Context, resource string, query url.Values, fn func(json.RawMessage) error) error {
	key := ListKey(resource)
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	size := c.opts.PageSize
	q.Set("pageinate", "true")
	q.Set("page_size", strconv.Itoa(size))
	for page := 1; ; page++ {
		q.Set("page_no", strconv.Itoa(page))
		raw, err := c.do(ctx, "GET", resource, q, nil)
		if err != nil {
			return fmt.Errorf("halopsa: list %s page %d: %w", resource, page, err)
		}
		rows, env, bare, err := decodeList(raw, key)
		if err != nil {
			return fmt.Errorf("halopsa: list %s page %d: %w", resource, page, err)
		}
		for _, r := range rows {
			if err := fn(r); err != nil {
				return err
			}
		}
		eff := size
		if env.PageSize > 0 {
			eff = env.PageSize
		}
		switch {
		case bare, len(rows) == 0, len(rows) < eff:
			return nil
		case env.RecordCount != nil && page*eff >= *env.RecordCount:
			return nil
		}
	}
}

func decodeList(raw []byte, key string) (rows []json.RawMessage, env pageEnvelope, bare bool, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		if err := json.Unmarshal(raw, &rows); err != nil {
			return nil, env, true, fmt.Errorf("decoding bare array: %w", err)
		}
		return rows, env, true, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, env, false, fmt.Errorf("decoding list envelope: %w", err)
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, env, false, fmt.Errorf("decoding list envelope: %w", err)
	}
	body, ok := obj[key]
	if !ok && key == "" {
		return nil, env, false, errors.New("list answer is an object but the resource has no known envelope key")
	}
	if ok && len(body) > 0 && string(body) != "null" {
		if err := json.Unmarshal(body, &rows); err != nil {
			return nil, env, false, fmt.Errorf("decoding %q rows: %w", key, err)
		}
	}
	return rows, env, false, nil
}

// ListAll pages through a resource and decodes every row as T.
func ListAll[T any](ctx context.Context, c *Client, resource string, query url.Values) ([]T, error) {
	var out []T
	err := c.List(ctx, resource, query, func(r json.RawMessage) error {
		var v T
		if err := json.Unmarshal(r, &v); err != nil {
			return fmt.Errorf("halopsa: list %s: decoding row: %w", resource, err)
		}
		out = append(out, v)
		return nil
	})
	return out, err
}

// FindUsersByEmail searches Users (optionally within a client) and returns
// those whose emailaddress equals email, case-insensitively.
func (c *Client) FindUsersByEmail(ctx context.Context, clientID int, email string) ([]User, error) {
	q := url.Values{"search": {email}}
	if clientID > 0 {
		q.Set("client_id", strconv.Itoa(clientID))
	}
	all, err := ListAll[User](ctx, c, ResUsers, q)
	if err != nil {
		return nil, err
	}
	var out []User
	for _, u := range all {
		if strings.EqualFold(strings.TrimSpace(u.EmailAddress), strings.TrimSpace(email)) {
			out = append(out, u)
		}
	}
	return out, nil
}

// TicketTypes lists /api/TicketType; domain "opps" limits it to
// opportunity types ("" for all).
func (c *Client) TicketTypes(ctx context.Context, domain string) ([]TicketType, error) {
	q := url.Values{}
	if domain != "" {
		q.Set("domain", domain)
	}
	return ListAll[TicketType](ctx, c, ResTicketType, q)
}

// Statuses lists /api/Status, optionally for one ticket type (0 = all).
func (c *Client) Statuses(ctx context.Context, ticketTypeID int) ([]Status, error) {
	q := url.Values{}
	if ticketTypeID > 0 {
		q.Set("tickettype_id", strconv.Itoa(ticketTypeID))
	}
	return ListAll[Status](ctx, c, ResStatus, q)
}

// FieldInfos returns the custom-field definitions for typeid (with their
// dropdown values). The answer is cached per typeid for the Client's
// lifetime; ForgetFieldInfo clears the cache.
func (c *Client) FieldInfos(ctx context.Context, typeID int) ([]FieldInfo, error) {
	c.fieldMu.Lock()
	defer c.fieldMu.Unlock()
	if fi, ok := c.fieldCache[typeID]; ok {
		return fi, nil
	}
	q := url.Values{"includevalues": {"true"}}
	if typeID > 0 {
		q.Set("typeid", strconv.Itoa(typeID))
	}
	fi, err := ListAll[FieldInfo](ctx, c, ResFieldInfo, q)
	if err != nil {
		return nil, fmt.Errorf("halopsa: field info typeid %d: %w", typeID, err)
	}
	c.fieldCache[typeID] = fi
	return fi, nil
}

// ForgetFieldInfo clears the FieldInfo cache.
func (c *Client) ForgetFieldInfo() {
	c.fieldMu.Lock()
	c.fieldCache = make(map[int][]FieldInfo)
	c.fieldMu.Unlock()
}

// ErrFieldNotFound is returned by FieldByName when no definition matches.
var ErrFieldNotFound = errors.New("halopsa: custom field not found")

// FieldByName resolves a custom field of typeid by name (case-insensitive,
// with or without the "CF" prefix), then by label (crm.md §5.1).
func (c *Client) FieldByName(ctx context.Context, typeID int, name string) (FieldInfo, error) {
	fis, err := c.FieldInfos(ctx, typeID)
	if err != nil {
		return FieldInfo{}, err
	}
	want := normFieldName(name)
	for _, f := range fis {
		if normFieldName(f.Name) == want {
			return f, nil
		}
	}
	for _, f := range fis {
		if strings.EqualFold(strings.TrimSpace(f.Label), strings.TrimSpace(name)) {
			return f, nil
		}
	}
	return FieldInfo{}, fmt.Errorf("%w: %q (typeid %d)", ErrFieldNotFound, name, typeID)
}

// FieldID is FieldByName returning only the id.
func (c *Client) FieldID(ctx context.Context, typeID int, name string) (int, error) {
	f, err := c.FieldByName(ctx, typeID, name)
	return f.ID, err
}

func normFieldName(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.TrimLeft(strings.TrimPrefix(s, "cf"), "_")
}
