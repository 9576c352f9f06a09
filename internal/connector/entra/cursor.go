package entra

import (
	"encoding/base64"
	"encoding/json"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Cursors are small JSON objects, base64url-encoded: everything a step needs to continue, so that a new Source
// (after a crash or at the time budget) resumes where the last committed page ended. Graph's links (nextLink,
// deltaLink) are kept verbatim; the parent page a stage is walking is re-read from its link when the Source that
// read it is gone.

// walk is the position in a stage's listings: the parent listing (List), the page being walked (Page, its link;
// "" for the first; Loaded once its items were emitted), the item whose child listings are read (Index), the
// child listing (Child) and that listing's next link (Link).
type walk struct {
	List   int    `json:"ls,omitempty"`
	Page   string `json:"p,omitempty"`
	Loaded bool   `json:"ld,omitempty"`
	Index  int    `json:"i,omitempty"`
	Child  int    `json:"c,omitempty"`
	Link   string `json:"cl,omitempty"`
	// Skip names the listings that answered 403 in this run ("0", "1.2": list, or list.child): not asked again.
	Skip []string `json:"sk,omitempty"`
	// NoSignIn: the tenant refused signInActivity (no Entra ID P1): users are read without it.
	NoSignIn bool `json:"ns,omitempty"`
	// Delta is the state of a users or groups stage that reads a delta round (delta.go).
	Delta *deltaState `json:"d,omitempty"`
	// Ends are the deltaLinks the listings of a delta round ended with, by listing (the apps stage).
	Ends []string `json:"e,omitempty"`
}

func encodeCursor(v any) string {
	b, err := json.Marshal(v)
	if err != nil { // the cursor types always encode
		panic("entra: encode cursor: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor decodes a cursor made by encodeCursor; "" leaves v at its zero value.
func decodeCursor(s string, v any) error {
	if s == "" {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return sspm.Errorf(sspm.CodeInvalid, "entra: malformed cursor")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return sspm.Errorf(sspm.CodeInvalid, "entra: malformed cursor")
	}
	return nil
}
