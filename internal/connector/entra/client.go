package entra

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abs "github.com/microsoft/kiota-abstractions-go"
	khttp "github.com/microsoft/kiota-http-go"
	jsonserialization "github.com/microsoft/kiota-serialization-json-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go-core/authentication"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/open-sspm/open-sspm/internal/connector/ratelimit"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// The client is msgraph-sdk-go's request adapter (msgraph-sdk-go-core, kiota) behind our transports:
//
//	adapter (Graph telemetry, URL replacement, compression, user agent; azidentity token on every request)
//	    → retrier (5xx and broken connections on GETs, twice)
//	    → pacer (x-ms-throttle-limit-percentage ≥ 0.9: wait until the bucket is back to 0.8, see pacer)
//	    → ratelimit.Transport (429: wait Retry-After exactly, then retry; a wait beyond the step's budget pauses
//	      the run)
//	    → outbound: only the Graph origin, the per-attempt timeout, and a dialer that refuses private addresses.
//
// The token request goes to the authority host alone through its own outbound client. kiota's retry and redirect
// handlers are left out: retries sleep on the run's clock (tests use a fake one) and nothing is redirected.
// Listing pages are read as raw JSON (the adapter's []byte primitive): the SDK's generated models would decode
// half a million memberships into maps of interfaces; Graph errors are decoded by the SDK's ODataError model.

const getRetries = 2

type client struct {
	adapter *msgraphcore.GraphRequestAdapterBase
	rl      *ratelimit.Transport
	pace    *pacer
	graph   string // base URL without a trailing slash
	tenant  string
	sleep   func(ctx context.Context, d time.Duration) error
}

// errorMapping decodes every Graph error answer into the SDK's ODataError.
var errorMapping = abs.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue}

func newClient(s settings, secret []byte, o Options) (*client, error) {
	base := o.policy().Transport(s.graph)
	tokenBase := o.policy().Transport(s.authority)
	if o.HTTPClient != nil && o.HTTPClient.Transport != nil {
		base = outbound.Pin(o.HTTPClient.Transport, s.graph)
		tokenBase = outbound.Pin(o.HTTPClient.Transport, s.authority)
	}
	cred := o.Credential
	if cred == nil {
		var err error
		if cred, err = signIn(s, secret, &http.Client{Transport: tokenBase, CheckRedirect: outbound.CheckRedirect}); err != nil {
			return nil, err
		}
	}
	scope := GraphScope
	if !strings.EqualFold(s.graph.Hostname(), "graph.microsoft.com") && !isLoopbackURL(s.graph) {
		scope = s.graph.Scheme + "://" + s.graph.Host + "/.default" // a national cloud's Graph
	}
	auth, err := authentication.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cred, []string{scope}, []string{s.graph.Hostname()})
	if err != nil {
		return nil, fmt.Errorf("entra auth provider: %w", err)
	}
	// Retry-After is whole seconds that Graph rounds up: the retry waits that long and no more (Margin).
	rl := &ratelimit.Transport{Base: base, Share: 1, Bucket: bucketOf, Headers: graphHeaders, Now: o.now, Sleep: o.sleep,
		Margin: retryMargin}
	pace := &pacer{next: rl, now: o.now, sleep: o.sleep}
	var mws []khttp.Middleware
	for _, m := range msgraphcore.GetDefaultMiddlewaresWithOptions(&msgraphcore.GraphClientOptions{GraphServiceVersion: "v1.0"}) {
		switch m.(type) {
		case *khttp.RetryHandler, *khttp.RedirectHandler:
			continue
		}
		mws = append(mws, m)
	}
	hc := &http.Client{
		Transport:     khttp.NewCustomTransportWithParentTransport(&retrier{next: pace, sleep: o.sleep}, mws...),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	adapter, err := msgraphcore.NewGraphRequestAdapterBaseWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth,
		msgraphcore.GraphClientOptions{GraphServiceVersion: "v1.0"}, jsonserialization.NewJsonParseNodeFactory(),
		jsonserialization.NewJsonSerializationWriterFactory(), hc)
	if err != nil {
		return nil, fmt.Errorf("entra request adapter: %w", err)
	}
	adapter.SetBaseUrl(s.graph.String())
	return &client{adapter: adapter, rl: rl, pace: pace, graph: strings.TrimSuffix(s.graph.String(), "/"), tenant: s.TenantID, sleep: o.sleep}, nil
}

