package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/open-sspm/open-sspm/internal/auth"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// LoginInput is a local sign-in.
type LoginInput struct {
	Email    string `json:"email" format:"email" maxLength:"320"`
	Password string `json:"password" minLength:"1" maxLength:"1024" writeOnly:"true"`
}

// RefreshInput trades a refresh token for new tokens.
type RefreshInput struct {
	RefreshToken string `json:"refresh_token" minLength:"1" maxLength:"200" writeOnly:"true"`
}

// Session is an issued access token, the refresh token that gets the next one, and who they are for.
type Session struct {
	AccessToken  string    `json:"access_token"`
	TokenType    string    `json:"token_type" enum:"Bearer"`
	ExpiresIn    int64     `json:"expires_in" doc:"Seconds."`
	ExpiresAt    time.Time `json:"expires_at"`
	RefreshToken string    `json:"refresh_token" doc:"Trade it at POST /auth/refresh before expires_at for new tokens; each refresh token works once."`
	Email        string    `json:"email"`
	Role         string    `json:"role" enum:"admin,viewer"`
}

// Me is the caller.
type Me struct {
	Subject string `json:"subject"`
	Email   string `json:"email,omitempty"`
	Actor   string `json:"actor" doc:"How the audit log names the caller."`
	Role    string `json:"role" enum:"admin,viewer"`
}

func (a *Admin) registerSession(api huma.API) {
	tags := []string{"session"}
	operation(a, api, huma.Operation{OperationID: "login", Method: http.MethodPost, Path: "/auth/login",
		Summary: "Sign in with email and password (local runtime only)",
		Description: "Answers 404 where users sign in through an identity provider (Cognito). Repeated attempts for " +
			"one email, or from one client address, are refused with 429 for a while.",
		Tags: tags, Metadata: map[string]any{metaPublic: true}, Errors: []int{401, 404, 422, 429, 503}}, a.login)
	operation(a, api, huma.Operation{OperationID: "refreshSession", Method: http.MethodPost, Path: "/auth/refresh",
		Summary: "Trade a refresh token for new tokens (local runtime only)",
		Description: "The refresh token presented is used up: the answer carries the next one. A refresh token " +
			"presented twice ends its session.",
		Tags: tags, Metadata: map[string]any{metaPublic: true}, Errors: []int{401, 404, 422}}, a.refresh)
	operation(a, api, huma.Operation{OperationID: "logout", Method: http.MethodPost, Path: "/auth/logout",
		Summary: "Sign out: end the token's session", DefaultStatus: http.StatusNoContent,
		Description: "Ends a local session at once (its access and refresh tokens stop working). Tokens of an " +
			"identity provider are signed out there.",
		Tags: tags, Metadata: map[string]any{metaAnyRole: true}}, a.logout)
	operation(a, api, huma.Operation{OperationID: "getMe", Method: http.MethodGet, Path: "/api/me",
		Summary: "Who the token belongs to", Tags: tags}, a.me)
}

func (a *Admin) login(ctx context.Context, in *struct{ Body LoginInput }) (*body[Session], error) {
	if a.Login == nil {
		return nil, sspm.Errorf(sspm.CodeNotFound, "password sign-in is not enabled here; sign in through your identity provider")
	}
	tok, p, err := a.Login.Login(ctx, in.Body.Email, in.Body.Password, clientAddr(ctx))
	if err != nil {
		return nil, err
	}
	return a.session(tok, p), nil
}

func (a *Admin) refresh(ctx context.Context, in *struct{ Body RefreshInput }) (*body[Session], error) {
	if a.Login == nil {
		return nil, sspm.Errorf(sspm.CodeNotFound, "sessions are kept by your identity provider here")
	}
	tok, p, err := a.Login.Refresh(ctx, in.Body.RefreshToken)
	if err != nil {
		return nil, err
	}
	return a.session(tok, p), nil
}

func (a *Admin) logout(ctx context.Context, _ *struct{}) (*struct{}, error) {
	if a.Login == nil {
		return nil, nil
	}
	return nil, a.Login.Logout(ctx, principal(ctx))
}

func (a *Admin) session(tok auth.Token, p auth.Principal) *body[Session] {
	return bodyOf(Session{AccessToken: tok.AccessToken, TokenType: "Bearer", ExpiresIn: int64(tok.ExpiresAt.Sub(a.now()).Seconds()),
		ExpiresAt: tok.ExpiresAt.UTC(), RefreshToken: tok.RefreshToken, Email: p.Email, Role: string(p.Role)})
}

func (a *Admin) me(ctx context.Context, _ *struct{}) (*body[Me], error) {
	p := principal(ctx)
	return bodyOf(Me{Subject: p.Subject, Email: p.Email, Actor: p.Actor(), Role: string(p.Role)}), nil
}
