package okta

import (
	"encoding/base64"
	"encoding/json"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Cursors are small JSON objects, base64url-encoded: everything a step needs to continue, so that a new Source
// (after a crash or at the time budget) resumes where the last committed page ended. Provider page tokens
// ("after") are kept verbatim; the page a stage is walking is re-read from its token when the Source that read it
// is gone.

// listCursor walks a parent listing (groups, apps, users) and, per item, child listings (members, assignments).
type listCursor struct {
	// List selects one of several listings of a stage (users: 0 = everyone but the deprovisioned,
	// 1 = the deprovisioned).
	List int `json:"l,omitempty"`
	// Page is the `after` token that reads the parent page being walked ("" for the first page); Loaded says
	// its items were emitted already.
	Page   string `json:"p,omitempty"`
	Loaded bool   `json:"ld,omitempty"`
	// Index and ID are the position of the item whose children are being read.
	Index int    `json:"i,omitempty"`
	ID    string `json:"id,omitempty"`
	// Phase is the child listing being read ("g" app groups, "u" app users); After its `after` token.
	Phase string `json:"ph,omitempty"`
	After string `json:"a,omitempty"`
	// Skip says the child listings answered 403: the rest of the parent listing is walked without them.
	Skip bool `json:"sk,omitempty"`
}

// factorCursor walks users for per-user factor reads within a request budget. The stage's watermark is a
// factorCursor with only Pos set: the next run starts there.
type factorCursor struct {
	Pos   listPos  `json:"pos"`
	Start *listPos `json:"start,omitempty"`
	// Used counts the factor requests this run made; Wrapped says the walk passed the end of the user list.
	Used    int  `json:"n,omitempty"`
	Wrapped bool `json:"w,omitempty"`
}

// listPos is a position in the users listing: the page token and the index on that page.
type listPos struct {
	Page  string `json:"p,omitempty"`
	Index int    `json:"i,omitempty"`
}

// logCursor is a System Log read: Since (the high-water mark minus the overlap) and, for bounded reads, Until;
// After is the page token within the read. A discovery watermark has only Until: the next run reads from it.
type logCursor struct {
	HighWater string `json:"hw,omitempty"`
	Since     string `json:"s,omitempty"`
	Until     string `json:"u,omitempty"`
	After     string `json:"a,omitempty"`
}

// datasetCursor is the next dataset to read.
type datasetCursor struct {
	Next int `json:"d"`
}

func encodeCursor(v any) string {
	b, err := json.Marshal(v)
	if err != nil { // the cursor types always encode
		panic("okta: encode cursor: " + err.Error())
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
		return sspm.Errorf(sspm.CodeInvalid, "okta: malformed cursor")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return sspm.Errorf(sspm.CodeInvalid, "okta: malformed cursor")
	}
	return nil
}
