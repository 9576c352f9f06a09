package pgembed

import (
	"errors"
	"fmt"
	"net"
	"strconv"
)

// ErrPortInUse means the requested TCP port on 127.0.0.1 is taken.
var ErrPortInUse = errors.New("pgembed: port in use")

// portFree reports whether 127.0.0.1:port can be bound right now.
func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

// freePort returns a port the kernel considers free on 127.0.0.1. Another
// process may take it before PostgreSQL binds it; launch retries then.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgembed free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
