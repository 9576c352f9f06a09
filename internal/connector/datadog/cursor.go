package datadog

import (
	"encoding/base64"
	"encoding/json"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Cursors are small JSON objects, base64url-encoded: everything a step needs to continue, so that a new Source
// (after a crash or at the time budget) resumes where the last committed page ended.

// pageCursor is the next page of a page-number listing (Datadog counts page[number] from 0).
type pageCursor struct {
	Page int `json:"p"`
}

// auditCursor is the tail's position: From is the start of the query being read (the high-water mark minus the
// overlap when it began), After Datadog's cursor of its next page ("" when the query was read to its end), and
// HighWater the newest event time read so far.
type auditCursor struct {
	From      string `json:"f,omitempty"`
	After     string `json:"a,omitempty"`
	HighWater string `json:"hw,omitempty"`
}

func encodeCursor(v any) string {
	b, err := json.Marshal(v)
	if err != nil { // the cursor types always encode
		panic("datadog: encode cursor: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor decodes a cursor made by encodeCursor; "" leaves v at its zero value.
func decodeCursor(s string, v any) error {
	if s == "" {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, v) != nil {
		return sspm.Errorf(sspm.CodeInvalid, "datadog: malformed cursor")
	}
	return nil
}
