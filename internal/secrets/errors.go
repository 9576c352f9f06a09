package secrets

import "errors"

// ErrCannotOpen reports a ciphertext that will not open with the wrapper's keys: it is malformed or tampered
// with, it belongs to another connector, or the key that wrapped its data key refused it or is gone.
// Retrying does not help; the secret has to be entered again or the old key restored. Errors wrapping it never
// carry key material or plaintext.
var ErrCannotOpen = errors.New("secret cannot be opened")

// refusal is how a KeyWrapper outside this package marks an error as a refusal of the ciphertext itself
// (wrong key, wrong encryption context, tampered or unknown wrapped key), as opposed to a failure worth
// retrying (network, throttling, permissions). Sealer reports such errors as ErrCannotOpen.
type refusal interface {
	CannotOpen() bool
}

// refused reports whether err from a KeyWrapper means the wrapped key cannot be opened.
func refused(err error) bool {
	if errors.Is(err, ErrCannotOpen) {
		return true
	}
	var r refusal
	return errors.As(err, &r) && r.CannotOpen()
}
