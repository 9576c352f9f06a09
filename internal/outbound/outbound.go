// Package outbound builds the HTTP clients connectors and alert destinations call providers with. Every
// client it builds:
//
//   - connects only to public addresses: the dialer checks the address it actually dials (after DNS
//     resolution, so a name that resolves, or later re-resolves, to a private address is refused) against
//     loopback, private, link-local, CGNAT, unique-local, unspecified and other special-purpose ranges, except
//     the networks and addresses the Config allows (OPEN_SSPM_ALLOWED_PRIVATE_NETWORKS; the simulators in demo
//     mode);
//   - sends requests only to the origins (scheme and host) it was built for: the check sits below any
//     transport that adds a credential, so a redirect, a link in a response or an SDK that follows redirects
//     itself cannot carry the credential to another host;
//   - follows redirects only to the same host over https;
//   - uses no proxy from the environment;
//   - bounds the dial, the TLS handshake, the wait for response headers and each whole request.
package outbound

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Default timeouts.
const (
	DefaultDialTimeout           = 10 * time.Second
	DefaultTLSHandshakeTimeout   = 10 * time.Second
	DefaultResponseHeaderTimeout = 45 * time.Second // Okta's System Log queries time out after 30 s
	DefaultRequestTimeout        = 60 * time.Second
)

// Config is what an operator and the composition root decide about outbound calls.
type Config struct {
	// AllowedNetworks may be reached although they are private (OPEN_SSPM_ALLOWED_PRIVATE_NETWORKS): a GitHub
	// Enterprise Server inside a VPC, a test rig on a loopback address.
	AllowedNetworks []netip.Prefix
	// AllowedAddrs are single addresses that may be reached: the provider simulators in demo mode and tests.
	AllowedAddrs []netip.AddrPort
	// Timeouts; zero means the defaults above. RequestTimeout bounds one request from sending it until its
	// body is closed (not the waits of transports above, such as rate-limit pauses).
	DialTimeout, TLSHandshakeTimeout, ResponseHeaderTimeout, RequestTimeout time.Duration
	// LookupIP resolves host names; nil means the system resolver. Tests map names to addresses with it.
	LookupIP func(ctx context.Context, host string) ([]netip.Addr, error)
	// RootCAs, when set, are the certificate authorities trusted instead of the system's: demo mode trusts the
	// simulators' test certificate (Entra ID's sign-in library speaks only https).
	RootCAs *x509.CertPool
}

// Policy holds one connection pool for its Config. It is safe for concurrent use; share it.
type Policy struct {
	cfg       Config
	transport *http.Transport
}

// New builds the policy of cfg.
func New(cfg Config) *Policy {
	cfg.DialTimeout = orDefault(cfg.DialTimeout, DefaultDialTimeout)
	cfg.TLSHandshakeTimeout = orDefault(cfg.TLSHandshakeTimeout, DefaultTLSHandshakeTimeout)
	cfg.ResponseHeaderTimeout = orDefault(cfg.ResponseHeaderTimeout, DefaultResponseHeaderTimeout)
	cfg.RequestTimeout = orDefault(cfg.RequestTimeout, DefaultRequestTimeout)
	p := &Policy{cfg: cfg}
	p.transport = &http.Transport{
		Proxy:                 nil, // never HTTPS_PROXY and friends: the proxy, not the provider, would be checked
		DialContext:           p.dial,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   cfg.TLSHandshakeTimeout,
		ResponseHeaderTimeout: cfg.ResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
	}
	if cfg.RootCAs != nil {
		p.transport.TLSClientConfig = &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12}
	}
	return p
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Strict is the policy with no allowance: public addresses only.
func Strict() *Policy { return New(Config{}) }

// Allowing returns a policy that may also reach addrs (each "host:port" with a literal IP, such as an
// httptest server's listener address); it panics on a malformed address. For demo mode and tests.
func Allowing(addrs ...string) *Policy {
	cfg := Config{}
	for _, a := range addrs {
		cfg.AllowedAddrs = append(cfg.AllowedAddrs, netip.MustParseAddrPort(strings.TrimPrefix(strings.TrimPrefix(a, "http://"), "https://")))
	}
	return New(cfg)
}

// Config returns the policy's configuration, with its defaults filled in.
func (p *Policy) Config() Config { return p.cfg }

// Transport returns a round tripper that sends requests only to origins (absolute URLs; only their scheme
// and host count) through the policy's dialer, each bounded by the request timeout. Wrap it with the
// transports that add credentials: whatever they send goes nowhere else.
func (p *Policy) Transport(origins ...*url.URL) http.RoundTripper {
	return Pin(&timeoutTransport{base: p.transport, d: p.cfg.RequestTimeout}, origins...)
}

// Client returns a client for origins: Transport's guarantees and the redirect policy (CheckRedirect).
func (p *Policy) Client(origins ...*url.URL) *http.Client {
	return &http.Client{Transport: p.Transport(origins...), CheckRedirect: CheckRedirect}
}

// Pin returns base restricted to origins: a request to any other scheme or host fails before it reaches
// base. Connectors use it directly only around a transport a test supplies.
func Pin(base http.RoundTripper, origins ...*url.URL) http.RoundTripper {
	allowed := make(map[string]bool, len(origins))
	for _, o := range origins {
		if o != nil {
			allowed[originOf(o)] = true
		}
	}
	return &pinned{base: base, allowed: allowed}
}

// ErrOtherHost is the cause of a request to a host its client was not built for.
var ErrOtherHost = errors.New("refused: the request goes to a host this client was not configured for")

// ErrRedirect is the cause of a redirect CheckRedirect refuses.
var ErrRedirect = errors.New("refused: redirects are followed only to the same host over https")

