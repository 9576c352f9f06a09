package entra

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Change-notification subscriptions (Graph /subscriptions) for users and groups:
//
//   - Subscribe (the kind's Push.Register) creates one subscription per resource, "users" and "groups",
//     changeType "updated,deleted", notificationUrl = SubscriptionURL(hookURL, hookSecret), clientState = the
//     webhook secret, expiring subscriptionLifetime ahead (Graph's maximum for directory resources is 41,760
//     minutes; we ask an hour less so that clock skew does not make Graph refuse it). Graph validates the URL
//     before it answers, through the receiver in hooks.go. A subscription of ours that already exists for the
//     same URL and resource is renewed instead of duplicated.
//   - The full lane's last stage, StageSubscriptions, renews ours (those whose notificationUrl is the
//     connector's hook) when less than renewWithin remains, and keeps their ids and expiry as its watermark.
//   - When the connector has a registered hook (Options.Hook, from connector.Deps.Hooks: what `open-sspm hooks
//     register` or the admin UI stored), a subscribed resource without a live subscription of ours (it expired,
//     Graph deleted it, or it was never created) gets one again, created as Subscribe creates it
//     (notificationUrl = SubscriptionURL(hookURL, webhook secret), clientState = the secret); so does one that
//     vanishes between the listing and its renewal (404).
//   - A renewal Graph refuses, a re-creation Graph refuses (the validation handshake failed, a permission is
//     missing), or, with no hook registered, a subscription of the watermark that Graph no longer has, fails the
//     stage with a message that says push has stopped, so it shows on the health page; the inventory of the
//     run's earlier stages is already stored. With no hook registered and no watermark the stage does nothing.

// StageSubscriptions renews the change-notification subscriptions.
const StageSubscriptions = "subscriptions"

const (
	maxSubscriptionLifetime = 41760 * time.Minute
	subscriptionLifetime    = maxSubscriptionLifetime - time.Hour
	// renewWithin: a full-lane run renews a subscription with less than this left (half its lifetime), so a
	// daily or even weekly schedule renews well before expiry.
	renewWithin = maxSubscriptionLifetime / 2
)

var subscribedResources = []string{"users", "groups"}

// subscriptionState is one subscription of ours, as the stage's watermark keeps it.
type subscriptionState struct {
	ID       string    `json:"id"`
	Resource string    `json:"resource"`
	Expires  time.Time `json:"expires"`
}

type graphSubscription struct {
	ID                 string `json:"id"`
	Resource           string `json:"resource"`
	NotificationURL    string `json:"notificationUrl"`
	ExpirationDateTime string `json:"expirationDateTime"`
}

// Subscribe creates (or renews) the users and groups subscriptions that deliver to hookURL and returns their
// ids ("users:<id> groups:<id>").
func (o Options) Subscribe(ctx context.Context, c sspm.Connector, secret []byte, hookURL, hookSecret string) (string, error) {
	if hookSecret == "" {
		return "", sspm.Errorf(sspm.CodeInvalid, "entra subscribe: no webhook secret")
	}
	s, err := o.NewSource(ctx, c, secret)
	if err != nil {
		return "", err
	}
	notifyURL := SubscriptionURL(hookURL, []byte(hookSecret))
	existing, err := s.listSubscriptions(ctx)
	if err != nil {
		return "", err
	}
	var ids []string
	for _, res := range subscribedResources {
		i := slices.IndexFunc(existing, func(g graphSubscription) bool {
			return g.NotificationURL == notifyURL && strings.EqualFold(g.Resource, res)
		})
		var st subscriptionState
		if i >= 0 {
			st, err = s.renew(ctx, existing[i].ID, res)
		} else {
			st, err = s.create(ctx, res, notifyURL, hookSecret)
		}
		if err != nil {
			return "", err
		}
		ids = append(ids, res+":"+st.ID)
	}
	return strings.Join(ids, " "), nil
}

