package github

import "testing"

// TestResolveEmailOrder: SAML nameId, then SCIM primary email, then SCIM username, then verified-domain emails,
// then the public profile; only email-shaped values count; the result is trimmed and lower-cased; nothing is
// invented.
func TestResolveEmailOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		give emailSources
		want string
	}{
		{give: emailSources{}, want: ""},
		{give: emailSources{SAMLNameID: "Ann@Acme.example", SCIMPrimary: []string{"scim@acme.example"}, SCIMUsername: "user@acme.example",
			VerifiedDomains: []string{"v@acme.example"}, Public: "p@home.example"}, want: "ann@acme.example"},
		{give: emailSources{SAMLNameID: "E12345", SCIMPrimary: []string{"scim@acme.example"}, SCIMUsername: "user@acme.example",
			VerifiedDomains: []string{"v@acme.example"}, Public: "p@home.example"}, want: "scim@acme.example"},
		{give: emailSources{SAMLNameID: "E12345", SCIMUsername: " User@Acme.example ", VerifiedDomains: []string{"v@acme.example"}}, want: "user@acme.example"},
		{give: emailSources{SCIMUsername: "jdoe", VerifiedDomains: []string{"not an email", "v@acme.example", "w@acme.example"},
			Public: "p@home.example"}, want: "v@acme.example"},
		{give: emailSources{SAMLNameID: "jdoe", VerifiedDomains: []string{}, Public: "P@Home.example"}, want: "p@home.example"},
		{give: emailSources{SAMLNameID: "a@b@c", Public: "Display Name <x@y.example>"}, want: ""},
		{give: emailSources{Public: "two words@x.example"}, want: ""},
	}
	for _, tt := range tests {
		if got := resolveEmail(tt.give); got != tt.want {
			t.Errorf("resolveEmail(%+v) = %q, want %q", tt.give, got, tt.want)
		}
	}
}
