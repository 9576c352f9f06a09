package oktasim

import (
	"errors"
	"strings"
	"time"
)

// expr is a parsed `filter`/`search` expression: an OR of ANDs of
// comparisons, the SCIM subset Okta's list endpoints accept
// (`status eq "ACTIVE" and lastUpdated gt "2026-01-01T00:00:00.000Z"`).
// Parentheses around single comparisons are tolerated; nesting is not.
type expr [][]cond

// cond is one comparison: attr op value.
type cond struct {
	attr, op, val string
}

// attrGetter returns an object's attribute as a string; times use oktaTime
// so that they compare lexicographically.
type attrGetter func(attr string) (string, bool)

// parseExpr parses an expression; an empty string is a nil expr (match all).
func parseExpr(s string) (expr, error) {
	toks, err := tokenize(s)
	if err != nil || len(toks) == 0 {
		return nil, err
	}
	var out expr
	var and []cond
	for i := 0; i < len(toks); {
		if i+1 >= len(toks) {
			return nil, errors.New("incomplete comparison")
		}
		c := cond{attr: toks[i], op: strings.ToLower(toks[i+1])}
		i += 2
		switch c.op {
		case "pr":
		case "eq", "ne", "gt", "ge", "lt", "le", "sw", "co":
			if i >= len(toks) {
				return nil, errors.New("missing value for " + c.attr)
			}
			c.val = normalizeValue(toks[i])
			i++
		default:
			return nil, errors.New("unsupported operator " + c.op)
		}
		and = append(and, c)
		if i == len(toks) {
			break
		}
		switch strings.ToLower(toks[i]) {
		case "and":
		case "or":
			out = append(out, and)
			and = nil
		default:
			return nil, errors.New("expected and/or, got " + toks[i])
		}
		i++
		if i == len(toks) {
			return nil, errors.New("dangling " + toks[i-1])
		}
	}
	return append(out, and), nil
}

// tokenize splits on spaces outside double quotes, drops parentheses around
// tokens, and unquotes quoted values (keeping a leading quote marker so that
// values and keywords stay distinct).
func tokenize(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '(' || c == ')' || c == '\t':
			i++
		case c == '"':
			j := i + 1
			var b strings.Builder
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, errors.New("unterminated string")
			}
			toks = append(toks, "\x00"+b.String())
			i = j + 1
		default:
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != ')' && s[j] != '(' {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks, nil
}

// normalizeValue strips the quote marker and rewrites timestamps to oktaTime.
func normalizeValue(v string) string {
	v = strings.TrimPrefix(v, "\x00")
	if t, err := parseTime(v); err == nil {
		return t.UTC().Format(oktaTime)
	}
	return v
}

// parseTime accepts RFC 3339 with or without fractional seconds and offsets.
func parseTime(v string) (time.Time, error) {
	if len(v) < 19 || v[4] != '-' || v[10] != 'T' {
		return time.Time{}, errors.New("not a time")
	}
	return time.Parse(time.RFC3339Nano, v)
}

// match reports whether the object satisfies the expression.
func (e expr) match(get attrGetter) bool {
	if e == nil {
		return true
	}
	for _, and := range e {
		ok := true
		for _, c := range and {
			if !c.match(get) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (c cond) match(get attrGetter) bool {
	v, ok := get(c.attr)
	if c.op == "pr" {
		return ok && v != ""
	}
	if !ok {
		return c.op == "ne"
	}
	switch c.op {
	case "eq":
		return strings.EqualFold(v, c.val)
	case "ne":
		return !strings.EqualFold(v, c.val)
	case "sw":
		return len(v) >= len(c.val) && strings.EqualFold(v[:len(c.val)], c.val)
	case "co":
		return strings.Contains(strings.ToLower(v), strings.ToLower(c.val))
	case "gt":
		return v != "" && v > c.val
	case "ge":
		return v != "" && v >= c.val
	case "lt":
		return v != "" && v < c.val
	case "le":
		return v != "" && v <= c.val
	}
	return false
}

// fmtTime formats a time for comparison; "" when zero.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(oktaTime)
}
