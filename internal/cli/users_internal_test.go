package cli

import (
	"testing"

	"github.com/open-sspm/open-sspm/internal/auth"
)

// TestNewPasswordComesWithItsHash: every generated password (first admin, reset, dev) is 20 URL-safe characters,
// a new one each time, and returned with the hash that checks it.
func TestNewPasswordComesWithItsHash(t *testing.T) {
	seen := map[string]bool{}
	for range 2 {
		password, hash, err := newPassword()
		if err != nil {
			t.Fatal(err)
		}
		if len(password) != 20 || seen[password] {
			t.Fatalf("password %q: want 20 characters, new each time", password)
		}
		seen[password] = true
		if ok, err := auth.CheckPassword(hash, password); err != nil || !ok {
			t.Fatalf("the hash does not check its password (%v)", err)
		}
	}
}
