package awskms

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// refusal wraps a KMS answer that refuses the ciphertext itself: retrying will not help. Its CannotOpen
// method is how secrets.Sealer tells it from transient failures without this package importing secrets.
type refusal struct {
	err error
}

func (r *refusal) Error() string    { return r.err.Error() }
func (r *refusal) Unwrap() error    { return r.err }
func (r *refusal) CannotOpen() bool { return true }

// markRefusal marks InvalidCiphertextException, IncorrectKeyException and NotFoundException as refusals and
// returns other errors unchanged.
func markRefusal(err error) error {
	var (
		invalid   *types.InvalidCiphertextException
		incorrect *types.IncorrectKeyException
		notFound  *types.NotFoundException
	)
	if errors.As(err, &invalid) || errors.As(err, &incorrect) || errors.As(err, &notFound) {
		return &refusal{err: err}
	}
	return err
}
