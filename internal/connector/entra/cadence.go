package entra

import (
	"fmt"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// The OAuth grants and MFA stages have no delta in Graph (oauth2PermissionGrants and userRegistrationDetails
// are listings only). With delta on (full_resync_hours > 0) they are read whole at most once per slowEvery,
// not on every run: each leaves the time of its last complete read as its watermark, and a run before the next
// read is due skips the stage, says so, and marks what it feeds unavailable, so nothing expires. With
// full_resync_hours 0 they are read every run.
const slowEvery = 24 * time.Hour

// slowInterval is how often the grants and MFA stages are read.
func (s *Source) slowInterval() time.Duration { return min(s.fullResync, slowEvery) }

// slowWatermark is the watermark of a stage that finished a complete read now ("" when delta is off).
func (s *Source) slowWatermark() string {
	if s.fullResync <= 0 {
		return ""
	}
	return encodeCursor(walk{Delta: &deltaState{FullAt: s.opts.now().Unix()}})
}

// slowSkip decides, from a stage's first cursor, whether its read is not due yet: skip, with the message saying
// when it was last read. A cursor that is not a slowWatermark (a position within a read) is never skipped; rest
// is the cursor to continue from ("" to start a read).
func (s *Source) slowSkip(cursor, what string) (skip bool, msg, rest string) {
	var w walk
	if cursor == "" || decodeCursor(cursor, &w) != nil || w.Delta == nil || w.Delta.Mode != "" || w.Delta.FullAt == 0 {
		return false, "", cursor
	}
	last := time.Unix(w.Delta.FullAt, 0)
	if s.fullResync > 0 && s.opts.now().Sub(last) < s.slowInterval() {
		return true, fmt.Sprintf("%s not read this run: read every %s, last at %s", what, s.slowInterval(),
			last.UTC().Format(time.RFC3339)), ""
	}
	return false, "", ""
}

// isLink tells a Graph link cursor from an encoded one.
func (s *Source) isLink(cursor string) bool {
	return strings.HasPrefix(cursor, "/") || strings.HasPrefix(cursor, s.c.graph)
}

// oauthGrantCredentials is what a skipped grants stage does not sweep.
var oauthGrantCredentials = sspm.ScopedEntity(sspm.EntityCredentials, map[string]string{"kind": "oauth_grant"})
