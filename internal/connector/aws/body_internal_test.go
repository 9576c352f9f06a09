package aws

import (
	"bytes"
	"io"
	"net/http"
	"sync"
	"testing"
)

// sdkBody behaves as smithy-go's safeReadCloser over a bytes.Reader: after Close, Read and WriteTo answer io.EOF.
type sdkBody struct {
	mu     sync.Mutex
	r      *bytes.Reader
	closed bool
}

func (b *sdkBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, io.EOF
	}
	return b.r.Read(p)
}

func (b *sdkBody) WriteTo(w io.Writer) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, io.EOF
	}
	return b.r.WriteTo(w)
}

func (b *sdkBody) Close() error { b.mu.Lock(); defer b.mu.Unlock(); b.closed = true; return nil }

type captureTransport struct{ req *http.Request }

func (c *captureTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.req = r
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: r}, nil
}

// TestRequestBodyClosedByTheSDKStillEnds: net/http checks a body's length by copying what is left to io.Discard,
// possibly after the SDK closed the body on receiving the answer; that copy must end without error, or the
// transport drops the connection under the answer being read (issue 17: 200 answers failing with "use of closed
// network connection" and retried).
func TestRequestBodyClosedByTheSDKStillEnds(t *testing.T) {
	payload := []byte(`{"IdentityStoreId":"d-1","GroupId":"g-1","MaxResults":100}`)
	for _, tc := range []struct {
		name   string
		client func(http.RoundTripper) *http.Client
	}{
		{"test transport", func(rt http.RoundTripper) *http.Client {
			return Options{HTTPClient: &http.Client{Transport: rt}}.httpClient(settings{Config: Config{Region: "us-east-1"}})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			capture := &captureTransport{}
			body := &sdkBody{r: bytes.NewReader(payload)}
			req, err := http.NewRequest(http.MethodPost, "https://identitystore.us-east-1.amazonaws.com/", body)
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = int64(len(payload))
			resp, err := tc.client(capture).Transport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			sent := capture.req.Body
			// The transport has copied the body's declared length...
			if n, err := io.Copy(io.Discard, io.LimitReader(sent, int64(len(payload)))); err != nil || n != int64(len(payload)) {
				t.Fatalf("copy: %d %v", n, err)
			}
			// ...the SDK closes its body once the answer is in...
			body.Close()
			// ...and the transport's length check must still see the end, not an error.
			if n, err := io.Copy(io.Discard, sent); err != nil || n != 0 {
				t.Fatalf("length check after the SDK closed the body: %d bytes, %v", n, err)
			}
		})
	}
	// The outbound policy's client (deployments, the benchmark) goes through the same wrapper.
	if _, ok := (Options{}).httpClient(settings{Config: Config{Region: "us-east-1"}}).Transport.(readOnlyBodies); !ok {
		t.Fatal("the outbound policy's client does not hide WriteTo from the transport")
	}
}
