package simhttp

import (
	"net/http"
	"net/http/httptest"
)

// Listener is a simulator's optional loopback httptest server. The zero value has none: URL is empty, Close is a
// no-op and Client returns the fallback.
type Listener struct {
	ts *httptest.Server
}

// Start serves h on a loopback listener, over https with httptest's certificate when tls is set.
func (l *Listener) Start(h http.Handler, tls bool) {
	if tls {
		l.ts = httptest.NewTLSServer(h)
	} else {
		l.ts = httptest.NewServer(h)
	}
}

// URL is the listener's base URL (no trailing slash); "" without a listener.
func (l *Listener) URL() string {
	if l.ts == nil {
		return ""
	}
	return l.ts.URL
}

// Client returns an http.Client that trusts the listener (its certificate with TLS); fallback without a listener.
func (l *Listener) Client(fallback *http.Client) *http.Client {
	if l.ts == nil {
		return fallback
	}
	return l.ts.Client()
}

// Close stops the listener, if any.
func (l *Listener) Close() {
	if l.ts != nil {
		l.ts.Close()
	}
}
