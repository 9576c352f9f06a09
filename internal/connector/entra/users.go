package entra

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// userSelect are the user properties read (providers.md §3.2); signInActivity needs Entra ID P1 and caps pages at
// 120 users.
const userSelect = "id,displayName,mail,userPrincipalName,otherMails,proxyAddresses,userType,accountEnabled," +
	"createdDateTime,externalUserState,onPremisesSyncEnabled,employeeId"

func usersFirst(noSignIn bool) string {
	if noSignIn {
		return "/users?$select=" + userSelect + "&$top=999"
	}
	return "/users?$select=" + userSelect + ",signInActivity&$top=999"
}

// msgNoSignIn says why accounts have no last sign-in.
const msgNoSignIn = "sign-in activity unavailable: the tenant has no Entra ID P1 (last sign-in is left empty)"

// usersStep reads a page of users: the whole listing (first run, and every full re-enumeration), or the users
// delta in between (delta.go).
func (s *Source) usersStep(ctx context.Context, cursor string) (sspm.StepResult, error) {
	var cur walk
	if err := decodeCursor(cursor, &cur); err != nil {
		return sspm.StepResult{}, err
	}
	var res sspm.StepResult
	cur, res.Message = s.plan(cur)
	if err := s.loadAdmins(ctx); isForbidden(err) {
		return sspm.StepResult{Unavailable: []sspm.Entity{sspm.EntityAccounts},
			Message: "accounts not read: their admin flags are unknown: " + err.Error()}, nil
	} else if err != nil {
		return sspm.StepResult{}, err
	}
	if cur.Delta != nil && cur.Delta.Mode == "delta" {
		return s.deltaStep(ctx, cur, s.usersDelta())
	}
	var msg string
	var err error
	if cur, msg, err = s.startFull(ctx, cur, s.usersDelta()); err != nil {
		return sspm.StepResult{}, err
	}
	res.Message = joinMessages(res.Message, msg)
	if cur.NoSignIn {
		res.Message = joinMessages(res.Message, msgNoSignIn)
	}
	st := s.stepper()
	link := cur.Page
	if link == "" {
		link = usersFirst(cur.NoSignIn)
	}
	for !st.full(len(res.Page.Accounts)) {
		p, err := s.readPage(ctx, "list users", link)
		st.requests++
		switch {
		case expired(err) && cur.Page != "": // the page token expired: the listing starts over (upserts again)
			cur.Page, link = "", usersFirst(cur.NoSignIn)
			res.Message = joinMessages(res.Message, "the users page token expired; the listing starts over")
			continue
		case nonPremium(err) && !cur.NoSignIn && cur.Page == "":
			cur.NoSignIn, link = true, usersFirst(true)
			res.Message = joinMessages(res.Message, msgNoSignIn)
			continue
		case isForbidden(err):
			res.Unavailable = append(res.Unavailable, sspm.EntityAccounts)
			res.Message = joinMessages(res.Message, err.Error())
			return res, nil
		case err != nil:
			return sspm.StepResult{}, err
		}
		for _, item := range p.Value {
			a, err := s.mapUser(item)
			if err != nil {
				return sspm.StepResult{}, err
			}
			res.Page.Accounts = append(res.Page.Accounts, a)
		}
		if p.Next == "" {
			res.Watermark = endFull(cur)
			return res, nil
		}
		link, cur.Page = p.Next, p.Next
	}
	cur.Page = link
	res.Next = encodeCursor(cur)
	return res, nil
}

// user is the part of a Graph user the connector maps.
type user struct {
	ID                string   `json:"id"`
	DisplayName       string   `json:"displayName"`
	Mail              string   `json:"mail"`
	UPN               string   `json:"userPrincipalName"`
	OtherMails        []string `json:"otherMails"`
	ProxyAddresses    []string `json:"proxyAddresses"`
	UserType          string   `json:"userType"`
	AccountEnabled    *bool    `json:"accountEnabled"`
	ExternalUserState string   `json:"externalUserState"`
	SignInActivity    *struct {
		Last           *time.Time `json:"lastSignInDateTime"`
		NonInteractive *time.Time `json:"lastNonInteractiveSignInDateTime"`
		Successful     *time.Time `json:"lastSuccessfulSignInDateTime"`
	} `json:"signInActivity"`
}

