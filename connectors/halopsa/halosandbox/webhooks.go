package halosandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// PayloadType selects what a webhook delivery embeds.
type PayloadType int

const (
	// PayloadSmall embeds the object's key fields and customfields.
	PayloadSmall PayloadType = iota
	// PayloadFull embeds the full object (customfields included).
	PayloadFull
	// PayloadEventOnly embeds no object.
	PayloadEventOnly
)

// Webhook is an outgoing webhook subscription.
type Webhook struct {
	// ID is a GUID; AddWebhook assigns one when empty.
	ID   string
	Name string
	// URL receives POSTs with Content-Type application/json.
	URL string
	// Username and Password, when set, are sent as HTTP Basic credentials.
	Username string
	Password string
	// Events lists the event names to send (case-insensitive); empty = all.
	Events      []string
	PayloadType PayloadType
	// Batch sends the envelopes of one write as a JSON array.
	Batch bool
}

// Delivery is one recorded webhook POST (also served by GET /api/WebhookEvent).
type Delivery struct {
	ID             string
	WebhookID      string
	NotificationID int
	Event          string
	Status         string // "Success" or "Failed"
	Timestamp      time.Time
	RequestBody    string
	RequestHeaders map[string]string
	ResponseStatus int
	ResponseBody   string
	Duration       time.Duration
	Error          string
}

func (d Delivery) json() map[string]any {
	return map[string]any{"id": d.ID, "webhook_id": d.WebhookID, "notification_id": d.NotificationID,
		"status": d.Status, "timestamp": d.Timestamp.UTC().Format(haloTime), "requestbody": d.RequestBody,
		"requestheaders": d.RequestHeaders, "responsebody": d.ResponseBody, "responsestatus": d.ResponseStatus,
		"duration": d.Duration.Milliseconds(), "error": d.Error}
}

// Default notification ids; only 3 (new ticket logged) is confirmed, and 41
// is the id seen with "ticket status changed" in a live capture.
var defaultNotificationIDs = map[string]int{
	"new ticket logged":     3,
	"ticket status changed": 41,
	"ticket updated":        4,
	"action added":          1004,
	"new client created":    21,
	"client updated":        22,
	"new user created":      23,
	"user updated":          24,
}

// AddWebhook registers a subscription and returns its id.
func (s *Server) AddWebhook(h Webhook) string {
	if h.ID == "" {
		h.ID = newGUID()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhooks = append(s.webhooks, &h)
	return h.ID
}

// Deliveries returns the recorded webhook deliveries.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.events...)
}

