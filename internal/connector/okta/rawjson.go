package okta

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Okta's list pages are large (a page of 1,000 group members is about 1 MB) and the SDK's generated models decode
// them at a few MB/s, so listings are read raw (see capture in client.go) and split here: a validating scanner
// that cuts a JSON array into its elements and finds top-level fields of an object without building maps.
// Everything it returns is a sub-slice of its input.

var errSyntax = errors.New("malformed JSON")

// splitArray returns the elements of a JSON array. The whole input must be one valid array.
func splitArray(b []byte) ([][]byte, error) {
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("%w: invalid UTF-8", errSyntax)
	}
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return nil, fmt.Errorf("%w: want an array", errSyntax)
	}
	var out [][]byte
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		i++
	} else {
		for {
			start := i
			end, err := skipValue(b, i, 0)
			if err != nil {
				return nil, err
			}
			out = append(out, b[start:end])
			i = skipSpace(b, end)
			if i >= len(b) {
				return nil, fmt.Errorf("%w: unterminated array", errSyntax)
			}
			if b[i] == ']' {
				i++
				break
			}
			if b[i] != ',' {
				return nil, fmt.Errorf("%w: want , or ]", errSyntax)
			}
			i = skipSpace(b, i+1)
		}
	}
	if skipSpace(b, i) != len(b) {
		return nil, fmt.Errorf("%w: data after the array", errSyntax)
	}
	return out, nil
}

// fields finds the top-level members keys of a JSON object and returns their raw values in the same order; a
// missing member is nil. It stops once it found them all, so the rest of obj must have been validated already
// (an element from splitArray) or not matter. Keys with escapes are compared in their raw form, which Okta's
// field names never need.
func fields(obj []byte, keys ...string) ([][]byte, error) {
	out := make([][]byte, len(keys))
	found := 0
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return nil, fmt.Errorf("%w: want an object", errSyntax)
	}
	i = skipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return out, nil
	}
	for {
		if i >= len(obj) || obj[i] != '"' {
			return nil, fmt.Errorf("%w: want a member name", errSyntax)
		}
		kend, err := skipString(obj, i)
		if err != nil {
			return nil, err
		}
		key := obj[i+1 : kend-1]
		i = skipSpace(obj, kend)
		if i >= len(obj) || obj[i] != ':' {
			return nil, fmt.Errorf("%w: want a colon", errSyntax)
		}
		i = skipSpace(obj, i+1)
		vend, err := skipValue(obj, i, 0)
		if err != nil {
			return nil, err
		}
		for k, name := range keys {
			if out[k] == nil && string(key) == name {
				out[k] = obj[i:vend]
				found++
			}
		}
		if found == len(keys) {
			return out, nil
		}
		i = skipSpace(obj, vend)
		if i >= len(obj) {
			return nil, fmt.Errorf("%w: unterminated object", errSyntax)
		}
		if obj[i] == '}' {
			return out, nil
		}
		if obj[i] != ',' {
			return nil, fmt.Errorf("%w: want , or }", errSyntax)
		}
		i = skipSpace(obj, i+1)
	}
}

// str decodes a raw JSON string; null, a missing value or a non-string is "".
func str(raw []byte) string {
	if len(raw) < 2 || raw[0] != '"' {
		return ""
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner)
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// maxDepth bounds nesting, so hostile input cannot recurse without end.
const maxDepth = 256

// skipValue returns the end of the JSON value starting at b[i], at nesting depth.
func skipValue(b []byte, i, depth int) (int, error) {
	if depth > maxDepth {
		return 0, fmt.Errorf("%w: nested too deeply", errSyntax)
	}
	if i >= len(b) {
		return 0, fmt.Errorf("%w: unexpected end", errSyntax)
	}
	switch c := b[i]; {
	case c == '"':
		return skipString(b, i)
	case c == '{':
		return skipComposite(b, i, depth, '}', true)
	case c == '[':
		return skipComposite(b, i, depth, ']', false)
	case c == 't':
		return skipLiteral(b, i, "true")
	case c == 'f':
		return skipLiteral(b, i, "false")
	case c == 'n':
		return skipLiteral(b, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return skipNumber(b, i)
	}
	return 0, fmt.Errorf("%w: unexpected %q", errSyntax, b[i])
}

// skipComposite skips an object (members) or an array. Nesting recurses; Okta documents are shallow.
func skipComposite(b []byte, i, depth int, closer byte, members bool) (int, error) {
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == closer {
		return i + 1, nil
	}
	for {
		if members {
			if i >= len(b) || b[i] != '"' {
				return 0, fmt.Errorf("%w: want a member name", errSyntax)
			}
			end, err := skipString(b, i)
			if err != nil {
				return 0, err
			}
			i = skipSpace(b, end)
			if i >= len(b) || b[i] != ':' {
				return 0, fmt.Errorf("%w: want a colon", errSyntax)
			}
			i = skipSpace(b, i+1)
		}
		end, err := skipValue(b, i, depth+1)
		if err != nil {
			return 0, err
		}
		i = skipSpace(b, end)
		if i >= len(b) {
			return 0, fmt.Errorf("%w: unexpected end", errSyntax)
		}
		if b[i] == closer {
			return i + 1, nil
		}
		if b[i] != ',' {
			return 0, fmt.Errorf("%w: want , or %c", errSyntax, closer)
		}
		i = skipSpace(b, i+1)
	}
}

func skipString(b []byte, i int) (int, error) {
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			if i+1 >= len(b) {
				return 0, fmt.Errorf("%w: unterminated escape", errSyntax)
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if i+5 >= len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return 0, fmt.Errorf("%w: bad \\u escape", errSyntax)
				}
				i += 5
			default:
				return 0, fmt.Errorf("%w: bad escape", errSyntax)
			}
		case c < 0x20:
			return 0, fmt.Errorf("%w: control character in string", errSyntax)
		}
	}
	return 0, fmt.Errorf("%w: unterminated string", errSyntax)
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func skipLiteral(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return 0, fmt.Errorf("%w: bad literal", errSyntax)
	}
	return i + len(lit), nil
}

// skipNumber follows JSON's number grammar: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
func skipNumber(b []byte, i int) (int, error) {
	digits := func(i int) int {
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i
	}
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(i)
	default:
		return 0, fmt.Errorf("%w: bad number", errSyntax)
	}
	if i < len(b) && b[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return 0, fmt.Errorf("%w: bad number", errSyntax)
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return 0, fmt.Errorf("%w: bad number", errSyntax)
		}
		i = j
	}
	return i, nil
}
