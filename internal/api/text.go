package api

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
)

// rejectUnstorableText answers 422 for a request whose path or query holds text PostgreSQL cannot take (a NUL
// byte or invalid UTF-8), before any handler passes it to a query, where it would fail as an internal error.
func rejectUnstorableText(api huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		u := ctx.URL()
		if !storable(u.Path) {
			_ = huma.WriteErr(api, ctx, http.StatusUnprocessableEntity, "the path holds a NUL byte or invalid UTF-8")
			return
		}
		for name, values := range u.Query() {
			for _, v := range append(values, name) {
				if !storable(v) {
					_ = huma.WriteErr(api, ctx, http.StatusUnprocessableEntity,
						"query parameter "+printable(name)+": holds a NUL byte or invalid UTF-8")
					return
				}
			}
		}
		next(ctx)
	}
}

func storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// printable keeps a parameter name safe to echo in a problem's detail.
func printable(s string) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "")
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}