// FlushWebhooks waits until every pending delivery has finished, including
// deliveries that writes made during the wait start.
func (s *Server) FlushWebhooks(ctx context.Context) error {
	for {
		s.mu.Lock()
		n := s.pending
		s.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("halosandbox: flushing webhooks: %w", ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}

type event struct {
	name     string
	objectID int
	message  string
	objects  map[string]map[string]any // key → full object
	small    map[string]map[string]any // key → key fields + customfields
}

// eventsFor builds the events a write emits. Caller holds s.mu.
func (s *Server) eventsFor(e *entity, rec *record, created bool, prevStatus any) []event {
	if len(s.webhooks) == 0 || e.events[0] == "" {
		return nil
	}
	ev := event{objectID: rec.id, objects: map[string]map[string]any{}, small: map[string]map[string]any{}}
	add := func(key string, ent *entity, r *record) {
		ev.objects[key] = s.render(ent, r, true, nil)
		sm := s.render(ent, r, false, nil)
		if full, ok := ev.objects[key]["customfields"]; ok {
			sm["customfields"] = full
		}
		ev.small[key] = sm
	}
	switch e.name {
	case "Tickets", "Opportunities":
		switch {
		case created:
			ev.name = "new ticket logged"
			ev.message = fmt.Sprintf("A new Ticket has been logged: %07d.", rec.id)
		case prevStatus != nil && toFloat(prevStatus) != toFloat(rec.f["status_id"]):
			ev.name = "ticket status changed"
			ev.message = fmt.Sprintf("The status has been changed for Ticket ID: %07d.", rec.id)
		default:
			ev.name = "ticket updated"
			ev.message = fmt.Sprintf("Ticket ID: %07d has been updated.", rec.id)
		}
		add("ticket", e, rec)
	case "Actions":
		ev.name = "action added"
		ev.message = fmt.Sprintf("An action has been added to Ticket ID: %07d.", int(toFloat(rec.f["ticket_id"])))
		add("action", e, rec)
		if t := s.tables["faults"].rows[int(toFloat(rec.f["ticket_id"]))]; t != nil {
			te := entities["tickets"]
			if t.opp {
				te = entities["opportunities"]
			}
			add("ticket", te, t)
		}
	case "Client":
		ev.name = e.events[1]
		if created {
			ev.name = e.events[0]
		}
		ev.message = fmt.Sprintf("Client %d: %s.", rec.id, ev.name)
		add("client", e, rec)
	case "Users":
		ev.name = e.events[1]
		if created {
			ev.name = e.events[0]
		}
		ev.message = fmt.Sprintf("User %d: %s.", rec.id, ev.name)
		add("user", e, rec)
	default:
		return nil
	}
	return []event{ev}
}

func (s *Server) notificationID(name string) int {
	if id, ok := s.opts.NotificationIDs[name]; ok {
		return id
	}
	return defaultNotificationIDs[name]
}

func subscribed(h *Webhook, name string) bool {
	if len(h.Events) == 0 {
		return true
	}
	for _, e := range h.Events {
		if strings.EqualFold(strings.TrimSpace(e), name) {
			return true
		}
	}
	return false
}

type envelope struct {
	ID             string         `json:"id"`
	WebhookID      string         `json:"webhook_id"`
	NotificationID int            `json:"notification_id"`
	EscMsgID       string         `json:"escmsg_id"`
	Event          string         `json:"event"`
	Message        string         `json:"message"`
	ObjectID       int            `json:"object_id"`
	AgentID        int            `json:"agent_id"`
	Timestamp      string         `json:"timestamp"`
	Ticket         map[string]any `json:"ticket,omitempty"`
	Action         map[string]any `json:"action,omitempty"`
	Client         map[string]any `json:"client,omitempty"`
	User           map[string]any `json:"user,omitempty"`
}

// emit sends the events to every matching subscription, asynchronously.
func (s *Server) emit(evs []event) {
	if len(evs) == 0 {
		return
	}
	s.mu.Lock()
	hooks := append([]*Webhook(nil), s.webhooks...)
	s.mu.Unlock()
	for _, h := range hooks {
		var envs []envelope
		for _, ev := range evs {
			if !subscribed(h, ev.name) {
				continue
			}
			env := envelope{ID: newGUID(), WebhookID: h.ID, NotificationID: s.notificationID(ev.name), EscMsgID: newGUID(),
				Event: ev.name, Message: ev.message, ObjectID: ev.objectID, AgentID: s.opts.APIAgentID,
				Timestamp: time.Now().UTC().Format("2006-01-02T15:04:05.0000000Z")}
			objs := ev.small
			if h.PayloadType == PayloadFull {
				objs = ev.objects
			}
			if h.PayloadType != PayloadEventOnly {
				env.Ticket, env.Action, env.Client, env.User = objs["ticket"], objs["action"], objs["client"], objs["user"]
			}
			envs = append(envs, env)
		}
		if len(envs) == 0 {
			continue
		}
		var bodies [][]byte
		var metas []envelope
		if h.Batch {
			b, _ := json.Marshal(envs)
			bodies, metas = append(bodies, b), append(metas, envs[0])
		} else {
			for _, env := range envs {
				b, _ := json.Marshal(env)
				bodies, metas = append(bodies, b), append(metas, env)
			}
		}
		copies := 1
		if s.opts.DuplicateWebhooks {
			copies = 2
		}
		for i := range bodies {
			for range copies {
				s.mu.Lock()
				s.pending++
				s.mu.Unlock()
				go s.deliver(*h, bodies[i], metas[i])
			}
		}
	}
}

func (s *Server) deliver(h Webhook, body []byte, meta envelope) {
	defer func() {
		s.mu.Lock()
		s.pending--
		s.mu.Unlock()
	}()
	d := Delivery{ID: meta.ID, WebhookID: h.ID, NotificationID: meta.NotificationID, Event: meta.Event,
		Timestamp: time.Now(), RequestBody: string(body), RequestHeaders: map[string]string{"Content-Type": "application/json"}}
	start := time.Now()
	req, err := http.NewRequest(http.MethodPost, h.URL, bytes.NewReader(body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		if h.Username != "" || h.Password != "" {
			req.SetBasicAuth(h.Username, h.Password)
			d.RequestHeaders["Authorization"] = "Basic [redacted]"
		}
		var resp *http.Response
		resp, err = s.opts.WebhookClient.Do(req)
		if err == nil {
			rb, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			d.ResponseStatus, d.ResponseBody = resp.StatusCode, string(rb)
		}
	}
	d.Duration = time.Since(start)
	d.Status = "Success"
	if err != nil {
		d.Error, d.Status = err.Error(), "Failed"
	} else if d.ResponseStatus < 200 || d.ResponseStatus > 299 {
		d.Status = "Failed"
	}
	s.log.Debug("webhook delivered", "event", d.Event, "status", d.Status, "response_status", d.ResponseStatus)
	s.mu.Lock()
	s.events = append(s.events, d)
	s.mu.Unlock()
}