// signIn builds the azidentity client-credentials credential: a client secret or a certificate. Instance
// discovery is off (the authority host is one of Microsoft's, checked in the config), so the token request is the
// only call to the authority.
func signIn(s settings, secret []byte, hc *http.Client) (azcore.TokenCredential, error) {
	copts := azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: s.authority.String() + "/"}, Transport: hc}
	switch s.Auth {
	case AuthCertificate:
		certs, key, err := parseCertificate(secret)
		if err != nil {
			return nil, err
		}
		cred, err := azidentity.NewClientCertificateCredential(s.TenantID, s.ClientID, certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: copts, DisableInstanceDiscovery: true})
		if err != nil {
			return nil, sspm.Errorf(sspm.CodeInvalid, "entra certificate credential: %s", err)
		}
		return cred, nil
	default:
		cred, err := azidentity.NewClientSecretCredential(s.TenantID, s.ClientID, string(bytes.TrimSpace(secret)),
			&azidentity.ClientSecretCredentialOptions{ClientOptions: copts, DisableInstanceDiscovery: true})
		if err != nil {
			return nil, sspm.Errorf(sspm.CodeInvalid, "entra client secret credential: %s", err)
		}
		return cred, nil
	}
}

func isLoopbackURL(u *url.URL) bool {
	h := u.Hostname()
	return h == "localhost" || h == "127.0.0.1" || h == "::1" || strings.HasPrefix(h, "127.")
}

// bucketOf: the audit logs have their own limit (5 requests per 10 s per app and tenant); everything else shares
// the identity resource-unit bucket.
func bucketOf(r *http.Request) string {
	if strings.Contains(r.URL.Path, "/auditLogs/") {
		return "reports"
	}
	return "graph"
}

// graphHeaders reads Retry-After on a 429 (or 503): seconds, or an HTTP date. The early warning,
// x-ms-throttle-limit-percentage, is the pacer's.
func graphHeaders(h http.Header) (ratelimit.Budget, bool) {
	if ra := h.Get("Retry-After"); ra != "" {
		if n, err := strconv.Atoi(ra); err == nil && n >= 0 {
			return ratelimit.Budget{ResetIn: time.Duration(n) * time.Second}, true
		}
		if t, err := http.ParseTime(ra); err == nil {
			return ratelimit.Budget{ResetIn: max(time.Until(t), 0)}, true
		}
	}
	return ratelimit.Budget{}, false
}

// retrier retries GETs after a 5xx or a broken connection.
type retrier struct {
	next  http.RoundTripper
	sleep func(ctx context.Context, d time.Duration) error
}

func (t *retrier) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		resp, err := t.next.RoundTrip(req)
		retry := req.Method == http.MethodGet && attempt < getRetries && req.Context().Err() == nil
		if _, waiting := sspm.AsWait(err); waiting || outbound.IsRefusal(err) {
			return nil, err
		}
		if !retry || (err == nil && resp.StatusCode < 500) {
			return resp, err
		}
		if resp != nil {
			_ = resp.Body.Close()
		}
		if err := t.sleep(req.Context(), time.Duration(attempt+1)*time.Second); err != nil {
			return nil, err
		}
	}
}

// get reads one Graph page: path is relative to the Graph base URL, or an absolute @odata.nextLink / deltaLink
// (which must lie under the base URL: a link elsewhere is refused, and the token never leaves for another host).
func (c *client) get(ctx context.Context, op, path string) ([]byte, error) {
	raw := path
	if !strings.HasPrefix(path, "https://") && !strings.HasPrefix(path, "http://") {
		raw = c.graph + path
	} else if !strings.HasPrefix(path, c.graph+"/") {
		// A link to another address (kept from before the Graph URL changed) is never followed: the token would go
		// there. Like an expired token, the listing or delta round starts over at the configured address.
		return nil, &statusError{status: http.StatusGone, err: sspm.Errorf(sspm.CodeConflict, "entra %s: a link outside %s was not followed", op, c.graph)}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, sspm.Errorf(sspm.CodeUnavailable, "entra %s: malformed link", op)
	}
	ri := abs.NewRequestInformation()
	ri.Method = abs.GET
	ri.SetUri(*u)
	ri.Headers.TryAdd("Accept", "application/json")
	out, err := c.adapter.SendPrimitive(ctx, ri, "[]byte", errorMapping)
	if err != nil {
		return nil, c.apiError(ctx, op, err)
	}
	b, _ := out.([]byte)
	return b, nil
}

// relative returns a link under the Graph base URL as a path relative to it ("/users?$skiptoken=..."); other
// links are returned as they are (get refuses them).
func (c *client) relative(link string) string {
	if rest, ok := strings.CutPrefix(link, c.graph); ok && strings.HasPrefix(rest, "/") {
		return rest
	}
	return link
}

