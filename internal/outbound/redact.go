package outbound

import (
	"errors"
	"net/url"
	"strings"
)

// RedactURL describes a transport error without its URL's query: an *url.Error carries the whole request URL,
// whose query may hold paging or delta tokens that have no place in a run's message or a log line.
func RedactURL(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + " " + strings.SplitN(ue.URL, "?", 2)[0] + ": " + ue.Err.Error()
	}
	return err.Error()
}