type pinned struct {
	base    http.RoundTripper
	allowed map[string]bool
}

func (t *pinned) RoundTrip(r *http.Request) (*http.Response, error) {
	if !t.allowed[originOf(r.URL)] {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, fmt.Errorf("outbound %s: %w", r.URL.Host, ErrOtherHost)
	}
	return t.base.RoundTrip(r)
}

// originOf is "scheme://host:port" in lower case, with the scheme's default port.
func originOf(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[scheme]
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// CheckRedirect is the redirect policy of every outbound client: follow at most 5 redirects, each to the
// first request's host over https; refuse the rest (the client returns the error, never the other host's
// answer). Errors name hosts only, never paths or queries, which may hold tokens.
func CheckRedirect(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	switch {
	case len(via) > 5:
		return fmt.Errorf("outbound %s: more than 5 redirects: %w", first.Host, ErrRedirect)
	case !strings.EqualFold(req.URL.Scheme, "https") || originOf(req.URL) != "https://"+hostPort(first, "443"):
		return fmt.Errorf("outbound %s: redirect to %s://%s: %w", first.Host, req.URL.Scheme, req.URL.Host, ErrRedirect)
	}
	return nil
}

func hostPort(u *url.URL, defPort string) string {
	port := u.Port()
	if port == "" || (strings.EqualFold(u.Scheme, "http") && port == "80") {
		port = defPort
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// dial resolves addr's host (with Config.LookupIP when set) and connects; the dialer's Control checks every
// address it connects to.
func (p *Policy) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: p.cfg.DialTimeout, KeepAlive: 30 * time.Second, ControlContext: p.control}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("outbound: %w", err)
	}
	if p.cfg.LookupIP == nil {
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, fmt.Errorf("outbound %s: %w", host, err)
		}
		return conn, nil
	}
	ips, err := p.cfg.LookupIP(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("outbound %s: resolve: %w", host, err)
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("outbound %s: resolve: no addresses", host)
	}
	var errs []error
	for _, ip := range ips {
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("outbound %s: %w", host, errors.Join(errs...))
}

func (p *Policy) control(_ context.Context, _, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("outbound: unexpected dial address %q", address)
	}
	return p.Check(ap)
}

// RefusedError says why an address may not be reached.
type RefusedError struct {
	Addr netip.Addr
	// Range names the refused range: "loopback", "private", ...
	Range string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refused to connect to %s, a %s address: connectors and alerts reach public addresses only "+
		"(set %s to allow a private network)", e.Addr, e.Range, EnvAllowedNetworks)
}

// Check returns a *RefusedError when the policy does not let calls reach ap.
func (p *Policy) Check(ap netip.AddrPort) error {
	ip := ap.Addr().Unmap()
	ap = netip.AddrPortFrom(ip, ap.Port())
	for _, a := range p.cfg.AllowedAddrs {
		if a.Addr().Unmap() == ip && a.Port() == ap.Port() {
			return nil
		}
	}
	for _, n := range p.cfg.AllowedNetworks {
		if n.Contains(ip) {
			return nil
		}
	}
	if r := refusedRange(ip); r != "" {
		return &RefusedError{Addr: ip, Range: r}
	}
	return nil
}

// CheckHost checks a host name or IP literal as given in a connector's config, before any DNS: loopback
// names ("localhost", "*.localhost", in any case) and refused IP literals fail. Names that resolve to a
// refused address are caught when dialled.
func (p *Policy) CheckHost(host string) error {
	h := strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return p.checkAnyPort(netip.MustParseAddr("127.0.0.1"))
	}
	ip, err := netip.ParseAddr(h)
	if err != nil {
		return nil
	}
	return p.checkAnyPort(ip)
}

// checkAnyPort is Check for an address whose port is not known yet: an allowed address on any port passes.
func (p *Policy) checkAnyPort(ip netip.Addr) error {
	ip = ip.Unmap()
	for _, a := range p.cfg.AllowedAddrs {
		if a.Addr().Unmap() == ip {
			return nil
		}
	}
	return p.Check(netip.AddrPortFrom(ip, 0))
}

// refused are the special-purpose ranges calls never reach unless allowed (IANA's special-purpose address
// registries), with the name the error gives them.
var refused = []struct {
	prefix netip.Prefix
	name   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "CGNAT"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignment"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("100::/64"), "discard"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("fc00::/7"), "unique-local"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// Prefixes that embed an IPv4 address in their last 32 bits (NAT64, 6to4 uses bits 16-48): the embedded
// address is checked too.
var (
	nat64 = netip.MustParsePrefix("64:ff9b::/96")
	sixTo = netip.MustParsePrefix("2002::/16")
)

func refusedRange(ip netip.Addr) string {
	for _, r := range refused {
		if r.prefix.Contains(ip) {
			return r.name
		}
	}
	if ip.Is6() {
		b := ip.As16()
		var v4 netip.Addr
		switch {
		case nat64.Contains(ip):
			v4 = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
		case sixTo.Contains(ip):
			v4 = netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})
		default:
			return ""
		}
		return refusedRange(v4)
	}
	return ""
}

// timeoutTransport bounds each request, from sending it until its body is closed.
type timeoutTransport struct {
	base http.RoundTripper
	d    time.Duration
}

func (t *timeoutTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.d)
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// IsRefusal reports whether err is the policy refusing a call (an address, another host, a redirect): trying
// again cannot succeed.
func IsRefusal(err error) bool {
	var re *RefusedError
	return errors.As(err, &re) || errors.Is(err, ErrOtherHost) || errors.Is(err, ErrRedirect)
}
