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
//     connector's hook) when less than renewWithin remains, and keeps their ids and expiry as its watermark. A
//     renewal Graph refuses, or a subscription of the watermark that Graph no longer has (it expired), fails the
//     stage with a message that says push has stopped, so it shows on the health page; the inventory of the run's
//     earlier stages is already stored.

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

// subscriptionsStep renews our subscriptions that expire within renewWithin; cursor is the previous watermark.
func (s *Source) subscriptionsStep(ctx context.Context, cursor string) (sspm.StepResult, error) {
	var before []subscriptionState
	if cursor != "" {
		if err := decodeCursor(cursor, &before); err != nil {
			before = nil // an unreadable watermark only loses the check for vanished subscriptions
		}
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
		if st.Expires.Sub(now) < renewWithin {
			if st, err = s.renew(ctx, g.ID, st.Resource); err != nil {
				return sspm.StepResult{}, fmt.Errorf("entra change notifications: push stops at %s unless renewed: %w",
					timeOr(g.ExpirationDateTime), err)
			}
			renewed++
		}
		kept = append(kept, st)
	}
	for _, b := range before {
		// A subscription of the watermark that Graph no longer has stops push for its resource, unless the hook
		// was registered again since and a new subscription of ours covers that resource.
		if !slices.ContainsFunc(kept, func(k subscriptionState) bool { return k.ID == b.ID || k.Resource == b.Resource }) {
			return sspm.StepResult{}, sspm.Errorf(sspm.CodeUnavailable,
				"entra change notifications: the %s subscription %s is gone (expired %s?): push has stopped; register the hook again",
				b.Resource, b.ID, b.Expires.Format(time.RFC3339))
		}
	}
	res := sspm.StepResult{Watermark: encodeCursor(kept)}
	if renewed > 0 {
		res.Message = fmt.Sprintf("renewed %d change-notification subscriptions until %s", renewed, kept[len(kept)-1].Expires.Format(time.RFC3339))
	}
	return res, nil
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
