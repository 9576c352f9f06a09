package google

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	reports "google.golang.org/api/admin/reports/v1"
	"google.golang.org/api/googleapi"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Renewal of the Reports push channels (activities.watch) runs as a tail stream, StreamChannels, present when
// Options.Hook tells the source the connector's hook URL and webhook secret (NewKind's Bind takes it from
// connector.Deps.Hooks). The tail lane reads every stream every minute by default, far more often than a channel
// lives (channelLife), whatever the full lane's schedule:
//
//   - A read with no hook registered (Hook answers sspm.CodeNotFound) is a no-op. Otherwise a read with nothing
//     due makes no API call: the stream's cursor keeps each application's channel (id, resource id, expiry).
//   - A channel is due when less than renewWithin is left, when it expired, when the cursor has none for its
//     application, or when its id was not made for the hook's current URL and secret (ChannelID binds both: a
//     hook registered again elsewhere, or a rotated secret, moves push at the next read).
//   - Google cannot extend a channel: a due channel is replaced by a new one for the same application, then the
//     old one is stopped (channels.stop), so no activity goes unpushed in between; a notification arriving on both
//     is stored once (the same provider event id). A stop that fails is not retried: the old channel expires on
//     its own within renewWithin.
//   - A channel id is made per hour of creation: RegisterPush's channels of this hour are found as Google's "not
//     unique" answer and adopted, expiring channelLife after the start of that hour.
//   - A watch Google refuses fails the read with a message saying when push of that application stops, so it
//     shows as the stream's last error on the health page; the other streams are read as before (each stream is
//     its own tail step). Channels renewed in the same read are kept first: the read ends with the new cursor and
//     More, and the next read, retrying only what is still due, reports the refusal.

// StreamChannels is the tail stream that renews the Reports push channels.
const StreamChannels = "channels"

// renewWithin: a channel with less than this left is replaced (half of channelLife), leaving hours of tail reads
// to retry a refused renewal before push stops.
const renewWithin = channelLife / 2

// channelState is one application's channel, as the stream's cursor keeps it.
type channelState struct {
	App        string    `json:"app"`
	ID         string    `json:"id"`
	ResourceID string    `json:"resourceId,omitempty"`
	Expires    time.Time `json:"expires"`
}

// channelsCursor is the channels stream's cursor.
type channelsCursor struct {
	Channels []channelState `json:"channels,omitempty"`
}

// readChannels replaces the channels that are due (see above); cursor is the stream's cursor.
func (s *Source) readChannels(ctx context.Context, cursor string) (sspm.StreamPage, error) {
	out := sspm.StreamPage{Cursor: cursor, BucketLimit: queriesPerMinute}
	hookURL, hookSecret, err := s.opts.Hook(ctx, s.conn)
	if sspm.ErrorCode(err) == sspm.CodeNotFound {
		return out, nil // the connector takes no push deliveries
	}
	if err != nil {
		return out, fmt.Errorf("google push channels: the hook: %w", err)
	}
	var cur channelsCursor
	if err := decodeCursor(cursor, &cur); err != nil {
		cur = channelsCursor{} // an unreadable cursor only costs new channels now
	}
	now := s.opts.now().UTC()
	var next channelsCursor
	var refused error
	renewed := 0
	for _, app := range Streams {
		old, has := findChannel(cur.Channels, app)
		if has && old.Expires.Sub(now) >= renewWithin && channelFor(old.ID, hookURL, hookSecret) {
			next.Channels = append(next.Channels, old)
			continue
		}
		nw, err := s.watch(ctx, app, hookURL, hookSecret, now)
		out.Requests++
		if err != nil {
			if refused == nil {
				until := "now (it has no live channel)"
				if has && now.Before(old.Expires) {
					until = old.Expires.Format(time.RFC3339)
				}
				refused = fmt.Errorf("google push channels: push of %s activities stops at %s unless renewed: %w", app, until, err)
			}
			if has {
				next.Channels = append(next.Channels, old) // still due: the next read tries again
			}
			continue
		}
		next.Channels = append(next.Channels, nw)
		renewed++
		if has && old.ID != nw.ID && now.Before(old.Expires) {
			out.Requests++
			_ = s.stopChannel(ctx, old) // best effort: it expires on its own
		}
	}
	if refused != nil && renewed == 0 {
		return out, refused
	}
	out.Cursor = encodeCursor(next)
	out.More = refused != nil // keep what was renewed; the next read reports the refusal
	return out, nil
}

func findChannel(list []channelState, app string) (channelState, bool) {
	for _, c := range list {
		if c.App == app {
			return c, true
		}
	}
	return channelState{}, false
}

// watch makes app's channel to hookURL for the hour of now. A channel of that id already made (RegisterPush this
// hour, to the same URL with the same secret) is adopted, as expiring channelLife after the hour began.
func (s *Source) watch(ctx context.Context, app, hookURL, hookSecret string, now time.Time) (channelState, error) {
	id := ChannelID(hookURL, hookSecret, app, now)
	ch := &reports.Channel{Id: id, Type: "web_hook", Address: hookURL, Token: hookSecret,
		Expiration: now.Add(channelLife).UnixMilli(), Payload: true}
	got, err := s.c.rep.Activities.Watch("all", app, ch).Context(ctx).Do()
	if err != nil {
		if notUnique(err) {
			return channelState{App: app, ID: id, Expires: now.Truncate(time.Hour).Add(channelLife)}, nil
		}
		return channelState{}, s.c.apiError(ctx, "watch "+app+" activities", err)
	}
	exp := now.Add(channelLife)
	if got.Expiration > 0 {
		exp = time.UnixMilli(got.Expiration).UTC()
	}
	return channelState{App: app, ID: got.Id, ResourceID: got.ResourceId, Expires: exp}, nil
}

// stopChannel stops a replaced channel; one Google no longer has (expired) is no error.
func (s *Source) stopChannel(ctx context.Context, c channelState) error {
	err := s.c.rep.Channels.Stop(&reports.Channel{Id: c.ID, ResourceId: c.ResourceID}).Context(ctx).Do()
	if err == nil || statusOf(err) == 404 {
		return nil
	}
	return s.c.apiError(ctx, "stop the "+c.App+" channel", err)
}

// notUnique reports Google's answer to a channel id already in use.
func notUnique(err error) bool {
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Code != 400 {
		return false
	}
	for _, it := range ge.Errors {
		if it.Reason == "channelIdNotUnique" {
			return true
		}
	}
	return strings.Contains(ge.Message, "not unique")
}
