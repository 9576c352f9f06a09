package entra

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// graphPage is one page of a Graph collection.
type graphPage struct {
	Value []json.RawMessage `json:"value"`
	Next  string            `json:"@odata.nextLink"`
	Delta string            `json:"@odata.deltaLink"`
}

// object is the part of a directory object every listing reads.
type object struct {
	ID      string `json:"id"`
	Type    string `json:"@odata.type"`
	Removed *struct {
		Reason string `json:"reason"`
	} `json:"@removed"`
}

// readPage reads and decodes one page.
func (s *Source) readPage(ctx context.Context, op, link string) (graphPage, error) {
	b, err := s.c.get(ctx, op, link)
	if err != nil {
		return graphPage{}, err
	}
	var p graphPage
	if err := json.Unmarshal(b, &p); err != nil {
		return graphPage{}, &sspm.Error{Code: sspm.CodeUnavailable, Message: "entra " + op + ": the page is not a Graph collection", Err: err}
	}
	// Links are kept relative to the Graph base URL in cursors and watermarks, so a connector whose Graph
	// address changes (the demo's simulator restarts on another port) asks its new address, which refuses a
	// stale token as Graph does (the stage starts over) instead of calling the old one.
	p.Next, p.Delta = s.c.relative(p.Next), s.c.relative(p.Delta)
	return p, nil
}

// expired reports a page or delta token Graph no longer accepts (410, 400 syncStateNotFound, 400
// Directory_ExpiredPageToken): the listing or round starts over.
func expired(err error) bool { return sspm.ErrorCode(err) == sspm.CodeConflict }

// idOf reads an item's id; an item without one cannot be stored.
func idOf(op string, item json.RawMessage) (object, error) {
	var o object
	if err := json.Unmarshal(item, &o); err != nil || o.ID == "" {
		return o, &sspm.Error{Code: sspm.CodeUnavailable, Message: "entra " + op + ": an item without an id"}
	}
	return o, nil
}

// isForbidden reports a 403: the permission is missing or the tenant lacks the license.
func isForbidden(err error) bool {
	st, _ := statusOf(err)
	return st == 403
}

// nonPremium reports Graph's refusal of a P1 feature on a tenant without Entra ID P1.
func nonPremium(err error) bool {
	st, code := statusOf(err)
	return st == 403 && strings.Contains(code, "NonPremium")
}

// principal maps a directory object's type to an account or group external id.
func principal(typ, id string) (string, sspm.MemberKind, bool) {
	switch strings.TrimPrefix(strings.ToLower(typ), "#microsoft.graph.") {
	case "user":
		return id, sspm.MemberAccount, true
	case "group":
		return id, sspm.MemberGroup, true
	case "serviceprincipal":
		return spAccount(id), sspm.MemberAccount, true
	}
	return "", "", false
}

// spAccount is the account external id of a service principal (providers.md §1.1: prefixed).
func spAccount(id string) string { return "sp:" + id }

// roleResource is the resource external id of a directory role definition.
func roleResource(id string) string { return "role:" + id }

// skipKey names a listing in walk.Skip.
func skipKey(list, child int) string {
	if child < 0 {
		return fmt.Sprint(list)
	}
	return fmt.Sprintf("%d.%d", list, child)
}
