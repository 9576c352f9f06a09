package outbound_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/outbound"
)

// resolver maps every name to ip, as a DNS answer would.
func resolver(ip string) func(context.Context, string) ([]netip.Addr, error) {
	return func(_ context.Context, host string) ([]netip.Addr, error) {
		if a, err := netip.ParseAddr(host); err == nil {
			return []netip.Addr{a}, nil
		}
		return []netip.Addr{netip.MustParseAddr(ip)}, nil
	}
}

// server counts the requests it gets and the Authorization headers among them.
type server struct {
	*httptest.Server
	hits, creds atomic.Int32
}

func newServer(t *testing.T, h http.HandlerFunc) *server {
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if r.Header.Get("Authorization") != "" {
			s.creds.Add(1)
		}
		if h != nil {
			h(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) addr() string { return strings.TrimPrefix(s.URL, "http://") }

func (s *server) port() string { u, _ := url.Parse(s.URL); return u.Port() }

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestCheckRefusesSpecialRanges(t *testing.T) {
	p := outbound.Strict()
	for _, tt := range []struct {
		give string
		want string // the refused range, "" when reachable
	}{
		{"8.8.8.8:443", ""},
		{"[2606:4700::1111]:443", ""},
		{"127.0.0.1:443", "loopback"},
		{"127.8.9.10:80", "loopback"},
		{"[::1]:443", "loopback"},
		{"[::ffff:127.0.0.1]:443", "loopback"},
		{"10.1.2.3:443", "private"},
		{"172.16.0.1:443", "private"},
		{"192.168.1.1:443", "private"},
		{"169.254.169.254:80", "link-local"},
		{"[fe80::1]:443", "link-local"},
		{"100.64.0.1:443", "CGNAT"},
		{"100.127.255.254:443", "CGNAT"},
		{"[fd00:ec2::254]:80", "unique-local"},
		{"[fc00::1]:443", "unique-local"},
		{"0.0.0.0:443", "unspecified"},
		{"[::]:443", "unspecified"},
		{"[64:ff9b::a9fe:a9fe]:80", "link-local"}, // NAT64 of 169.254.169.254
		{"[2002:7f00:1::]:80", "loopback"},        // 6to4 of 127.0.0.1
		{"224.0.0.1:443", "multicast"},
	} {
		t.Run(tt.give, func(t *testing.T) {
			err := p.Check(netip.MustParseAddrPort(tt.give))
			var re *outbound.RefusedError
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (!errors.As(err, &re) || re.Range != tt.want):
				t.Fatalf("err = %v, want refused as %s", err, tt.want)
			}
		})
	}
}

func TestCheckHostRefusesLoopbackNamesInAnyCase(t *testing.T) {
	p := outbound.Strict()
	for _, tt := range []struct {
		give    string
		refused bool
	}{
		{"localhost", true}, {"LOCALHOST", true}, {"LocalHost.", true}, {"app.LOCALHOST", true},
		{"127.0.0.1", true}, {"[::1]", true}, {"10.0.0.5", true},
		{"acme.okta.com", false}, {"api.github.com", false}, {"8.8.8.8", false},
	} {
		if err := p.CheckHost(tt.give); (err != nil) != tt.refused {
			t.Errorf("CheckHost(%q) = %v, want refused %v", tt.give, err, tt.refused)
		}
	}
	allowed := outbound.New(outbound.Config{AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")}})
	if err := allowed.CheckHost("10.0.0.5"); err != nil {
		t.Errorf("allowed network: %v", err)
	}
}

// A name that resolves to a refused address is refused after resolution, with an error that says why and
// how to allow it; the server is never reached.
func TestDialRefusesNameResolvingToPrivateAddress(t *testing.T) {
	srv := newServer(t, nil)
	p := outbound.New(outbound.Config{LookupIP: resolver("127.0.0.1")})
	origin := mustURL(t, "http://api.example.com:"+srv.port())
	_, err := p.Client(origin).Get(origin.String() + "/users")
	var re *outbound.RefusedError
	if !errors.As(err, &re) || re.Range != "loopback" {
		t.Fatalf("err = %v, want a loopback refusal", err)
	}
	for _, want := range []string{"api.example.com", "127.0.0.1", "loopback", outbound.EnvAllowedNetworks} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if srv.hits.Load() != 0 {
		t.Fatal("the server was reached")
	}
}

func TestAllowedNetworksAndAddresses(t *testing.T) {
	srv := newServer(t, nil)
	other := newServer(t, nil)
	for _, tt := range []struct {
		name       string
		cfg        outbound.Config
		reachSrv   bool
		reachOther bool
	}{
		{"strict", outbound.Config{}, false, false},
		{"allowed network", outbound.Config{AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}, true, true},
		{"other network", outbound.Config{AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, false, false},
		{"one address (demo mode: the simulator only)", outbound.Config{AllowedAddrs: []netip.AddrPort{netip.MustParseAddrPort(srv.addr())}}, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.LookupIP = resolver("127.0.0.1")
			p := outbound.New(tt.cfg)
			for _, s := range []struct {
				srv   *server
				reach bool
			}{{srv, tt.reachSrv}, {other, tt.reachOther}} {
				for _, origin := range []string{s.srv.URL, "http://tenant.example.com:" + s.srv.port()} {
					u := mustURL(t, origin)
					resp, err := p.Client(u).Get(origin + "/")
					if err == nil {
						resp.Body.Close()
					}
					if (err == nil) != s.reach {
						t.Errorf("%s: err = %v, want reached %v", origin, err, s.reach)
					}
				}
			}
		})
	}
}

// bearer adds a credential above the pinned transport, as the connectors' auth transports do.
type bearer struct{ base http.RoundTripper }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer s3cret")
	return b.base.RoundTrip(r)
}

// A redirect to another host is refused, and a transport that adds the credential above the pin cannot send
// it there either (some SDKs follow redirects through the transport themselves).
func TestRedirectToOtherHostCarriesNoCredential(t *testing.T) {
	evil := newServer(t, nil)
	provider := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://evil.example.net:"+evil.port()+"/steal", http.StatusTemporaryRedirect)
	})
	p := outbound.New(outbound.Config{LookupIP: resolver("127.0.0.1"),
		AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	origin := mustURL(t, "http://api.example.com:"+provider.port())

	client := &http.Client{Transport: bearer{p.Transport(origin)}, CheckRedirect: outbound.CheckRedirect}
	_, err := client.Get(origin.String() + "/users")
	if !errors.Is(err, outbound.ErrRedirect) {
		t.Fatalf("err = %v, want ErrRedirect", err)
	}
	// Without the redirect policy (an SDK following Location itself), the pin refuses the other host.
	req, _ := http.NewRequest(http.MethodGet, "http://evil.example.net:"+evil.port()+"/steal", nil)
	if _, err := (bearer{p.Transport(origin)}).RoundTrip(req); !errors.Is(err, outbound.ErrOtherHost) {
		t.Fatalf("err = %v, want ErrOtherHost", err)
	}
	if provider.creds.Load() != 1 || evil.hits.Load() != 0 {
		t.Fatalf("provider got %d credentials, the other host %d requests", provider.creds.Load(), evil.hits.Load())
	}
}

func TestCheckRedirect(t *testing.T) {
	for _, tt := range []struct {
		from, to string
		follow   bool
	}{
		{"https://api.github.com/path-a", "https://api.github.com/path-b", true},
		{"https://API.github.com/path-a", "https://api.github.com:443/path-b", true},
		{"https://api.github.com/path-a", "http://api.github.com/path-b", false},
		{"https://api.github.com/path-a", "https://evil.example/path-b", false},
		{"https://api.github.com/path-a", "https://api.github.com:8443/path-b", false},
		{"https://ghe.corp:8443/path-a", "https://ghe.corp:8443/path-b", true},
		{"http://127.0.0.1:9000/path-a", "http://127.0.0.1:9000/path-b", false},
	} {
		from, _ := http.NewRequest(http.MethodGet, tt.from, nil)
		to, _ := http.NewRequest(http.MethodGet, tt.to, nil)
		err := outbound.CheckRedirect(to, []*http.Request{from})
		if (err == nil) != tt.follow {
			t.Errorf("%s → %s: err = %v, want followed %v", tt.from, tt.to, err, tt.follow)
		}
		if err != nil && (strings.Contains(err.Error(), "/path-a") || strings.Contains(err.Error(), "/path-b")) {
			t.Errorf("error %q shows a path", err)
		}
	}
	from, _ := http.NewRequest(http.MethodGet, "https://api.github.com/", nil)
	via := []*http.Request{from, from, from, from, from, from}
	if err := outbound.CheckRedirect(from, via); !errors.Is(err, outbound.ErrRedirect) {
		t.Errorf("sixth redirect: err = %v", err)
	}
}

func TestTimeouts(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow-body" {
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	p := outbound.New(outbound.Config{AllowedAddrs: []netip.AddrPort{netip.MustParseAddrPort(srv.addr())},
		ResponseHeaderTimeout: 50 * time.Millisecond, RequestTimeout: 200 * time.Millisecond})
	c := p.Client(mustURL(t, srv.URL))
	if _, err := c.Get(srv.URL + "/no-headers"); err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("no headers: err = %v, want a response header timeout", err)
	}
	resp, err := c.Get(srv.URL + "/slow-body")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow body: err = %v, want the request timeout", err)
	}
}

func TestParseNetworks(t *testing.T) {
	for _, tt := range []struct {
		give    string
		want    []string
		wantErr string
	}{
		{"", nil, ""},
		{" 10.20.0.0/16 , fd00:ec2::/64,127.0.0.1", []string{"10.20.0.0/16", "fd00:ec2::/64", "127.0.0.1/32"}, ""},
		{"10.0.0.0/33", nil, `"10.0.0.0/33" is not a CIDR`},
		{"10.0.0.1/8", nil, "did you mean 10.0.0.0/8"},
		{"0.0.0.0/0", nil, "allows every address"},
		{"corp.example.com", nil, "is not a CIDR"},
	} {
		got, err := outbound.ParseNetworks(tt.give)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: err = %v, want %q", tt.give, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.give, err)
			continue
		}
		var s []string
		for _, p := range got {
			s = append(s, p.String())
		}
		if strings.Join(s, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%q: got %v, want %v", tt.give, s, tt.want)
		}
	}
	_, err := outbound.ConfigFromEnv(func(k string) string {
		if k == outbound.EnvAllowedNetworks {
			return "10.0.0.0/8,nope"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), outbound.EnvAllowedNetworks) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("ConfigFromEnv: err = %v, want one naming the setting and the entry", err)
	}
}
