package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// LoginInput is a local sign-in.
type LoginInput struct {
	Email    string `json:"email" format:"email" maxLength:"320"`
	Password string `json:"password" minLength:"1" maxLength:"1024" writeOnly:"true"`
}

// Session is an issued access token and who it is for.
type Session struct {
	AccessToken string    `json:"access_token"`
	TokenType   string    `json:"token_type" enum:"Bearer"`
	ExpiresIn   int64     `json:"expires_in" doc:"Seconds."`
	ExpiresAt   time.Time `json:"expires_at"`
	Email       string    `json:"email"`
	Role        string    `json:"role" enum:"admin,viewer"`
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
		Description: "Answers 404 where users sign in through an identity provider (Cognito). Repeated failures for " +
			"one email are refused with 429 for a while.",
		Tags: tags, Metadata: map[string]any{metaPublic: true}, Errors: []int{401, 404, 422, 429}}, a.login)
	operation(a, api, huma.Operation{OperationID: "getMe", Method: http.MethodGet, Path: "/api/me",
		Summary: "Who the token belongs to", Tags: tags}, a.me)
}

func (a *Admin) login(ctx context.Context, in *struct{ Body LoginInput }) (*body[Session], error) {
	if a.Login == nil {
		return nil, sspm.Errorf(sspm.CodeNotFound, "password sign-in is not enabled here; sign in through your identity provider")
	}
	tok, p, err := a.Login.Login(ctx, in.Body.Email, in.Body.Password)
	if err != nil {
		return nil, err
	}
	return bodyOf(Session{AccessToken: tok.AccessToken, TokenType: "Bearer", ExpiresIn: int64(tok.ExpiresAt.Sub(a.now()).Seconds()),
		ExpiresAt: tok.ExpiresAt.UTC(), Email: p.Email, Role: string(p.Role)}), nil
}

func (a *Admin) me(ctx context.Context, _ *struct{}) (*body[Me], error) {
	p := principal(ctx)
	return bodyOf(Me{Subject: p.Subject, Email: p.Email, Actor: p.Actor(), Role: string(p.Role)}), nil
}
