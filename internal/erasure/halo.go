package erasure

import (
	"context"
	"fmt"

	"github.com/leadstream/leadstream/connectors/halopsa"
)

// HaloClient anonymises Users through the HaloPSA API.
type HaloClient struct {
	Client *halopsa.Client
}

// AnonymiseTicketUser reads the ticket's User and empties it (crm.md §9.2
// erasure step 4).
func (h HaloClient) AnonymiseTicketUser(ctx context.Context, ticketID int) error {
	var t halopsa.Ticket
	if err := h.Client.Get(ctx, "Tickets", ticketID, &t); err != nil {
		return fmt.Errorf("read ticket %d: %w", ticketID, err)
	}
	if t.UserID == 0 {
		return nil
	}
	blank := map[string]any{"id": t.UserID, "name": "Erased contact", "firstname": "", "surname": "",
		"emailaddress": "", "phonenumber": "", "mobilenumber": "", "title": ""}
	if _, err := h.Client.UpsertRaw(ctx, "Users", []any{blank}); err != nil {
		return fmt.Errorf("empty user %d: %w", t.UserID, err)
	}
	return nil
}