// statusError is a failed Graph call: its status and Graph's error code, and the sspm error it maps to.
type statusError struct {
	status int
	code   string
	err    error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// statusOf returns the HTTP status and Graph error code of a failed call (0, "" when it got no answer).
func statusOf(err error) (int, string) {
	var se *statusError
	if errors.As(err, &se) {
		return se.status, se.code
	}
	return 0, ""
}

// apiError maps a failed call: sign-in failures and 401 → unauthorized, 403 → forbidden (the caller decides
// whether the dataset is unavailable), 429/5xx → unavailable, waits beyond the budget pass through.
func (c *client) apiError(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("entra %s: %w", op, context.Cause(ctx))
	}
	if w, ok := sspm.AsWait(err); ok {
		return fmt.Errorf("entra %s: %w", op, w)
	}
	var af *azidentity.AuthenticationFailedError
	if errors.As(err, &af) {
		return &statusError{status: http.StatusUnauthorized, code: "sign_in", err: &sspm.Error{Code: sspm.CodeUnauthorized,
			Message: fmt.Sprintf("entra %s: signing in to tenant %s failed: %s", op, c.tenant, aadstsReason(af))}}
	}
	var cu *azidentity.AuthenticationRequiredError
	if errors.As(err, &cu) {
		return &statusError{status: http.StatusUnauthorized, code: "sign_in", err: &sspm.Error{Code: sspm.CodeUnauthorized,
			Message: fmt.Sprintf("entra %s: signing in to tenant %s failed", op, c.tenant)}}
	}
	status, code, msg := 0, "", ""
	var oe *odataerrors.ODataError
	var ae *abs.ApiError
	switch {
	case errors.As(err, &oe):
		status = oe.ResponseStatusCode
		if me := oe.GetErrorEscaped(); me != nil {
			code, msg = deref(me.GetCode()), deref(me.GetMessage())
		}
	case errors.As(err, &ae):
		status = ae.ResponseStatusCode
	default:
		return &statusError{err: &sspm.Error{Code: sspm.CodeUnavailable, Message: fmt.Sprintf("entra %s: %s", op, outbound.RedactURL(err))}}
	}
	detail := strconv.Itoa(status)
	if code != "" {
		detail += " " + code
	}
	if msg != "" {
		detail += ": " + msg
	}
	ec := sspm.CodeInternal
	switch {
	case status == http.StatusUnauthorized:
		ec, detail = sspm.CodeUnauthorized, detail+" (check the tenant id, the client id and the secret or certificate)"
	case status == http.StatusForbidden:
		ec, detail = sspm.CodeForbidden, detail+" (grant the app registration the application permission with admin consent, or the tenant lacks the license)"
	case status == http.StatusTooManyRequests || status >= 500:
		ec = sspm.CodeUnavailable
	case status == http.StatusNotFound:
		ec = sspm.CodeNotFound
	case status == http.StatusGone || (status == http.StatusBadRequest && (code == "syncStateNotFound" || code == "Directory_ExpiredPageToken")):
		ec = sspm.CodeConflict
	}
	return &statusError{status: status, code: code, err: &sspm.Error{Code: ec, Message: fmt.Sprintf("entra %s: %s", op, detail)}}
}

// aadstsReason is the AADSTS line of a token error (the reason Entra refused the sign-in); it holds no secret.
func aadstsReason(err error) string {
	for _, line := range strings.Split(err.Error(), "\n") {
		if i := strings.Index(line, "AADSTS"); i >= 0 {
			line = strings.TrimSpace(line[i:])
			if j := strings.Index(line, "Trace ID"); j > 0 {
				line = line[:j]
			}
			return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(line), `\r\n`))
		}
	}
	return "the token endpoint refused the client credentials"
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// waitMessage describes the rate-limit waits since the last call, for the run's progress.
func (c *client) waitMessage() string {
	total := c.pace.takeWaited()
	for _, w := range c.rl.TakeWaits() {
		total += w.Duration
	}
	if total <= 0 {
		return ""
	}
	return fmt.Sprintf("waited %s for Microsoft Graph's throttling", total.Round(time.Second))
}

// send makes a Graph call with a JSON body (nil for none) and returns the answer's body (nil for 204).
func (c *client) send(ctx context.Context, op string, method abs.HttpMethod, path string, body any) ([]byte, error) {
	u, err := url.Parse(c.graph + path)
	if err != nil {
		return nil, sspm.Errorf(sspm.CodeInvalid, "entra %s: malformed path", op)
	}
	ri := abs.NewRequestInformation()
	ri.Method = method
	ri.SetUri(*u)
	ri.Headers.TryAdd("Accept", "application/json")
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("entra %s: %w", op, err)
		}
		ri.SetStreamContentAndContentType(b, "application/json")
	}
	out, err := c.adapter.SendPrimitive(ctx, ri, "[]byte", errorMapping)
	if err != nil {
		return nil, c.apiError(ctx, op, err)
	}
	b, _ := out.([]byte)
	return b, nil
}
