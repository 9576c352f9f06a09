package secrets_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/open-sspm/open-sspm/internal/secrets"
)

// bareWrapper "wraps" a data key by copying it and ignores the encryption context, so that a test sees what
// the Sealer itself guarantees. It keeps the data keys it hands out to check that the Sealer zeroes them.
type bareWrapper struct {
	dataKey   []byte
	handedOut [][]byte
	unwrapErr error
}

func (w *bareWrapper) KeyID() string { return "bare" }

func (w *bareWrapper) GenerateDataKey(context.Context, map[string]string) ([]byte, []byte, error) {
	k := bytes.Clone(w.dataKey)
	w.handedOut = append(w.handedOut, k)
	return k, bytes.Clone(w.dataKey), nil
}

func (w *bareWrapper) Unwrap(_ context.Context, _ string, wrapped []byte, _ map[string]string) ([]byte, error) {
	if w.unwrapErr != nil {
		return nil, w.unwrapErr
	}
	k := bytes.Clone(wrapped)
	w.handedOut = append(w.handedOut, k)
	return k, nil
}

func (w *bareWrapper) Rewrap(_ context.Context, keyID string, wrapped []byte, _ map[string]string) ([]byte, string, error) {
	if w.unwrapErr != nil {
		return nil, "", w.unwrapErr
	}
	return bytes.Clone(wrapped), keyID, nil
}

func newBareWrapper() *bareWrapper {
	return &bareWrapper{dataKey: bytes.Repeat([]byte{7}, 32)}
}

func TestSealerBindsConnectorInSealedSecret(t *testing.T) {
	s := secrets.NewSealer(newBareWrapper())
	ct, err := s.Seal(t.Context(), "conn-1", []byte("secret"))
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	if _, err := s.Open(t.Context(), "conn-1", ct); err != nil {
		t.Fatalf("Open: %v", err)
	}
	// The wrapper hands out the same data key for any connector; only the GCM additional data tells them apart.
	if _, err := s.Open(t.Context(), "conn-2", ct); !errors.Is(err, secrets.ErrCannotOpen) {
		t.Fatalf("Open for another connector: err = %v, want ErrCannotOpen", err)
	}
}

func TestSealerZeroesDataKeys(t *testing.T) {
	w := newBareWrapper()
	s := secrets.NewSealer(w)
	ct, err := s.Seal(t.Context(), "conn-1", []byte("secret"))
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	if _, err := s.Open(t.Context(), "conn-1", ct); err != nil {
		t.Fatalf("Open: %v", err)
	}
	if len(w.handedOut) != 2 {
		t.Fatalf("wrapper handed out %d data keys, want 2", len(w.handedOut))
	}
	for i, k := range w.handedOut {
		if !bytes.Equal(k, make([]byte, 32)) {
			t.Errorf("data key %d not zeroed after use", i)
		}
	}
}

// refusalError marks itself as a refusal the way a wrapper outside package secrets does.
type refusalError struct{ refuse bool }

func (e refusalError) Error() string    { return "key service said no" }
func (e refusalError) CannotOpen() bool { return e.refuse }

func TestSealerClassifiesWrapperErrors(t *testing.T) {
	errThrottled := errors.New("throttled")
	tests := []struct {
		name           string
		give           error
		wantCannotOpen bool
	}{
		{name: "refusal", give: refusalError{refuse: true}, wantCannotOpen: true},
		{name: "wrapped refusal", give: errors.Join(errors.New("kms decrypt"), refusalError{refuse: true}), wantCannotOpen: true},
		{name: "not a refusal", give: refusalError{refuse: false}},
		{name: "throttled", give: errThrottled},
		{name: "canceled", give: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newBareWrapper()
			s := secrets.NewSealer(w)
			ct, err := s.Seal(t.Context(), "conn-1", []byte("secret"))
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			w.unwrapErr = tt.give
			_, openErr := s.Open(t.Context(), "conn-1", ct)
			_, rewrapErr := s.Rewrap(t.Context(), "conn-1", ct)
			for op, err := range map[string]error{"Open": openErr, "Rewrap": rewrapErr} {
				if !errors.Is(err, tt.give) {
					t.Errorf("%s: err = %v, want it to wrap %v", op, err, tt.give)
				}
				if got := errors.Is(err, secrets.ErrCannotOpen); got != tt.wantCannotOpen {
					t.Errorf("%s: errors.Is(err, ErrCannotOpen) = %t, want %t (err %v)", op, got, tt.wantCannotOpen, err)
				}
			}
		})
	}
}

func TestSealerRejectsBadInput(t *testing.T) {
	short := newBareWrapper()
	short.dataKey = short.dataKey[:16]
	tests := []struct {
		name string
		run  func(context.Context) error
	}{
		{name: "seal without connector", run: func(ctx context.Context) error {
			_, err := secrets.NewSealer(newBareWrapper()).Seal(ctx, "", []byte("x"))
			return err
		}},
		{name: "open without connector", run: func(ctx context.Context) error {
			_, err := secrets.NewSealer(newBareWrapper()).Open(ctx, "", []byte("x"))
			return err
		}},
		{name: "rewrap without connector", run: func(ctx context.Context) error {
			_, err := secrets.NewSealer(newBareWrapper()).Rewrap(ctx, "", []byte("x"))
			return err
		}},
		{name: "short data key", run: func(ctx context.Context) error {
			_, err := secrets.NewSealer(short).Seal(ctx, "conn-1", []byte("x"))
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(t.Context()); err == nil {
				t.Fatal("succeeded, want an error")
			}
		})
	}
}
