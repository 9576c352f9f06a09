package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	admin "google.golang.org/api/admin/directory/v1"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// neverLoggedIn is the lastLoginTime Google reports for a user who never signed in.
const neverLoggedIn = "1970-01-01T00:00:00.000Z"

// pageCursor is the position in a listing: Google's page token ("" for the first page). Deleted says the users
// stage is in its second listing, the deleted users.
type pageCursor struct {
	Page    string `json:"page,omitempty"`
	Deleted bool   `json:"deleted,omitempty"`
}

// statusDeprovisioned is the status of an account Google lists as deleted.
const statusDeprovisioned = "deprovisioned"

func (s *Source) pageSize(max int64) int64 {
	if s.limits.pageSize > 0 && s.limits.pageSize < max {
		return s.limits.pageSize
	}
	return max
}

// usersStep reads one page of users → accounts: first the live users, then the deleted ones.
//
// Google lists a deleted user only with showDeleted=true (which lists only deleted users) for the 20 days it can
// be restored, then purges it. A deleted user is kept as an account of status deprovisioned, inactive and without
// admin rights (Google removes its role assignments), so that a deletion shows as a deprovisioning rather than a
// vanished account; the run that no longer sees it in either listing (it was purged, or restored and listed live)
// lets the sweep expire or update its row. A user deleted during the run is in both listings: the deleted
// listing, read last, wins. When the deleted listing is refused (403) the live listing still stands: the accounts
// already deprovisioned are kept (unavailable in the run's scope status=deprovisioned), and users deleted since
// the last run expire at the sweep as before. Any other error fails the run, which expires nothing.
func (s *Source) usersStep(ctx context.Context, cursor string) (sspm.StepResult, error) {
	var cur pageCursor
	if err := decodeCursor(cursor, &cur); err != nil {
		return sspm.StepResult{}, err
	}
	var res sspm.StepResult
	if cursor == "" {
		if err := s.checkSubject(ctx); err != nil {
			return res, err
		}
	}
	call := s.c.dir.Users.List().Customer(s.c.customer).MaxResults(s.pageSize(500)).Projection("basic").Context(ctx)
	what := "list users"
	if cur.Deleted {
		call, what = call.ShowDeleted("true"), "list deleted users"
	} else {
		call = call.OrderBy("email")
	}
	if cur.Page != "" {
		call = call.PageToken(cur.Page)
	}
	page, err := call.Do()
	if err != nil {
		err = s.c.apiError(ctx, what, err)
		switch {
		case forbiddenErr(err) && cur.Deleted:
			res.Unavailable = []sspm.Entity{deprovisionedScope()}
			res.Message = err.Error() + "; kept the deprovisioned accounts, users deleted since the last run expire"
			return res, nil
		case forbiddenErr(err):
			res.Unavailable = []sspm.Entity{sspm.EntityAccounts}
			res.Message = err.Error()
			return res, nil
		}
		return res, err
	}
	for _, u := range page.Users {
		a, err := account(u)
		if err != nil {
			return res, err
		}
		if cur.Deleted {
			deprovision(&a)
		}
		res.Page.Accounts = append(res.Page.Accounts, a)
	}
	switch {
	case page.NextPageToken != "":
		res.Next = encodeCursor(pageCursor{Page: page.NextPageToken, Deleted: cur.Deleted})
	case !cur.Deleted:
		res.Next = encodeCursor(pageCursor{Deleted: true})
	}
	return res, nil
}

// deprovisionedScope names the accounts the deleted listing feeds.
func deprovisionedScope() sspm.Entity {
	return sspm.ScopedEntity(sspm.EntityAccounts, map[string]string{"status": statusDeprovisioned})
}

// deprovision marks the account of a deleted user (its raw record has the deletionTime): deprovisioned, inactive,
// without admin rights.
func deprovision(a *sspm.Account) {
	a.Status, a.Active, a.IsAdmin = statusDeprovisioned, false, false
}

