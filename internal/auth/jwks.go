package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// StaticKeys is an in-process key set (the local issuer's).
type StaticKeys jose.JSONWebKeySet

// Key returns the key with the id kid.
func (s StaticKeys) Key(_ context.Context, kid string) (jose.JSONWebKey, error) {
	for _, k := range s.Keys {
		if k.KeyID == kid {
			return k, nil
		}
	}
	return jose.JSONWebKey{}, fmt.Errorf("unknown key id %q", kid)
}

// RemoteKeys is a JSON Web Key Set fetched from a URL (a Cognito user pool's jwks.json) and cached. An unknown
// key id refetches the set, at most once per MinRefresh, so a flood of forged key ids cannot hammer the issuer;
// a set older than TTL is refetched on the next lookup, and kept when that fails.
type RemoteKeys struct {
	url        string
	client     *http.Client
	ttl        time.Duration
	minRefresh time.Duration
	now        func() time.Time

	mu      sync.Mutex
	keys    map[string]jose.JSONWebKey
	fetched time.Time
	tried   time.Time
}

// RemoteKeysOptions tune RemoteKeys; zero values take the defaults.
type RemoteKeysOptions struct {
	Client     *http.Client     // default: a client with a 10 s timeout
	TTL        time.Duration    // default 1 h
	MinRefresh time.Duration    // default 30 s
	Now        func() time.Time // default time.Now
}

// NewRemoteKeys returns the key set published at url.
func NewRemoteKeys(url string, o RemoteKeysOptions) *RemoteKeys {
	r := &RemoteKeys{url: url, client: o.Client, ttl: o.TTL, minRefresh: o.MinRefresh, now: o.Now}
	if r.client == nil {
		r.client = &http.Client{Timeout: 10 * time.Second}
	}
	if r.ttl <= 0 {
		r.ttl = time.Hour
	}
	if r.minRefresh <= 0 {
		r.minRefresh = 30 * time.Second
	}
	if r.now == nil {
		r.now = time.Now
	}
	return r
}

// Key returns the key with the id kid, fetching the set when it is unknown or old.
func (r *RemoteKeys) Key(ctx context.Context, kid string) (jose.JSONWebKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	k, ok := r.keys[kid]
	stale := now.Sub(r.fetched) > r.ttl
	if (!ok || stale) && now.Sub(r.tried) >= r.minRefresh {
		r.tried = now
		keys, err := r.fetch(ctx)
		if err != nil && !ok {
			return jose.JSONWebKey{}, err
		}
		if err == nil {
			r.keys, r.fetched = keys, now
			k, ok = keys[kid]
		}
	}
	if !ok {
		return jose.JSONWebKey{}, fmt.Errorf("unknown key id %q", kid)
	}
	return k, nil
}

func (r *RemoteKeys) fetch(ctx context.Context) (map[string]jose.JSONWebKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	res, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jwks: fetch: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks: fetch: status %d", res.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("jwks: read: %w", err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("jwks: decode: %w", err)
	}
	keys := make(map[string]jose.JSONWebKey, len(set.Keys))
	for _, k := range set.Keys {
		if k.KeyID != "" && k.IsPublic() {
			keys[k.KeyID] = k
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("jwks: the set holds no public keys with ids")
	}
	return keys, nil
}
