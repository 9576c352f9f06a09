package aws

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Tail settings: LookupEvents answers 50 events a page, keeps 90 days, and may deliver an event up to about 15
// minutes after it happened, so each read goes back over that much before the high-water mark.
const (
	lookupPage     = 50
	tailOverlap    = 15 * time.Minute
	tailFirstRead  = 7 * 24 * time.Hour
	tailHistory    = 90*24*time.Hour - time.Hour
	tailReadPages  = 20 // pages per ReadStream; the cursor holds the rest of the window
	lookupsPerMin  = 120
	eventSourceKey = cttypes.LookupAttributeKeyEventSource
)

// streamSources maps the tail's streams to CloudTrail event sources.
var streamSources = map[string]string{
	StreamSSO:           "sso.amazonaws.com",
	StreamIdentityStore: "identitystore.amazonaws.com",
	StreamSignin:        "signin.amazonaws.com",
	StreamSSODirectory:  "sso-directory.amazonaws.com",
}

// Streams lists the tail's streams: one per event source, as LookupEvents takes one lookup attribute.
func (s *Source) Streams() []string {
	return []string{StreamSSO, StreamIdentityStore, StreamSignin, StreamSSODirectory}
}

// tailCursor is a stream's place: the committed high-water mark (the newest event time read, in seconds) with
// the ids of the events at that second, and the window being read, if one is unfinished.
type tailCursor struct {
	HighWater int64    `json:"hw,omitempty"`
	IDs       []string `json:"ids,omitempty"`
	// The window under way: [Start, End], the next page, the newest event time and its ids seen so far.
	Start  int64    `json:"s,omitempty"`
	End    int64    `json:"e,omitempty"`
	Token  string   `json:"t,omitempty"`
	Max    int64    `json:"m,omitempty"`
	MaxIDs []string `json:"mi,omitempty"`
}

// ReadStream reads the stream from its cursor: a window from the high-water mark less the overlap to now, newest
// first, up to tailReadPages pages; the rest of the window waits in the cursor (More). Events already read at the
// high-water second are skipped; the store de-duplicates the rest of the overlap by event id.
func (s *Source) ReadStream(ctx context.Context, stream, cursor string) (sspm.StreamPage, error) {
	src, ok := streamSources[stream]
	if !ok {
		return sspm.StreamPage{}, sspm.Errorf(sspm.CodeInvalid, "aws_identity_center: no stream %q", stream)
	}
	var cur tailCursor
	if cursor != "" {
		if err := json.Unmarshal([]byte(cursor), &cur); err != nil {
			return sspm.StreamPage{}, sspm.Errorf(sspm.CodeInvalid, "aws_identity_center: %s cursor is malformed", stream)
		}
	}
	now := s.opts.now()
	if cur.End == 0 { // a new window
		start := now.Add(-tailFirstRead)
		if cur.HighWater > 0 {
			start = time.Unix(cur.HighWater, 0).Add(-tailOverlap)
		}
		if oldest := now.Add(-tailHistory); start.Before(oldest) {
			start = oldest
		}
		cur.Start, cur.End, cur.Token, cur.Max, cur.MaxIDs = start.Unix(), now.Unix(), "", cur.HighWater, slices.Clone(cur.IDs)
	}
	page := sspm.StreamPage{BucketLimit: lookupsPerMin}
	seen := map[string]bool{}
	for _, id := range cur.IDs {
		seen[id] = true
	}
	for range tailReadPages {
		in := &cloudtrail.LookupEventsInput{
			LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: eventSourceKey, AttributeValue: sdkaws.String(src)}},
			StartTime:        sdkaws.Time(time.Unix(cur.Start, 0)), EndTime: sdkaws.Time(time.Unix(cur.End, 0)),
			MaxResults: sdkaws.Int32(lookupPage), NextToken: optToken(cur.Token),
		}
		out, err := do(ctx, s.c, s.c.lookup, "cloudtrail:LookupEvents", func(ctx context.Context) (*cloudtrail.LookupEventsOutput, error) {
			return s.c.ct.LookupEvents(ctx, in, s.c.ctOpt(ctx))
		})
		page.Requests++
		if isForbidden(err) {
			return sspm.StreamPage{}, sspm.StreamUnavailable("the credential may not call cloudtrail:LookupEvents", err)
		}
		if err != nil {
			return sspm.StreamPage{}, err
		}
		for _, e := range out.Events {
			id := sdkaws.ToString(e.EventId)
			if id == "" || e.EventTime == nil {
				continue
			}
			at := e.EventTime.Unix()
			if at == cur.HighWater && seen[id] {
				continue
			}
			switch {
			case at > cur.Max:
				cur.Max, cur.MaxIDs = at, []string{id}
			case at == cur.Max && !slices.Contains(cur.MaxIDs, id):
				cur.MaxIDs = append(cur.MaxIDs, id)
			}
			page.Events = append(page.Events, s.event(ctx, e))
		}
		next := sdkaws.ToString(out.NextToken)
		if next == "" || next == cur.Token {
			cur.Token = ""
			break
		}
		cur.Token = next
	}
	if cur.Token != "" { // the window goes on in the next read
		page.More = true
		page.HighWater = time.Unix(cur.HighWater, 0).UTC()
		page.Cursor = encodeCursor(cur)
		return page, nil
	}
	done := tailCursor{HighWater: cur.Max, IDs: cur.MaxIDs}
	if done.HighWater == 0 {
		done.HighWater = cur.HighWater
	}
	page.HighWater = time.Unix(done.HighWater, 0).UTC()
	page.Cursor = encodeCursor(done)
	return page, nil
}
