package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// KeySource finds the public key a token names by its key id.
type KeySource interface {
	Key(ctx context.Context, kid string) (jose.JSONWebKey, error)
}

// DefaultSkew is the clock skew allowed on exp, nbf and iat.
const DefaultSkew = time.Minute

// Verifier checks access tokens: an RS256 signature by a key of Keys (named by the token's kid), the issuer,
// the audience, and the lifetime (exp required; nbf and iat honoured) with a small clock skew.
//
// The audience matches the "aud" claim, or, for tokens without one, the "client_id" claim: Cognito's access
// tokens name the app client there.
type Verifier struct {
	Issuer   string
	Audience string
	Keys     KeySource
	Skew     time.Duration // default DefaultSkew
	Now      func() time.Time
}

// claims are the claims Open-SSPM reads besides the registered ones.
type claims struct {
	ClientID        string   `json:"client_id,omitempty"`
	TokenUse        string   `json:"token_use,omitempty"`
	Email           string   `json:"email,omitempty"`
	Username        string   `json:"username,omitempty"`
	CognitoUsername string   `json:"cognito:username,omitempty"`
	Groups          []string `json:"cognito:groups,omitempty"`
	Role            string   `json:"role,omitempty"`
	// EmailVerified is a boolean in Cognito's ID tokens (some issuers send the string "true").
	EmailVerified any    `json:"email_verified,omitempty"`
	SessionID     string `json:"sid,omitempty"`
}

// emailVerified reports whether the token says its email is verified.
func (c claims) emailVerified() bool {
	switch v := c.EmailVerified.(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return false
}

// errInvalidToken is what every rejected token answers; the cause is wrapped for the log only.
func errInvalidToken(cause error) error {
	return &sspm.Error{Code: sspm.CodeUnauthorized, Message: "invalid or expired token", Err: cause}
}

// Verify checks a token (without the "Bearer " prefix) and returns its principal. Every failure is a
// sspm.CodeUnauthorized error with the same message.
func (v *Verifier) Verify(ctx context.Context, token string) (Principal, error) {
	if v.Issuer == "" || v.Audience == "" || v.Keys == nil {
		return Principal{}, errInvalidToken(errors.New("verifier: issuer, audience and keys are required"))
	}
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return Principal{}, errInvalidToken(fmt.Errorf("parse: %w", err))
	}
	if len(tok.Headers) != 1 || tok.Headers[0].KeyID == "" {
		return Principal{}, errInvalidToken(errors.New("the token names no key id"))
	}
	key, err := v.Keys.Key(ctx, tok.Headers[0].KeyID)
	if err != nil {
		return Principal{}, errInvalidToken(err)
	}
	if !key.Valid() || !key.IsPublic() || (key.Algorithm != "" && key.Algorithm != string(jose.RS256)) || (key.Use != "" && key.Use != "sig") {
		return Principal{}, errInvalidToken(fmt.Errorf("key %s is not an RS256 signing key", key.KeyID))
	}
	var std jwt.Claims
	var c claims
	if err := tok.Claims(key.Key, &std, &c); err != nil {
		return Principal{}, errInvalidToken(fmt.Errorf("signature: %w", err))
	}
	if std.Expiry == nil {
		return Principal{}, errInvalidToken(errors.New("the token has no expiry"))
	}
	skew := v.Skew
	if skew <= 0 {
		skew = DefaultSkew
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: v.Issuer, Time: v.now()}, skew); err != nil {
		return Principal{}, errInvalidToken(err)
	}
	if !std.Audience.Contains(v.Audience) && (len(std.Audience) > 0 || c.ClientID != v.Audience) {
		return Principal{}, errInvalidToken(jwt.ErrInvalidAudience)
	}
	if c.TokenUse != "" && c.TokenUse != "access" && c.TokenUse != "id" {
		return Principal{}, errInvalidToken(fmt.Errorf("token_use %q", c.TokenUse))
	}
	username := c.Username
	if username == "" {
		username = c.CognitoUsername
	}
	p := Principal{Subject: std.Subject, Username: username, Role: roleOf(c.Groups, c.Role), SessionID: c.SessionID}
	if c.emailVerified() { // a user may change an unverified email to anyone's
		p.Email = strings.ToLower(c.Email)
	}
	return p, nil
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// CognitoIssuer is the issuer of a Cognito user pool's tokens.
func CognitoIssuer(region, poolID string) string {
	return "https://cognito-idp." + region + ".amazonaws.com/" + poolID
}

// CognitoJWKSURL is where a Cognito user pool publishes its signing keys.
func CognitoJWKSURL(region, poolID string) string {
	return CognitoIssuer(region, poolID) + "/.well-known/jwks.json"
}
