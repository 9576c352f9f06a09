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

// Renewal of the Reports push channels (activities.watch), the full lane's last stage, StageChannels, present when
// Options.Hook tells the source the connector's hook URL and webhook secret:
//
//   - Google cannot extend a channel: a channel with less than renewWithin left is replaced by a new one for the
//     same application (the same address and token, a new id), and the old one is stopped (channels.stop) once the
//     new one is live, so no activity goes unpushed in between; a notification arriving on both is stored once
//     (the same provider event id).
//   - The stage's watermark keeps each application's channel: id, resource id and expiry. With no watermark (the
//     first run after RegisterPush) every application gets a new channel; a channel RegisterPush made in the same
//     hour has the same id, which Google refuses as not unique: it is kept, as expiring channelLife after the start
//     of that hour.
//   - A watch Google refuses fails the stage with a message saying when push stops, so it shows as the lane's
//     error on the health page; the run's earlier stages are stored and the failed run expires nothing. A channel
//     that expired before the stage ran is replaced too (the tail has the activities of the gap).

// StageChannels renews the Reports push channels.
const StageChannels = "channels"

// renewWithin: a channel with less than this left is replaced (half of channelLife), so a full lane that runs
// more often than every 3 hours keeps push without a gap.
const renewWithin = channelLife / 2

// channelState is one application's channel, as the stage's watermark keeps it.
type channelState struct {
	App        string    `json:"app"`
	ID         string    `json:"id"`
	ResourceID string    `json:"resourceId,omitempty"`
	Expires    time.Time `json:"expires"`
}

// channelsStep replaces the channels that expire within renewWithin; cursor is the previous watermark.
func (s *Source) channelsStep(ctx context.Context, cursor string) (sspm.StepResult, error) {
	hookURL, hookSecret, err := s.opts.Hook(ctx, s.conn)
	if sspm.ErrorCode(err) == sspm.CodeNotFound {
		return sspm.StepResult{}, nil // the connector takes no push deliveries
	}
	if err != nil {
		return sspm.StepResult{}, fmt.Errorf("google push channels: the hook: %w", err)
	}
	var before []channelState
	if err := decodeCursor(cursor, &before); err != nil {
		before = nil // an unreadable watermark only costs new channels now
	}
	now := s.opts.now().UTC()
	var kept []channelState
	var notes []string
	renewed := 0
	for _, app := range Streams {
		old, has := findChannel(before, app)
		if has && old.Expires.Sub(now) >= renewWithin {
			kept = append(kept, old)
			continue
		}
		nw, made, err := s.watch(ctx, app, hookURL, hookSecret, now)
		if err != nil {
			until := "its expiry"
			if has {
				until = old.Expires.Format(time.RFC3339)
			}
			return sspm.StepResult{}, fmt.Errorf("google push channels: push of %s activities stops at %s unless renewed: %w", app, until, err)
		}
		kept = append(kept, nw)
		if made {
			renewed++
		}
		switch {
		case has && !now.Before(old.Expires):
			notes = append(notes, fmt.Sprintf("the %s channel had expired at %s (the tail has the gap)", app, old.Expires.Format(time.RFC3339)))
		case has && old.ID != nw.ID:
			if err := s.stopChannel(ctx, old); err != nil {
				notes = append(notes, fmt.Sprintf("the old %s channel was not stopped (it expires at %s): %v", app, old.Expires.Format(time.RFC3339), err))
			}
		}
	}
	res := sspm.StepResult{Watermark: encodeCursor(kept)}
	if renewed > 0 {
		notes = append([]string{fmt.Sprintf("renewed %d push channels", renewed)}, notes...)
	}
	res.Message = strings.Join(notes, "; ")
	return res, nil
}

func findChannel(list []channelState, app string) (channelState, bool) {
	for _, c := range list {
		if c.App == app {
			return c, true
		}
	}
	return channelState{}, false
}

// watch makes app's channel for the period of now (made is true). A channel of that id already made
// (RegisterPush this hour) is kept, as expiring channelLife after the hour began.
func (s *Source) watch(ctx context.Context, app, hookURL, hookSecret string, now time.Time) (c channelState, made bool, err error) {
	id := ChannelID(hookSecret, app, now)
	ch := &reports.Channel{Id: id, Type: "web_hook", Address: hookURL, Token: hookSecret,
		Expiration: now.Add(channelLife).UnixMilli(), Payload: true}
	got, err := s.c.rep.Activities.Watch("all", app, ch).Context(ctx).Do()
	if err != nil {
		if notUnique(err) {
			return channelState{App: app, ID: id, Expires: now.Truncate(time.Hour).Add(channelLife)}, false, nil
		}
		return channelState{}, false, s.c.apiError(ctx, "watch "+app+" activities", err)
	}
	exp := now.Add(channelLife)
	if got.Expiration > 0 {
		exp = time.UnixMilli(got.Expiration).UTC()
	}
	return channelState{App: app, ID: got.Id, ResourceID: got.ResourceId, Expires: exp}, true, nil
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
