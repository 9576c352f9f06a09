package simhttp

import (
	"encoding/base64"
	"encoding/json"
	"slices"
)

// DecodeSegment decodes a base64url (unpadded) JWT segment into v.
func DecodeSegment(seg string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// AudienceIs reports whether a JWT's aud claim, a string or an array of strings, is or holds want.
func AudienceIs(raw json.RawMessage, want string) bool {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one == want
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return slices.Contains(many, want)
	}
	return false
}
