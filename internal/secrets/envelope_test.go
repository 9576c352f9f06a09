package secrets_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/secrets"
)

func TestEnvelopeEncoding(t *testing.T) {
	env := secrets.Envelope{KeyID: "k1", WrappedKey: []byte{0xAA, 0xBB}, Sealed: bytes.Repeat([]byte{0xCC}, 28)}
	want := []byte("OSSE\x01" + "\x00\x02k1" + "\x00\x02\xAA\xBB" + "\x00\x00\x00\x1c" + strings.Repeat("\xCC", 28))
	got, err := env.MarshalBinary()
	if err != nil {
		t.Fatalf("MarshalBinary: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("MarshalBinary =\n%x\nwant\n%x", got, want)
	}
	back, err := secrets.ParseEnvelope(got)
	if err != nil {
		t.Fatalf("ParseEnvelope: %v", err)
	}
	if back.KeyID != env.KeyID || !bytes.Equal(back.WrappedKey, env.WrappedKey) || !bytes.Equal(back.Sealed, env.Sealed) {
		t.Fatalf("ParseEnvelope = %+v, want %+v", back, env)
	}
}

func TestParseEnvelopeRejects(t *testing.T) {
	good := "OSSE\x01" + "\x00\x02k1" + "\x00\x02\xAA\xBB" + "\x00\x00\x00\x1c" + strings.Repeat("\xCC", 28)
	tests := []struct {
		name    string
		give    string
		wantErr string
	}{
		{name: "empty", give: "", wantErr: "no envelope header"},
		{name: "other magic", give: "OSSX" + good[4:], wantErr: "no envelope header"},
		{name: "version 2", give: "OSSE\x02" + good[5:], wantErr: "unknown version 2"},
		{name: "truncated", give: good[:len(good)-1], wantErr: "truncated"},
		{name: "trailing byte", give: good + "\x00", wantErr: "1 trailing bytes"},
		{name: "empty key id", give: "OSSE\x01\x00\x00" + good[9:], wantErr: "key id length 0"},
		{name: "empty wrapped key", give: "OSSE\x01\x00\x02k1\x00\x00" + good[13:], wantErr: "empty wrapped key"},
		{name: "short sealed secret", give: "OSSE\x01\x00\x02k1\x00\x02\xAA\xBB\x00\x00\x00\x01\xCC", wantErr: "sealed secret of 1 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := secrets.ParseEnvelope([]byte(tt.give))
			if !errors.Is(err, secrets.ErrCannotOpen) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want ErrCannotOpen with %q", err, tt.wantErr)
			}
		})
	}
}

func TestEnvelopeMarshalRejects(t *testing.T) {
	sealed := make([]byte, 28)
	tests := []struct {
		name string
		give secrets.Envelope
	}{
		{name: "no key id", give: secrets.Envelope{WrappedKey: []byte{1}, Sealed: sealed}},
		{name: "long key id", give: secrets.Envelope{KeyID: strings.Repeat("k", 1025), WrappedKey: []byte{1}, Sealed: sealed}},
		{name: "no wrapped key", give: secrets.Envelope{KeyID: "k", Sealed: sealed}},
		{name: "long wrapped key", give: secrets.Envelope{KeyID: "k", WrappedKey: make([]byte, 1<<16), Sealed: sealed}},
		{name: "short sealed secret", give: secrets.Envelope{KeyID: "k", WrappedKey: []byte{1}, Sealed: sealed[:27]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.give.MarshalBinary(); err == nil {
				t.Fatal("MarshalBinary succeeded")
			}
		})
	}
}
