package api

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/open-sspm/open-sspm/internal/auth"
	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// HookStore is what the webhook endpoint reads.
type HookStore interface {
	Connector(ctx context.Context, id string) (sspm.Connector, error)
	WebhookSecret(ctx context.Context, id string) ([]byte, error)
}

// Hooks is the push endpoint /hooks/{kind}/{connector}: it verifies a delivery (the provider's authorization
// secret or signature, in constant time, and the body's shape) before anything is queued, caps the body size,
// and answers at once; the inbox lane processes the queued delivery later.
type Hooks struct {
	Store    HookStore
	Registry *connector.Registry
	// Open decrypts a connector's sealed webhook secret.
	Open  func(ctx context.Context, connectorID string, sealed []byte) ([]byte, error)
	Queue interface {
		Send(ctx context.Context, bodies ...[]byte) error
	}
	MaxBody int64 // default 1 MiB
	// Failures counts failed authentications per connector and client address (ClientAddr); once locked, a
	// caller is answered 429 before anything is checked. Default: DefaultHookFailures per 5 minutes.
	Failures *auth.Limiter
	Now      func() time.Time
	Logger   *slog.Logger

	mu      sync.Mutex
	secrets map[string]cachedSecret
}

// DefaultHookFailures is how many failed authentications one client address may have per connector within five
// minutes before it is refused for five minutes.
const DefaultHookFailures = 20

type cachedSecret struct {
	sealedSum [32]byte
	secret    []byte
	until     time.Time
}

// DefaultMaxBody caps a delivery's body.
const DefaultMaxBody = 1 << 20

// ServeHTTP handles GET (verification challenges) and POST (deliveries).
func (h *Hooks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	kindName, id := r.PathValue("kind"), r.PathValue("connector")
	client := ClientAddr(r.RemoteAddr)
	log := h.logger().With("kind", kindName, "connector", id)
	failures := h.failures()
	failKey := kindName + "/" + id + "|" + client
	if ok, wait := failures.Allow(failKey); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(max(int(wait.Seconds()+0.999), 1)))
		hookError(w, http.StatusTooManyRequests, "too many failed deliveries; try again later")
		return
	}
	// An unknown, disabled or push-less connector is answered as a failed authentication, so that connector ids
	// cannot be told apart from the outside.
	unauthorized := func(why string) {
		failures.Fail(failKey)
		log.Warn("hook: rejected an unauthenticated delivery", "remote", client, "why", why)
		hookError(w, http.StatusUnauthorized, "unauthorized")
	}
	c, err := h.Store.Connector(r.Context(), id)
	if err != nil && sspm.ErrorCode(err) != sspm.CodeNotFound {
		log.Error("hook: load connector", "err", err)
		hookError(w, http.StatusServiceUnavailable, "temporarily unavailable")
		return
	}
	if err != nil || !c.Enabled || string(c.Kind) != kindName {
		unauthorized("no enabled connector of this kind")
		return
	}
	kind, err := h.Registry.Lookup(c.Kind)
	if err != nil || kind.Push == nil {
		unauthorized("the connector takes no push deliveries")
		return
	}
	maxBody := h.MaxBody
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	var body []byte
	if r.Method == http.MethodPost {
		body, err = readBody(w, r, maxBody)
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				hookError(w, http.StatusRequestEntityTooLarge, "body too large")
				return
			}
			hookError(w, http.StatusBadRequest, "cannot read body")
			return
		}
	}
	secret, err := h.secret(r.Context(), c.ID)
	if err != nil {
		log.Error("hook: webhook secret", "err", err)
		unauthorized("no webhook secret")
		return
	}
	v, err := kind.Push.Verify(r, body, secret)
	if err != nil {
		switch sspm.ErrorCode(err) {
		case sspm.CodeUnauthorized:
			unauthorized("bad authorization")
		case sspm.CodeInvalid:
			var de *sspm.Error
			msg := "malformed delivery"
			if errors.As(err, &de) {
				msg = de.Message
			}
			hookError(w, http.StatusBadRequest, msg)
		default:
			log.Error("hook: verify", "err", err)
			hookError(w, http.StatusInternalServerError, "internal error")
		}
		return
	}
	if v.Challenge != nil {
		ct := v.ContentType
		if ct == "" {
			ct = "application/json"
		}
		w.Header().Set("Content-Type", ct)
		_, _ = w.Write(v.Challenge)
		return
	}
	if r.Method != http.MethodPost {
		hookError(w, http.StatusMethodNotAllowed, "POST deliveries here")
		return
	}
	if v.Body != nil {
		body = v.Body
	}
	msg, err := json.Marshal(sspm.Delivery{ConnectorID: c.ID, Kind: c.Kind, DeliveryID: v.DeliveryID, ReceivedAt: h.now(), Body: body})
	if err != nil {
		hookError(w, http.StatusInternalServerError, "internal error")
		return
	}
	if err := h.Queue.Send(r.Context(), msg); err != nil {
		log.Error("hook: queue", "err", err)
		hookError(w, http.StatusServiceUnavailable, "temporarily unavailable") // the provider retries
		return
	}
	w.WriteHeader(http.StatusOK)
}

func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	defer r.Body.Close()
	return io.ReadAll(r.Body)
}

// secret returns a connector's webhook secret, opened once per five minutes (a KMS call on AWS).
func (h *Hooks) secret(ctx context.Context, id string) ([]byte, error) {
	sealed, err := h.Store.WebhookSecret(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(sealed) == 0 {
		return nil, errors.New("the connector has no webhook secret")
	}
	sum := sha256.Sum256(sealed)
	h.mu.Lock()
	c, ok := h.secrets[id]
	h.mu.Unlock()
	if ok && c.sealedSum == sum && h.now().Before(c.until) {
		return c.secret, nil
	}
	plain, err := h.Open(ctx, id, sealed)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	if h.secrets == nil {
		h.secrets = map[string]cachedSecret{}
	}
	h.secrets[id] = cachedSecret{sealedSum: sum, secret: plain, until: h.now().Add(5 * time.Minute)}
	h.mu.Unlock()
	return plain, nil
}

// failures returns the failed-authentication limiter, the default one made on first use.
func (h *Hooks) failures() *auth.Limiter {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.Failures == nil {
		h.Failures = auth.NewLimiter(auth.LimiterOptions{Max: DefaultHookFailures, Window: 5 * time.Minute,
			Lockout: 5 * time.Minute, Now: h.Now})
	}
	return h.Failures
}

func (h *Hooks) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Hooks) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func hookError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
