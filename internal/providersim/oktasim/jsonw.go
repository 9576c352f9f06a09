package oktasim

import (
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// jsonw appends JSON to a byte slice without reflection; the hot listing
// endpoints (users, members, app users, logs) encode through it. Commas are
// tracked by one flag: a value sets it, beginning a container or writing a
// key clears it.
type jsonw struct {
	b     []byte
	comma bool
}

// bufPool recycles response buffers between requests.
type bufPool struct{ p sync.Pool }

func (bp *bufPool) get() *jsonw {
	if w, ok := bp.p.Get().(*jsonw); ok {
		w.b, w.comma = w.b[:0], false
		return w
	}
	return &jsonw{b: make([]byte, 0, 64<<10)}
}

func (bp *bufPool) put(w *jsonw) {
	if cap(w.b) <= 4<<20 {
		bp.p.Put(w)
	}
}

func (w *jsonw) sep() {
	if w.comma {
		w.b = append(w.b, ',')
	}
}

func (w *jsonw) beginObject() { w.sep(); w.b = append(w.b, '{'); w.comma = false }
func (w *jsonw) endObject()   { w.b = append(w.b, '}'); w.comma = true }
func (w *jsonw) beginArray()  { w.sep(); w.b = append(w.b, '['); w.comma = false }
func (w *jsonw) endArray()    { w.b = append(w.b, ']'); w.comma = true }

// key writes "k": ; k must not need escaping.
func (w *jsonw) key(k string) {
	w.sep()
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
	w.comma = false
}

func (w *jsonw) str(v string) { w.sep(); w.b = appendQuoted(w.b, v); w.comma = true }
func (w *jsonw) null()        { w.sep(); w.b = append(w.b, "null"...); w.comma = true }
func (w *jsonw) int(v int64)  { w.sep(); w.b = strconv.AppendInt(w.b, v, 10); w.comma = true }
func (w *jsonw) bool(v bool)  { w.sep(); w.b = strconv.AppendBool(w.b, v); w.comma = true }

// raw writes pre-encoded JSON.
func (w *jsonw) raw(v []byte) { w.sep(); w.b = append(w.b, v...); w.comma = true }

// time writes an Okta timestamp ("2026-11-01T09:00:00.000Z"), null when zero.
func (w *jsonw) time(t time.Time) {
	if t.IsZero() {
		w.null()
		return
	}
	w.sep()
	w.b = append(w.b, '"')
	w.b = appendOktaTime(w.b, t)
	w.b = append(w.b, '"')
	w.comma = true
}

// appendOktaTime appends t in oktaTime layout; about five times faster than
// time.Time.AppendFormat, which dominated listing profiles.
func appendOktaTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		return t.AppendFormat(b, oktaTime)
	}
	h, mi, sec := t.Clock()
	ms := t.Nanosecond() / 1e6
	return append(b,
		byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+int(mo)/10), byte('0'+int(mo)%10), '-', byte('0'+d/10), byte('0'+d%10), 'T',
		byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':',
		byte('0'+sec/10), byte('0'+sec%10), '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
}

// strOrNull writes v, or null when v is empty.
func (w *jsonw) strOrNull(v string) {
	if v == "" {
		w.null()
		return
	}
	w.str(v)
}

func (w *jsonw) fStr(k, v string)            { w.key(k); w.str(v) }
func (w *jsonw) fStrOrNull(k, v string)      { w.key(k); w.strOrNull(v) }
func (w *jsonw) fTime(k string, t time.Time) { w.key(k); w.time(t) }
func (w *jsonw) fInt(k string, v int64)      { w.key(k); w.int(v) }
func (w *jsonw) fBool(k string, v bool)      { w.key(k); w.bool(v) }
func (w *jsonw) fNull(k string)              { w.key(k); w.null() }

// fStrings writes k: [v...].
func (w *jsonw) fStrings(k string, vs []string) {
	w.key(k)
	w.beginArray()
	for _, v := range vs {
		w.str(v)
	}
	w.endArray()
}

// href writes k: {"href": base+path}.
func (w *jsonw) href(k, base, path string) { w.href3(k, base, path, "") }

// href3 writes k: {"href": base+path+tail} without concatenating strings.
func (w *jsonw) href3(k, base, path, tail string) {
	w.key(k)
	w.beginObject()
	w.key("href")
	w.sep()
	w.b = append(w.b, '"')
	w.b = appendEscaped(w.b, base)
	w.b = appendEscaped(w.b, path)
	w.b = appendEscaped(w.b, tail)
	w.b = append(w.b, '"')
	w.comma = true
	w.endObject()
}

// oktaTime is the timestamp layout Okta uses: UTC with milliseconds.
const oktaTime = "2006-01-02T15:04:05.000Z"

const hexDigits = "0123456789abcdef"

// appendQuoted appends s as a JSON string.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendEscaped(b, s)
	return append(b, '"')
}

// appendEscaped appends s escaped for the inside of a JSON string.
func appendEscaped(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		i++
		start = i
	}
	return append(b, s[start:]...)
}
