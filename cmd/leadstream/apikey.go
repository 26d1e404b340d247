package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/leadstream/leadstream/internal/apikey"
)

const apikeyHelp = `Creates, lists and revokes the REST API's keys. Each key has a name and one
role: viewer (every GET), operator (adds bulk sync and review decisions) or
admin (adds erasure). Only a digest of each key is stored, in
<data-dir>/api/keys.json, so a key is shown once: create prints it on its
last line. A running API picks up changes within a second.

Send a key as "X-API-Key: <key>" or "Authorization: Bearer <key>".

Examples:
  leadstream apikey create --data-dir /var/lib/leadstream --role operator --name "sales ops"
  leadstream apikey list --data-dir /var/lib/leadstream
  leadstream apikey revoke --data-dir /var/lib/leadstream 3f9a1c2b7d4e`

func apikeyCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	c := newFlags("apikey", "create --role R --name N | list | revoke ID [flags]", apikeyHelp, stderr)
	role := c.fs.String("role", apikey.RoleViewer, "role of a new key: viewer, operator or admin")
	name := c.fs.String("name", "", "name of a new key (who or what uses it)")
	var verb, id string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		verb, args = args[0], args[1:]
	}
	if verb == "revoke" && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	if err := c.parse(args); err != nil {
		return err
	}
	if verb == "revoke" && id == "" && c.fs.NArg() > 0 {
		id = c.fs.Arg(0)
	}
	store := apikey.Open(apikey.Path(c.dataDir))
	switch verb {
	case "create":
		if *name == "" {
			fmt.Fprintln(stderr, "leadstream apikey create: --name is required")
			return errUsage
		}
		key, e, err := store.Create(*name, *role)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created key %s (%s, role %s); it is shown only now:\n%s\n", e.ID, e.Name, e.Role, key)
		return nil
	case "list":
		entries, err := store.List()
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tROLE\tCREATED\tREVOKED")
		for _, e := range entries {
			revoked := "-"
			if e.RevokedAt != nil {
				revoked = e.RevokedAt.Format("2006-01-02 15:04")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.ID, e.Name, e.Role, e.CreatedAt.Format("2006-01-02 15:04"), revoked)
		}
		return tw.Flush()
	case "revoke":
		if id == "" {
			fmt.Fprintln(stderr, "leadstream apikey revoke: name the key id")
			return errUsage
		}
		e, err := store.Revoke(id)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked key %s (%s)\n", e.ID, e.Name)
		return nil
	}
	c.fs.Usage()
	return errUsage
}
