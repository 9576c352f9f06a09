package discovery

import (
	"sort"
	"strings"
)

// privilegedScopes are matched as whole tokens (docs/discovery.md#scope-classification).
var privilegedScopes = map[string]bool{
	"directory.readwrite.all": true, "application.readwrite.all": true, "rolemanagement.readwrite.directory": true,
	"mailboxsettings.readwrite": true, "full_access_as_app": true, "files.readwrite.all": true,
	"sites.readwrite.all": true, "user.readwrite.all": true, "offline_access": true,
	"https://mail.google.com/": true, "https://www.googleapis.com/auth/gmail.modify": true,
	"https://www.googleapis.com/auth/drive": true, "https://www.googleapis.com/auth/admin.directory.user": true,
	"https://www.googleapis.com/auth/cloud-platform": true,
	"administration:write":                           true, "members:write": true, "organization_administration:write": true,
}

// ScopeClass is what an app's granted scopes say about it.
type ScopeClass struct {
	Scopes       []string // normalized: split, lower-cased, de-duplicated, sorted
	Privileged   []string
	Confidential []string
}

// ClassifyScopes normalizes scopes (split on space, comma and semicolon) and classifies each token.
func ClassifyScopes(raw []string) ScopeClass {
	set := map[string]bool{}
	for _, r := range raw {
		for _, tok := range strings.FieldsFunc(strings.ToLower(r), func(c rune) bool { return c == ' ' || c == ',' || c == ';' }) {
			set[tok] = true
		}
	}
	var c ScopeClass
	for tok := range set {
		c.Scopes = append(c.Scopes, tok)
		if isPrivileged(tok) {
			c.Privileged = append(c.Privileged, tok)
		}
		if isConfidential(tok) {
			c.Confidential = append(c.Confidential, tok)
		}
	}
	sort.Strings(c.Scopes)
	sort.Strings(c.Privileged)
	sort.Strings(c.Confidential)
	return c
}

func isPrivileged(tok string) bool {
	if privilegedScopes[tok] {
		return true
	}
	return strings.HasPrefix(tok, "okta.") && strings.HasSuffix(tok, ".manage")
}

func isConfidential(tok string) bool {
	for _, p := range []string{"mail.", "files.", "calendar.", "sites.read"} {
		if strings.HasPrefix(tok, p) {
			return true
		}
	}
	for _, m := range []string{"readwrite", "/auth/gmail.", "/auth/drive", "/auth/calendar", "/auth/contacts"} {
		if strings.Contains(tok, m) {
			return true
		}
	}
	return false
}