func (s *Source) create(ctx context.Context, resource, notifyURL, clientState string) (subscriptionState, error) {
	exp := s.opts.now().UTC().Add(subscriptionLifetime)
	b, err := s.c.send(ctx, "create "+resource+" subscription", abs.POST, "/subscriptions", map[string]string{
		"changeType": "updated,deleted", "notificationUrl": notifyURL, "resource": resource,
		"expirationDateTime": exp.Format(time.RFC3339), "clientState": clientState,
	})
	if err != nil {
		return subscriptionState{}, err
	}
	return subscriptionOf(b, resource)
}

func (s *Source) renew(ctx context.Context, id, resource string) (subscriptionState, error) {
	exp := s.opts.now().UTC().Add(subscriptionLifetime)
	b, err := s.c.send(ctx, "renew "+resource+" subscription", abs.PATCH, "/subscriptions/"+url.PathEscape(id),
		map[string]string{"expirationDateTime": exp.Format(time.RFC3339)})
	if err != nil {
		return subscriptionState{}, err
	}
	return subscriptionOf(b, resource)
}

func subscriptionOf(b []byte, resource string) (subscriptionState, error) {
	var g graphSubscription
	if err := json.Unmarshal(b, &g); err != nil || g.ID == "" {
		return subscriptionState{}, sspm.Errorf(sspm.CodeUnavailable, "entra %s subscription: malformed answer", resource)
	}
	exp, err := time.Parse(time.RFC3339Nano, g.ExpirationDateTime)
	if err != nil {
		return subscriptionState{}, sspm.Errorf(sspm.CodeUnavailable, "entra %s subscription %s: malformed expirationDateTime", resource, g.ID)
	}
	return subscriptionState{ID: g.ID, Resource: resource, Expires: exp.UTC()}, nil
}

// listSubscriptions reads the app's subscriptions (Graph answers them in one page, following nextLink anyway).
func (s *Source) listSubscriptions(ctx context.Context) ([]graphSubscription, error) {
	var out []graphSubscription
	link := "/subscriptions"
	for link != "" {
		b, err := s.c.get(ctx, "list subscriptions", link)
		if err != nil {
			return nil, err
		}
		var page struct {
			Value    []graphSubscription `json:"value"`
			NextLink string              `json:"@odata.nextLink"`
		}
		if err := json.Unmarshal(b, &page); err != nil {
			return nil, sspm.Errorf(sspm.CodeUnavailable, "entra list subscriptions: malformed answer")
		}
		out = append(out, page.Value...)
		link = s.c.relative(page.NextLink)
	}
	return out, nil
}

// ours says whether a notification URL is this connector's hook (/hooks/entra/{connector}).
func (s *Source) ours(notifyURL string) bool {
	u, err := url.Parse(notifyURL)
	return err == nil && strings.HasSuffix(u.Path, "/hooks/entra/"+s.connector) && u.Query().Get("s") != ""
}

