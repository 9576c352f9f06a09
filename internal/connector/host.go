package connector

import (
	"net"
	"strings"
)

// IsLoopback reports whether a URL's host (lower case, as url.URL.Hostname returns it, brackets allowed) is a
// loopback address: localhost, a name under .localhost, or a loopback IP. Connectors refuse such provider URLs
// outside demo mode.
func IsLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