// Normalized statuses (providers.md §1.1).
const (
	statusActive    = "active"
	statusPending   = "pending"
	statusSuspended = "suspended"
)

// mapUser maps a Graph user to an account; its admin flag comes from the directory roles.
func (s *Source) mapUser(item json.RawMessage) (sspm.Account, error) {
	var u user
	if err := json.Unmarshal(item, &u); err != nil || u.ID == "" {
		return sspm.Account{}, &sspm.Error{Code: sspm.CodeUnavailable, Message: "entra list users: a user without an id"}
	}
	a := sspm.Account{ExternalID: u.ID, Kind: sspm.AccountUser, Email: userEmail(u), Username: u.UPN,
		DisplayName: u.DisplayName, Raw: item, IsAdmin: s.mem.admins[u.ID]}
	// A B2B guest (userType Guest, kept in the raw record) is a person, so an account of kind user that the
	// people rules (MFA gaps, leavers, guest admins) see; but someone else's person: the linking never links it
	// by email (and so never anchors an identity with it), and it waits in "Microsoft Entra ID users needing
	// anchor" with the reason guest for a decision.
	switch {
	case u.AccountEnabled != nil && !*u.AccountEnabled:
		a.Status = statusSuspended
	case strings.EqualFold(u.UserType, "Guest") && strings.EqualFold(u.ExternalUserState, "PendingAcceptance"):
		a.Status = statusPending
	default:
		a.Status = statusActive
	}
	a.Active = a.Status == statusActive || a.Status == statusPending
	if si := u.SignInActivity; si != nil {
		switch {
		case si.Successful != nil && !si.Successful.IsZero():
			a.LastLoginAt = si.Successful.UTC()
		default:
			for _, t := range []*time.Time{si.Last, si.NonInteractive} {
				if t != nil && t.After(a.LastLoginAt) {
					a.LastLoginAt = t.UTC()
				}
			}
		}
	}
	return a, nil
}

// userEmail derives the linking email (providers.md §3.2): mail; for guests their first other mail; the UPN
// unless it is a guest's #EXT# name; other mails; the primary SMTP proxy address.
func userEmail(u user) string {
	cands := []string{u.Mail}
	if strings.EqualFold(u.UserType, "Guest") && len(u.OtherMails) > 0 {
		cands = append(cands, u.OtherMails[0])
	}
	if !strings.Contains(strings.ToUpper(u.UPN), "#EXT#") {
		cands = append(cands, u.UPN)
	}
	cands = append(cands, u.OtherMails...)
	for _, p := range u.ProxyAddresses {
		if strings.HasPrefix(p, "SMTP:") {
			cands = append(cands, strings.TrimPrefix(p, "SMTP:"))
		}
	}
	for _, c := range cands {
		if e := strings.ToLower(strings.TrimSpace(c)); emailShaped(e) {
			return e
		}
	}
	return ""
}

func emailShaped(e string) bool {
	return strings.Count(e, "@") == 1 && !strings.ContainsAny(e, " \t") && !strings.HasPrefix(e, "@") && !strings.HasSuffix(e, "@")
}

// usersDelta is the users stage's delta: changed users upserted; a user the delta marks @removed expires at once
// with its memberships and grants (sspm.Page.RemovedAccounts), as the full enumeration's sweep would expire it.
// Graph marks a deleted user {"reason": "changed"} while it can be restored from deleted items (30 days) and
// "deleted" once it is gone for good: either way it can no longer sign in, and it has left its groups and roles.
// A restored user comes back in a later delta as changed, and is stored again.
func (s *Source) usersDelta() deltaSpec {
	return deltaSpec{what: "users", latest: "/users/delta?$select=" + userSelect + "&$deltatoken=latest",
		entities: []sspm.Entity{sspm.EntityAccounts},
		emit: func(item json.RawMessage, o object, p *sspm.Page) error {
			if o.Removed != nil {
				p.RemovedAccounts = append(p.RemovedAccounts, o.ID)
				return nil
			}
			a, err := s.mapUser(item)
			if err != nil {
				return err
			}
			p.Accounts = append(p.Accounts, a)
			return nil
		}}
}
