package entrasim

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// Properties the simulator serves, and Graph's defaults when $select is absent.
var (
	userProps = setOf("id", "displayName", "givenName", "surname", "mail", "userPrincipalName", "userType",
		"accountEnabled", "jobTitle", "department", "officeLocation", "employeeId", "mobilePhone", "businessPhones",
		"preferredLanguage", "createdDateTime", "externalUserState", "onPremisesSyncEnabled", "otherMails",
		"proxyAddresses", "signInActivity")
	userDefault = []string{"businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
		"officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"}
	userFilterable = setOf("id", "displayName", "mail", "userPrincipalName", "userType", "accountEnabled", "employeeId")

	groupProps = setOf("id", "displayName", "description", "mail", "mailEnabled", "mailNickname", "securityEnabled",
		"groupTypes", "isAssignableToRole", "createdDateTime", "visibility")
	groupDefault = []string{"id", "createdDateTime", "description", "displayName", "groupTypes", "isAssignableToRole",
		"mail", "mailEnabled", "mailNickname", "securityEnabled", "visibility"}
	groupFilterable = setOf("id", "displayName", "mail", "mailEnabled", "mailNickname", "securityEnabled")

	memberProps = union(userProps, groupProps)
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func union(a, b map[string]bool) map[string]bool {
	m := make(map[string]bool, len(a)+len(b))
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

// get returns the user's property value (nil for JSON null).
func (u *user) get(p string) any {
	str := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	switch p {
	case "id":
		return u.id
	case "displayName":
		return str(u.displayName)
	case "givenName":
		return str(u.givenName)
	case "surname":
		return str(u.surname)
	case "mail":
		return str(u.mail)
	case "userPrincipalName":
		return u.upn
	case "userType":
		return u.userType
	case "accountEnabled":
		return u.accountEnabled
	case "jobTitle":
		return str(u.jobTitle)
	case "department":
		return str(u.department)
	case "officeLocation":
		return str(u.officeLocation)
	case "employeeId":
		return str(u.employeeID)
	case "mobilePhone":
		return str(u.mobilePhone)
	case "businessPhones":
		return []string{}
	case "preferredLanguage":
		return nil
	case "createdDateTime":
		return timeJSON(u.created)
	case "externalUserState":
		return str(u.externalState)
	case "onPremisesSyncEnabled":
		if u.onPremSync {
			return true
		}
		return nil
	case "otherMails":
		if u.userType == "Guest" && u.mail != "" {
			return []string{u.mail}
		}
		return []string{}
	case "proxyAddresses":
		if u.mail == "" || u.userType == "Guest" {
			return []string{}
		}
		return []string{"SMTP:" + u.mail}
	case "signInActivity":
		if u.lastSignIn.IsZero() {
			return map[string]any{"lastSignInDateTime": nil, "lastSignInRequestId": nil,
				"lastNonInteractiveSignInDateTime": nil, "lastNonInteractiveSignInRequestId": nil,
				"lastSuccessfulSignInDateTime": nil, "lastSuccessfulSignInRequestId": nil}
		}
		t := timeJSON(u.lastSignIn)
		return map[string]any{"lastSignInDateTime": t, "lastSignInRequestId": u.id,
			"lastNonInteractiveSignInDateTime": t, "lastNonInteractiveSignInRequestId": u.id,
			"lastSuccessfulSignInDateTime": t, "lastSuccessfulSignInRequestId": u.id}
	}
	return nil
}

func (g *group) get(p string) any {
	switch p {
	case "id":
		return g.id
	case "displayName":
		return g.displayName
	case "description":
		if g.description == "" {
			return nil
		}
		return g.description
	case "mail":
		if g.mail == "" {
			return nil
		}
		return g.mail
	case "mailEnabled":
		return g.mailEnabled
	case "mailNickname":
		return g.mailNickname
	case "securityEnabled":
		return g.securityEnabled
	case "groupTypes":
		return g.groupTypes
	case "isAssignableToRole":
		return g.roleAssignable
	case "createdDateTime":
		return timeJSON(g.created)
	case "visibility":
		if len(g.groupTypes) > 0 {
			return "Private"
		}
		return nil
	}
	return nil
}

// writeObject appends a JSON object with the type annotation (when odataType is set), the selected properties
// (id always first) and extra raw members.
func writeObject(b *bytes.Buffer, odataType string, get func(string) any, sel []string, props map[string]bool, extra ...[2]string) {
	b.WriteByte('{')
	first := true
	field := func(name string, raw []byte) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString(strconv.Quote(name))
		b.WriteByte(':')
		b.Write(raw)
	}
	if odataType != "" {
		field("@odata.type", []byte(strconv.Quote(odataType)))
	}
	field("id", []byte(strconv.Quote(get("id").(string))))
	for _, p := range sel {
		if p == "id" || !props[p] {
			continue
		}
		raw, _ := json.Marshal(get(p))
		field(p, raw)
	}
	for _, e := range extra {
		field(e[0], []byte(e[1]))
	}
	b.WriteByte('}')
}
