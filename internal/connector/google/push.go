package google

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	reports "google.golang.org/api/admin/reports/v1"

	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// channelLife is how long a Reports channel is asked to live. Google documents no maximum for Reports channels
// (its other Workspace APIs default to hours and cap at days), so the asked expiry is kept short and the channels
// stream (channels.go) replaces each channel well before it; Google's answer, when it shortens it, is what the
// stream keeps.
const channelLife = 6 * time.Hour

// ChannelID is the id of the push channel of an application made at since to hookURL:
// "oss-<app>-<unix hour>h<URL tag>-<MAC>", the URL tag a hash of hookURL and the MAC keyed by the connector's
// webhook secret, so that a delivery's channel id is known without state (VerifyPush recomputes the MAC) and a
// channel made for another URL or secret is told apart (channelFor).
func ChannelID(hookURL, hookSecret, app string, since time.Time) string {
	period := strconv.FormatInt(since.Unix()/3600, 10) + "h" + urlTag(hookURL)
	return "oss-" + app + "-" + period + "-" + channelMAC(hookSecret, app, period)
}

func urlTag(hookURL string) string {
	sum := sha256.Sum256([]byte(hookURL))
	return hex.EncodeToString(sum[:4])
}

func channelMAC(secret, app, period string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("open-sspm google channel\x00" + app + "\x00" + period))
	return hex.EncodeToString(m.Sum(nil)[:12])
}

// channelParts splits a channel id made by ChannelID with secret into its application and period; ok is false for
// any other id.
func channelParts(id string, secret []byte) (app, period string, ok bool) {
	rest, found := strings.CutPrefix(id, "oss-")
	if !found {
		return "", "", false
	}
	parts := strings.Split(rest, "-")
	if len(parts) != 3 || !slices.Contains(Streams, parts[0]) {
		return "", "", false
	}
	want := channelMAC(string(secret), parts[0], parts[1])
	if subtle.ConstantTimeCompare([]byte(want), []byte(parts[2])) != 1 {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// knownChannel reports whether id is a channel id ChannelID made with secret.
func knownChannel(id string, secret []byte) bool {
	_, _, ok := channelParts(id, secret)
	return ok
}

// channelFor reports whether id is a channel id ChannelID made for hookURL with hookSecret.
func channelFor(id, hookURL, hookSecret string) bool {
	_, period, ok := channelParts(id, []byte(hookSecret))
	return ok && strings.HasSuffix(period, "h"+urlTag(hookURL))
}

// VerifyPush checks a Reports push notification: the channel token (X-Goog-Channel-Token) equals the webhook
// secret, compared in constant time, and the channel id is one Register made with it. The first message of a
// channel (X-Goog-Resource-State: sync) is answered and not queued; every other one must carry an activity.
func VerifyPush(r *http.Request, body, secret []byte) (connector.Verified, error) {
	token := r.Header.Get("X-Goog-Channel-Token")
	if len(secret) == 0 || subtle.ConstantTimeCompare([]byte(token), secret) != 1 || !knownChannel(r.Header.Get("X-Goog-Channel-ID"), secret) {
		return connector.Verified{}, sspm.Errorf(sspm.CodeUnauthorized, "google push: unknown channel or wrong channel token")
	}
	if r.Header.Get("X-Goog-Resource-State") == "sync" {
		return connector.Verified{Challenge: []byte{}}, nil
	}
	evs, err := ParsePush(body)
	if err != nil {
		return connector.Verified{}, err
	}
	if len(evs) == 0 {
		return connector.Verified{}, sspm.Errorf(sspm.CodeInvalid, "google push: the notification carries no event")
	}
	return connector.Verified{DeliveryID: r.Header.Get("X-Goog-Channel-ID") + "/" + r.Header.Get("X-Goog-Message-Number")}, nil
}

// ParsePush maps a notification's activity with the tail's mapping, so a pushed activity and the same tailed one
// have the same provider event id and are stored once.
func ParsePush(body []byte) ([]sspm.Event, error) {
	var a reports.Activity
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, sspm.Errorf(sspm.CodeInvalid, "google push: not an activity: %v", err)
	}
	if a.Id == nil || a.Id.ApplicationName == "" || a.Id.Time == "" {
		return nil, sspm.Errorf(sspm.CodeInvalid, "google push: an activity without id")
	}
	evs, err := mapActivity(&a)
	if err != nil {
		return nil, sspm.Errorf(sspm.CodeInvalid, "google push: %v", err)
	}
	for i := range evs {
		evs[i].Source = "push"
	}
	return evs, nil
}

// RegisterPush makes one Reports channel per tailed application (activities.watch) to hookURL with hookSecret as
// the channel token, living channelLife. Registering again within the same hour to the same URL with the same
// secret finds the channels live (Google answers "not unique") and keeps them. The tail's channels stream renews
// them before they expire when the application knows the hook (Options.Hook). It returns the channels' ids,
// comma-separated.
func (o Options) RegisterPush(ctx context.Context, c sspm.Connector, secret []byte, hookURL, hookSecret string) (string, error) {
	u, err := url.Parse(hookURL)
	if err != nil || u.Host == "" || !(u.Scheme == "https" || (u.Scheme == "http" && o.AllowLoopback && connector.IsLoopback(u.Hostname()))) {
		return "", sspm.Errorf(sspm.CodeInvalid, "google register push: the hook URL must be an absolute https URL")
	}
	if strings.TrimSpace(hookSecret) == "" {
		return "", sspm.Errorf(sspm.CodeInvalid, "google register push: the hook secret is empty")
	}
	src, err := o.NewSource(ctx, c, secret)
	if err != nil {
		return "", err
	}
	now := o.now()
	var ids []string
	for _, app := range Streams {
		st, err := src.watch(ctx, app, hookURL, hookSecret, now)
		if err != nil {
			return strings.Join(ids, ","), err
		}
		ids = append(ids, st.ID)
	}
	return strings.Join(ids, ","), nil
}
