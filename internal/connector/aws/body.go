package aws

import (
	"io"
	"net/http"
)

// readOnlyBodies hands the transport each request body as a plain io.ReadCloser, hiding io.WriterTo.
//
// The SDK (smithy-go's safeReadCloser) wraps a request body so that Close drops the stream, and its WriteTo then
// answers io.EOF; it closes the body as soon as Do returns. net/http's transport, after copying a body of known
// length, copies the rest to io.Discard to check its length, preferring WriteTo, and it may do so after the
// response has arrived (the headers are flushed first and the body goes straight to the socket). When the SDK has
// closed the body by then, the check fails with io.EOF, the transport closes the connection, and the response
// body being read fails with "use of closed network connection": the SDK retries a read that had succeeded, with
// back-off. Through Read alone, a closed body reads as io.EOF, which io.Copy takes for the end.
type readOnlyBodies struct{ base http.RoundTripper }

func (t readOnlyBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return t.base.RoundTrip(r)
	}
	out := r.WithContext(r.Context()) // a shallow copy: a RoundTripper does not modify its request
	out.Body = readCloser{r.Body}
	return t.base.RoundTrip(out)
}

// readCloser exposes only Read and Close of a body.
type readCloser struct{ rc io.ReadCloser }

func (b readCloser) Read(p []byte) (int, error) { return b.rc.Read(p) }
func (b readCloser) Close() error               { return b.rc.Close() }
