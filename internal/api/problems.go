package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/open-sspm/open-sspm/internal/auth"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// problem turns a handler's error into an RFC 9457 problem: a domain error's code picks the status and its
// message (written to be shown) becomes the detail; anything else is logged and answered as a bare 500, so no
// internal detail or secret reaches a client.
func (a *Admin) problem(ctx context.Context, op string, err error) error {
	var se huma.StatusError
	if errors.As(err, &se) {
		return se
	}
	var locked *auth.LockedError
	if errors.As(err, &locked) {
		secs := int(locked.RetryAfter.Seconds() + 0.999)
		return huma.ErrorWithHeaders(huma.Error429TooManyRequests(locked.Error()),
			http.Header{"Retry-After": {strconv.Itoa(secs)}})
	}
	var pe *ProviderError
	if errors.As(err, &pe) {
		a.logger().Warn("api: provider call failed", "op", op, "err", pe.Err)
		if pe.Code == sspm.CodeInvalid {
			return huma.Error422UnprocessableEntity(pe.Message)
		}
		return huma.NewError(http.StatusBadGateway, pe.Message)
	}
	code := sspm.ErrorCode(err)
	msg := ""
	var de *sspm.Error
	if errors.As(err, &de) {
		msg = de.Message
	}
	switch code {
	case sspm.CodeInvalid:
		return huma.Error422UnprocessableEntity(msg)
	case sspm.CodeNotFound:
		return huma.Error404NotFound(msg)
	case sspm.CodeConflict:
		return huma.Error409Conflict(msg)
	case sspm.CodeUnauthorized:
		return huma.Error401Unauthorized(msg)
	case sspm.CodeForbidden:
		return huma.Error403Forbidden(msg)
	case sspm.CodeUnavailable:
		a.logger().Warn("api: dependency unavailable", "op", op, "err", err)
		return huma.Error503ServiceUnavailable(msg)
	case sspm.CodeRateLimited: // a provider's rate limit asks for a longer wait than the request may take
		w, _ := sspm.AsWait(err)
		a.logger().Warn("api: provider rate limited", "op", op, "err", err)
		secs := max(int(time.Until(w.Until).Seconds()+0.999), 1)
		return huma.ErrorWithHeaders(huma.Error503ServiceUnavailable("the provider's rate limit asks to wait; try again later"),
			http.Header{"Retry-After": {strconv.Itoa(secs)}})
	}
	a.logger().Error("api: internal error", "op", op, "err", err)
	return huma.Error500InternalServerError("internal error")
}

// scrubProblemValues drops the offending values huma puts into validation problems: a rejected secret must not
// come back in the response.
func scrubProblemValues(_ huma.Context, _ string, v any) (any, error) {
	if m, ok := v.(*huma.ErrorModel); ok {
		for _, d := range m.Errors {
			if d != nil {
				d.Value = nil
			}
		}
	}
	return v, nil
}

type principalKey struct{}

// principal returns the caller the middleware authenticated.
func principal(ctx context.Context) auth.Principal {
	p, _ := ctx.Value(principalKey{}).(auth.Principal)
	return p
}

type clientKey struct{}

// clientAddr returns the caller's address the middleware read (ClientAddr).
func clientAddr(ctx context.Context) string {
	a, _ := ctx.Value(clientKey{}).(string)
	return a
}

// ClientAddr is the caller's address for per-client limits: the connection's remote address without its port.
// On AWS it is API Gateway's sourceIp (the Lambda adapter sets it as the remote address). X-Forwarded-For is not
// read: any caller can write it.
func ClientAddr(remoteAddr string) string {
	if host, _, err := net.SplitHostPort(remoteAddr); err == nil {
		return host
	}
	return remoteAddr
}

// actor names the caller in the audit log.
func actor(ctx context.Context) string { return principal(ctx).Actor() }

// authorize is the API's middleware: every operation but sign-in needs a valid bearer token whose role may read,
// and changes (every method but GET) and admin-only reads need the admin role.
func (a *Admin) authorize(api huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		op := ctx.Operation()
		ctx.SetHeader("Cache-Control", "no-store")
		ctx = huma.WithValue(ctx, clientKey{}, ClientAddr(ctx.RemoteAddr()))
		if op.Metadata[metaPublic] == true {
			next(ctx)
			return
		}
		p, err := a.authenticate(ctx.Context(), ctx.Header("Authorization"))
		if err != nil {
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="open-sspm"`)
			_ = huma.WriteErr(api, ctx, http.StatusUnauthorized, "a valid bearer token is required")
			return
		}
		needAdmin := (op.Method != http.MethodGet && op.Metadata[metaAnyRole] != true) || op.Metadata[metaAdminOnly] == true
		if !p.Role.CanRead() || (needAdmin && !p.Role.CanWrite()) {
			_ = huma.WriteErr(api, ctx, http.StatusForbidden, "your role may not do this")
			return
		}
		next(huma.WithValue(ctx, principalKey{}, p))
	}
}

// authenticate verifies the bearer token of an Authorization header.
func (a *Admin) authenticate(ctx context.Context, header string) (auth.Principal, error) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return auth.Principal{}, sspm.Errorf(sspm.CodeUnauthorized, "no bearer token")
	}
	if a.Auth == nil {
		return auth.Principal{}, sspm.Errorf(sspm.CodeUnauthorized, "no token verifier is configured")
	}
	p, err := a.Auth.Verify(ctx, strings.TrimSpace(token))
	if err != nil {
		a.logger().Info("api: rejected a token", "err", err)
		return auth.Principal{}, err
	}
	return p, nil
}

func notFoundProblem(w http.ResponseWriter, _ *http.Request) {
	writeProblem(w, http.StatusNotFound, "no such API route")
}

func writeProblem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"title":` + strconv.Quote(http.StatusText(status)) + `,"status":` + strconv.Itoa(status) +
		`,"detail":` + strconv.Quote(detail) + `}`))
}

// ProviderError is a provider's refusal or failure of something the API asked it to do on a connector's behalf
// (registering a push hook). Message is safe to show (a connector's domain message, never a secret); the API
// answers it as 422 when the provider found the input invalid and 502 otherwise, never as 401 or 403, which
// would say the caller's own session was refused.
type ProviderError struct {
	Code    sspm.Code
	Message string
	Err     error
}

func (e *ProviderError) Error() string { return e.Message }
func (e *ProviderError) Unwrap() error { return e.Err }
