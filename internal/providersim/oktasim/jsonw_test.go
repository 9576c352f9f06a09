package oktasim

import (
	"encoding/json"
	"testing"
	"time"
)

func TestAppendOktaTimeMatchesLayout(t *testing.T) {
	tests := []time.Time{
		time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC),
		time.Date(1999, 1, 2, 3, 4, 5, 678_900_000, time.FixedZone("x", -5*3600)),
		time.Date(2030, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
	}
	for _, give := range tests {
		if got, want := string(appendOktaTime(nil, give)), give.UTC().Format(oktaTime); got != want {
			t.Errorf("appendOktaTime(%v) = %s, want %s", give, got, want)
		}
	}
}

func TestAppendQuotedIsJSON(t *testing.T) {
	for _, give := range []string{"plain", `quote " and \ slash`, "tab\tnew\nline\x01", "ünïcødé ✓", "bad \xff byte"} {
		var got string
		if err := json.Unmarshal(appendQuoted(nil, give), &got); err != nil {
			t.Errorf("%q: %v", give, err)
		}
	}
}
