package secretstest

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/open-sspm/open-sspm/internal/secrets"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Rotation is one key rotation for TestRotation.
type Rotation struct {
	// Old wraps with the key that is rotated out.
	Old sspm.KeyWrapper
	// Rotate rotates the key and returns the wrapper to use from then on: it wraps with the new key and still
	// unwraps what Old wrapped (a local keyring with the old key as previous; KMS with a new key id or new
	// key material).
	Rotate func(t *testing.T) sspm.KeyWrapper
	// Retire, when not nil, withdraws the old key material after every secret but one was rewrapped (a local
	// key without the old key; KMS with the old key deleted) and returns the wrapper to use from then on.
	Retire func(t *testing.T) sspm.KeyWrapper
}

// TestRotation seals secrets under the old key, rotates, rewraps them and checks that they open with the new
// key alone, that their sealed bytes never changed, and that a secret left behind no longer opens once the old
// key is retired.
func TestRotation(t *testing.T, newRotation func(t *testing.T) Rotation) {
	rot := newRotation(t)
	old := secrets.NewSealer(rot.Old)

	ids := []string{"conn-1", "conn-2", "conn-3"}
	sealed := map[string][]byte{}
	for _, id := range ids {
		sealed[id] = mustSeal(t, old, id, secretOf(id))
	}
	const staleID = "conn-stale"
	stale := mustSeal(t, old, staleID, secretOf(staleID))

	w := rot.Rotate(t)
	cur := secrets.NewSealer(w)
	for _, id := range ids {
		mustOpen(t, cur, id, sealed[id], secretOf(id)) // secrets not yet rewrapped still open mid-rotation
		ct, err := cur.Rewrap(t.Context(), id, sealed[id])
		if err != nil {
			t.Fatalf("Rewrap %s: %v", id, err)
		}
		before, after := mustParse(t, sealed[id]), mustParse(t, ct)
		if !bytes.Equal(before.Sealed, after.Sealed) {
			t.Fatalf("Rewrap %s changed the sealed secret", id)
		}
		if after.KeyID != w.KeyID() {
			t.Fatalf("Rewrap %s: key id = %q, want the current key %q", id, after.KeyID, w.KeyID())
		}
		if bytes.Equal(before.WrappedKey, after.WrappedKey) {
			t.Fatalf("Rewrap %s left the wrapped key as it was", id)
		}
		sealed[id] = ct
	}
	fresh := mustSeal(t, cur, "conn-new", secretOf("conn-new"))
	if env := mustParse(t, fresh); env.KeyID != w.KeyID() {
		t.Fatalf("Seal after rotation: key id = %q, want %q", env.KeyID, w.KeyID())
	}

	if rot.Retire == nil {
		return
	}
	retired := secrets.NewSealer(rot.Retire(t))
	for _, id := range ids {
		mustOpen(t, retired, id, sealed[id], secretOf(id))
	}
	mustOpen(t, retired, "conn-new", fresh, secretOf("conn-new"))
	if _, err := retired.Open(t.Context(), staleID, stale); !errors.Is(err, secrets.ErrCannotOpen) {
		t.Fatalf("Open of a secret left under the retired key: err = %v, want ErrCannotOpen", err)
	}
	if _, err := retired.Rewrap(t.Context(), staleID, stale); !errors.Is(err, secrets.ErrCannotOpen) {
		t.Fatalf("Rewrap of a secret left under the retired key: err = %v, want ErrCannotOpen", err)
	}
}

func secretOf(connectorID string) []byte {
	return fmt.Appendf(nil, "secret of %s", connectorID)
}