// userRaw is what an account keeps of a Directory user.
type userRaw struct {
	ID               string   `json:"id"`
	PrimaryEmail     string   `json:"primaryEmail"`
	Emails           []string `json:"emails,omitempty"`
	Aliases          []string `json:"aliases,omitempty"`
	FullName         string   `json:"fullName,omitempty"`
	Suspended        bool     `json:"suspended"`
	SuspensionReason string   `json:"suspensionReason,omitempty"`
	Archived         bool     `json:"archived"`
	IsAdmin          bool     `json:"isAdmin"`
	IsDelegatedAdmin bool     `json:"isDelegatedAdmin"`
	IsEnrolledIn2Sv  bool     `json:"isEnrolledIn2Sv"`
	IsEnforcedIn2Sv  bool     `json:"isEnforcedIn2Sv"`
	LastLoginTime    string   `json:"lastLoginTime,omitempty"`
	CreationTime     string   `json:"creationTime,omitempty"`
	OrgUnitPath      string   `json:"orgUnitPath,omitempty"`
	IsGuestUser      bool     `json:"isGuestUser,omitempty"`
	CustomerID       string   `json:"customerId,omitempty"`
	DeletionTime     string   `json:"deletionTime,omitempty"` // deleted users only
}

// account maps a Directory user: status active, suspended or archived; admin when a super or delegated admin;
// the 2SV enrolment as the MFA signal; the epoch last login as never.
func account(u *admin.User) (sspm.Account, error) {
	if u.Id == "" {
		return sspm.Account{}, sspm.Errorf(sspm.CodeUnavailable, "google list users: a user without id")
	}
	raw := userRaw{ID: u.Id, PrimaryEmail: u.PrimaryEmail, Aliases: u.Aliases, Suspended: u.Suspended, SuspensionReason: u.SuspensionReason,
		Archived: u.Archived, IsAdmin: u.IsAdmin, IsDelegatedAdmin: u.IsDelegatedAdmin, IsEnrolledIn2Sv: u.IsEnrolledIn2Sv,
		IsEnforcedIn2Sv: u.IsEnforcedIn2Sv, LastLoginTime: u.LastLoginTime, CreationTime: u.CreationTime, OrgUnitPath: u.OrgUnitPath,
		IsGuestUser: u.IsGuestUser, CustomerID: u.CustomerId, DeletionTime: u.DeletionTime}
	if u.Name != nil {
		raw.FullName = u.Name.FullName
	}
	raw.Emails = emailsOf(u.Emails)
	status := "active"
	switch {
	case u.Archived:
		status = "archived"
	case u.Suspended:
		status = "suspended"
	}
	kind := sspm.AccountUser
	if strings.HasSuffix(strings.ToLower(u.PrimaryEmail), ".gserviceaccount.com") {
		kind = sspm.AccountServiceAccount
	}
	enrolled := u.IsEnrolledIn2Sv
	a := sspm.Account{ExternalID: u.Id, Kind: kind, Email: strings.ToLower(u.PrimaryEmail), Username: u.PrimaryEmail,
		DisplayName: raw.FullName, Status: status, Active: status == "active", MFAEnrolled: &enrolled,
		IsAdmin: u.IsAdmin || u.IsDelegatedAdmin}
	if u.LastLoginTime != "" && u.LastLoginTime != neverLoggedIn {
		if t, err := time.Parse(time.RFC3339, u.LastLoginTime); err == nil && t.Unix() > 0 {
			a.LastLoginAt = t.UTC()
		}
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return sspm.Account{}, err
	}
	a.Raw = b
	return a, nil
}

// emailsOf reads the addresses of a user's emails field (a list of objects with address).
func emailsOf(v any) []string {
	list, ok := v.([]any)
	if !ok {
		return nil
	}
	var out []string
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			if addr, ok := m["address"].(string); ok && addr != "" {
				out = append(out, strings.ToLower(addr))
			}
		}
	}
	return out
}

// checkSubject reads the admin the connector acts as, first in a run: a token error (delegation, key, subject)
// or a subject Google refuses the Admin SDK fails the run with what to fix, before anything is written.
func (s *Source) checkSubject(ctx context.Context) error {
	_, err := s.c.dir.Users.Get(s.c.subject).Projection("basic").Fields("id", "isAdmin", "isDelegatedAdmin").Context(ctx).Do()
	if err == nil {
		return nil
	}
	err = s.c.apiError(ctx, "read the admin_email user", err)
	var e *sspm.Error
	if errors.As(err, &e) && e.Code == sspm.CodeForbidden && statusOf(err) == 403 && !strings.Contains(e.Message, "scope is missing") {
		return &sspm.Error{Code: sspm.CodeForbidden, Err: err, Message: fmt.Sprintf(
			"google: admin_email %s is not a Workspace admin: Google refuses it the Admin SDK; set admin_email to an admin "+
				"(ideally with a custom role holding only the read privileges: Users, Groups, Admin roles, Reports)", s.c.subject)}
	}
	if statusOf(err) == 404 {
		return nil // a user the admin may not see by that address: the listings will tell
	}
	return err
}
