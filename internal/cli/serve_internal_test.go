package cli

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// A client that stops sending its body mid-way loses the connection at the read timeout instead of holding it.
func TestHTTPServerDropsAStalledBody(t *testing.T) {
	if serverTimeouts.read <= 0 || serverTimeouts.write <= 0 || serverTimeouts.idle <= 0 || serverTimeouts.header <= 0 {
		t.Fatalf("server timeouts %+v: every one must be set", serverTimeouts)
	}
	handled := make(chan error, 1)
	hs := newHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		handled <- err
	}), httpTimeouts{header: time.Second, read: 300 * time.Millisecond, write: time.Second, idle: time.Second})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Headers promise 1,000 bytes; 10 arrive, then nothing.
	if _, err := io.WriteString(conn, "POST /hooks/okta/x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-handled:
		if err == nil {
			t.Fatal("the handler read a whole body that never came")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the server still waits for the stalled body after 5 s")
	}
	// The server closes the connection.
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := bufio.NewReader(conn).ReadString(0); err == nil || isTimeout(err) {
		t.Fatalf("connection still open: %v", err)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