// subscriptionsStep renews our subscriptions that expire within renewWithin and, when a hook is registered,
// re-creates those that expired or vanished; cursor is the previous watermark.
func (s *Source) subscriptionsStep(ctx context.Context, cursor string) (sspm.StepResult, error) {
	var before []subscriptionState
	if cursor != "" {
		if err := decodeCursor(cursor, &before); err != nil {
			before = nil // an unreadable watermark only loses the check for vanished subscriptions
		}
	}
	hookURL, hookSecret, hooked, err := s.registeredHook(ctx)
	if err != nil {
		return sspm.StepResult{}, err
	}
	all, err := s.listSubscriptions(ctx)
	if err != nil {
		return sspm.StepResult{}, fmt.Errorf("entra change notifications: %w", err)
	}
	now := s.opts.now().UTC()
	var kept []subscriptionState
	renewed := 0
	for _, g := range all {
		if !s.ours(g.NotificationURL) {
			continue
		}
		st, err := subscriptionOf(mustJSON(g), strings.ToLower(g.Resource))
		if err != nil {
			return sspm.StepResult{}, err
		}
		if !st.Expires.After(now) {
			continue // expired: Graph no longer delivers to it, and deletes it
		}
		if st.Expires.Sub(now) < renewWithin {
			next, err := s.renew(ctx, g.ID, st.Resource)
			if err != nil && hooked && sspm.ErrorCode(err) == sspm.CodeNotFound {
				continue // it vanished meanwhile: re-created below
			}
			if err != nil {
				return sspm.StepResult{}, fmt.Errorf("entra change notifications: push stops at %s unless renewed: %w",
					timeOr(g.ExpirationDateTime), err)
			}
			st = next
			renewed++
		}
		kept = append(kept, st)
	}
	// A resource without a live subscription of ours: with a hook registered, every subscribed resource must have
	// one (it expired, vanished, or was never created); without one, only the watermark's resources are known to
	// have had push, and losing one is reported. A subscription of ours for the resource may have replaced the
	// watermark's (the hook was registered again, as demo mode does on each start).
	covered := func(res string) bool {
		return slices.ContainsFunc(kept, func(k subscriptionState) bool { return k.Resource == res })
	}
	var created []string
	for _, res := range subscribedResources {
		if covered(res) {
			continue
		}
		i := slices.IndexFunc(before, func(b subscriptionState) bool { return b.Resource == res })
		if !hooked {
			if i < 0 {
				continue
			}
			b := before[i]
			return sspm.StepResult{}, sspm.Errorf(sspm.CodeUnavailable,
				"entra change notifications: the %s subscription %s is gone (expired %s?) and no hook is registered to re-create it: push has stopped; register the hook again",
				b.Resource, b.ID, b.Expires.Format(time.RFC3339))
		}
		st, err := s.create(ctx, res, SubscriptionURL(hookURL, []byte(hookSecret)), hookSecret)
		if err != nil {
			gone := "there was none"
			if i >= 0 {
				gone = fmt.Sprintf("subscription %s is gone (expired %s?)", before[i].ID, before[i].Expires.Format(time.RFC3339))
			}
			return sspm.StepResult{}, fmt.Errorf("entra change notifications: push has stopped for %s (%s) and re-creating its subscription failed: %w",
				res, gone, err)
		}
		kept = append(kept, st)
		created = append(created, res)
	}
	res := sspm.StepResult{Watermark: encodeCursor(kept)}
	var notes []string
	if len(created) > 0 {
		notes = append(notes, fmt.Sprintf("created change-notification subscriptions for %s (the registered hook had none live)",
			strings.Join(created, " and ")))
	}
	if renewed > 0 {
		notes = append(notes, fmt.Sprintf("renewed %d change-notification subscriptions until %s", renewed, kept[len(kept)-1].Expires.Format(time.RFC3339)))
	}
	res.Message = strings.Join(notes, "; ")
	return res, nil
}

// registeredHook returns the connector's registered push hook; hooked is false when Options.Hook is unset or
// answers that none is registered.
func (s *Source) registeredHook(ctx context.Context) (hookURL, hookSecret string, hooked bool, err error) {
	if s.opts.Hook == nil {
		return "", "", false, nil
	}
	hookURL, hookSecret, err = s.opts.Hook(ctx, s.conn)
	switch {
	case sspm.ErrorCode(err) == sspm.CodeNotFound:
		return "", "", false, nil
	case err != nil:
		return "", "", false, fmt.Errorf("entra change notifications: reading the registered hook: %w", err)
	case hookURL == "" || hookSecret == "":
		return "", "", false, sspm.Errorf(sspm.CodeInvalid, "entra change notifications: the registered hook has no URL or no webhook secret")
	}
	return hookURL, hookSecret, true, nil
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func timeOr(s string) string {
	if s == "" {
		return "expiry"
	}
	return s
}
