package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// AccessAsOf reconstructs the access of an identity at a time from the current inventory and the changes
// recorded since: it starts from each row as it is now (live or expired) and undoes every change observed
// after at. A row with no change after at was present then when it is live now and was first seen by then
// (rows of a connector's baseline have no "added" change). Access through groups follows one level: the
// grants of the groups the identity's accounts were members of at that time.
func (db *DB) AccessAsOf(ctx context.Context, identityID int64, at time.Time) (sspm.AccessAsOf, error) {
	out := sspm.AccessAsOf{IdentityID: identityID, At: at}
	q := db.q
	accts, err := q.AsOfLinkedAccounts(ctx, identityID)
	if err != nil {
		return out, fmt.Errorf("access of identity %d as of %s: accounts: %w", identityID, at.Format(time.RFC3339), err)
	}
	if len(accts) == 0 {
		ok, err := q.APIIdentityExists(ctx, identityID)
		if err != nil {
			return out, fmt.Errorf("access of identity %d: %w", identityID, err)
		}
		if !ok {
			return out, sspm.Errorf(sspm.CodeNotFound, "identity %d not found", identityID)
		}
		return out, nil
	}
	ids := make([]int64, len(accts))
	for i, a := range accts {
		ids[i] = a.ID
	}
	changes, err := q.AsOfAccountChanges(ctx, sqlgen.AsOfAccountChangesParams{AccountIds: ids, After: ts(at)})
	if err != nil {
		return out, fmt.Errorf("access of identity %d: changes: %w", identityID, err)
	}
	firstAfter := map[string]change{} // the earliest change after at, per fact
	for _, c := range changes {
		ch := change{kind: c.Change, old: c.OldValue, identity: c.IdentityID.Int64}
		k := changeKey(c.Entity, c.ConnectorID, c.PrincipalKind, c.PrincipalExternalID, c.TargetExternalID, c.Permission, c.Via, c.ViaExternalID)
		if c.Entity == string(sspm.ChangeEntityAccount) {
			k = accountKey(c.AccountID.Int64, c.Change)
		}
		if c.Entity == string(sspm.ChangeEntityIdentityLink) {
			k = linkKey(c.AccountID.Int64)
		}
		if _, ok := firstAfter[k]; !ok {
			firstAfter[k] = ch
		}
	}
	var conns, exts []string
	for _, a := range accts {
		if !linkedAt(a, identityID, at, firstAfter) {
			continue
		}
		exists, ok := firstAfter[accountKey(a.ID, sspm.ChangeAccountAdded)]
		present := (ok && exists.kind == sspm.ChangeAccountRemoved) ||
			(!ok && !a.ExpiredAt.Valid && !a.FirstSeenAt.Time.After(at))
		if !present {
			continue
		}
		acc := sspm.AccountAsOf{AccountID: a.ID, ConnectorID: a.ConnectorID, ExternalID: a.ExternalID, Kind: a.Kind,
			DisplayName: a.DisplayName, Email: a.Email, Status: a.Status, IsAdmin: a.IsAdmin}
		if c, ok := firstAfter[accountKey(a.ID, sspm.ChangeAccountStatusChanged)]; ok {
			acc.Status = c.old
		}
		if c, ok := firstAfter[accountKey(a.ID, sspm.ChangeAccountAdminGranted)]; ok {
			acc.IsAdmin = c.kind == sspm.ChangeAccountAdminRevoked
		}
		out.Accounts = append(out.Accounts, acc)
		conns, exts = append(conns, a.ConnectorID), append(exts, a.ExternalID)
	}
	if len(out.Accounts) == 0 {
		return out, nil
	}
	since, err := db.historySince(ctx, conns)
	if err != nil {
		return out, err
	}
	out.HistorySince = since
	byAccount := map[string]*sspm.AccountAsOf{}
	for i := range out.Accounts {
		a := &out.Accounts[i]
		byAccount[a.ConnectorID+"\x00"+a.ExternalID] = a
	}
	if err := db.membershipsAsOf(ctx, conns, exts, at, firstAfter, byAccount); err != nil {
		return out, err
	}
	if err := db.grantsAsOf(ctx, conns, exts, at, firstAfter, byAccount); err != nil {
		return out, err
	}
	if err := db.credentialsAsOf(ctx, conns, exts, at, firstAfter, byAccount); err != nil {
		return out, err
	}
	for i := range out.Accounts {
		slices.SortFunc(out.Accounts[i].Access, func(x, y sspm.HeldAccess) int {
			return strings.Compare(string(x.Entity)+x.TargetExternalID+x.Permission+x.ViaExternalID,
				string(y.Entity)+y.TargetExternalID+y.Permission+y.ViaExternalID)
		})
	}
	return out, nil
}

type change struct {
	kind, old string
	identity  int64
}

// changeKey names one fact (a membership, grant or credential) the way both its rows and its changes can.
func changeKey(entity, connectorID, principalKind, principal, target, permission, via, viaID string) string {
	switch entity {
	case string(sspm.ChangeEntityMembership):
		permission, via, viaID = "", "", "" // a role change keeps the membership
	case string(sspm.ChangeEntityCredential):
		principal, permission, via, viaID = "", "", "", ""
	}
	return strings.Join([]string{entity, connectorID, principalKind, principal, target, permission, via, viaID}, "\x00")
}

// accountKey names an account's existence, status or admin flag: the three change independently.
func accountKey(accountID int64, kind string) string {
	attr := "exists"
	switch kind {
	case sspm.ChangeAccountStatusChanged:
		attr = "status"
	case sspm.ChangeAccountAdminGranted, sspm.ChangeAccountAdminRevoked:
		attr = "admin"
	}
	return fmt.Sprintf("account\x00%d\x00%s", accountID, attr)
}

func linkKey(accountID int64) string { return fmt.Sprintf("link\x00%d", accountID) }

// linkedAt reports whether an account was linked to the identity at the time: the earliest link change after
// it says what the link was before; without one, the current link holds if it was made by then.
func linkedAt(a sqlgen.AsOfLinkedAccountsRow, identityID int64, at time.Time, firstAfter map[string]change) bool {
	if c, ok := firstAfter[linkKey(a.ID)]; ok {
		return c.kind == sspm.ChangeIdentityUnlinked && c.identity == identityID
	}
	return a.LinkedIdentityID.Valid && a.LinkedIdentityID.Int64 == identityID && !a.LinkedAt.Time.After(at)
}

// presentAt decides whether a fact held at the time from its row now and its earliest change after it, and
// returns the value (role, permission, scopes) it had then.
func presentAt(live bool, firstSeen time.Time, value string, at time.Time, c change, changed bool) (bool, string) {
	if !changed {
		return live && !firstSeen.After(at), value
	}
	switch c.kind {
	case sspm.ChangeMembershipAdded, sspm.ChangeGrantAdded, sspm.ChangeCredentialAdded:
		return false, ""
	case sspm.ChangeMembershipRoleChanged, sspm.ChangeCredentialScopes, sspm.ChangeMembershipRemoved:
		if c.old != "" {
			return true, c.old
		}
	}
	return true, value // removed, revoked, expired, permission changed away: it held before
}

func (db *DB) historySince(ctx context.Context, connectorIDs []string) (time.Time, error) {
	var since time.Time
	seen := map[string]bool{}
	for _, id := range connectorIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		s, err := db.q.AccessHistorySince(ctx, id)
		if err != nil {
			return since, fmt.Errorf("history of %s: %w", id, err)
		}
		if t := fromTS(s); !t.IsZero() && (since.IsZero() || t.Before(since)) {
			since = t
		}
	}
	return since, nil
}

func (db *DB) membershipsAsOf(ctx context.Context, conns, exts []string, at time.Time, firstAfter map[string]change, byAccount map[string]*sspm.AccountAsOf) error {
	rows, err := db.q.AsOfMemberships(ctx, sqlgen.AsOfMembershipsParams{ConnectorIds: conns, ExternalIds: exts, MemberKind: string(sspm.MemberAccount)})
	if err != nil {
		return fmt.Errorf("memberships as of: %w", err)
	}
	type group struct{ connector, id, name string }
	var groups []group
	memberOf := map[string][]*sspm.AccountAsOf{} // connector + group → accounts that were members
	for _, m := range rows {
		c, changed := firstAfter[changeKey(string(sspm.ChangeEntityMembership), m.ConnectorID, m.MemberKind, m.MemberExternalID, m.GroupExternalID, "", "", "")]
		ok, role := presentAt(m.Live, m.FirstSeenAt.Time, m.Role, at, c, changed)
		if !ok {
			continue
		}
		a := byAccount[m.ConnectorID+"\x00"+m.MemberExternalID]
		a.Access = append(a.Access, sspm.HeldAccess{Entity: sspm.ChangeEntityMembership, TargetExternalID: m.GroupExternalID,
			TargetName: m.GroupName, Permission: role, Via: "direct",
			Privileged: sspm.PrivilegedAccess(role) || sspm.PrivilegedAccess(m.GroupName)})
		gk := m.ConnectorID + "\x00" + m.GroupExternalID
		if _, ok := memberOf[gk]; !ok {
			groups = append(groups, group{m.ConnectorID, m.GroupExternalID, m.GroupName})
		}
		memberOf[gk] = append(memberOf[gk], a)
	}
	if len(groups) == 0 {
		return nil
	}
	gc, gx := make([]string, len(groups)), make([]string, len(groups))
	for i, g := range groups {
		gc[i], gx[i] = g.connector, g.id
	}
	grants, err := db.q.AsOfGrants(ctx, sqlgen.AsOfGrantsParams{ConnectorIds: gc, ExternalIds: gx, PrincipalKind: string(sspm.MemberGroup)})
	if err != nil {
		return fmt.Errorf("group grants as of: %w", err)
	}
	gchanges, err := db.q.AsOfPrincipalChanges(ctx, sqlgen.AsOfPrincipalChangesParams{ConnectorIds: gc, ExternalIds: gx,
		PrincipalKind: string(sspm.MemberGroup), After: ts(at)})
	if err != nil {
		return fmt.Errorf("group changes as of: %w", err)
	}
	groupFirst := map[string]change{}
	for _, c := range gchanges {
		k := changeKey(c.Entity, c.ConnectorID, c.PrincipalKind, c.PrincipalExternalID, c.TargetExternalID, c.Permission, c.Via, c.ViaExternalID)
		if _, ok := groupFirst[k]; !ok {
			groupFirst[k] = change{kind: c.Change, old: c.OldValue}
		}
	}
	names := map[string]string{}
	for _, g := range groups {
		names[g.connector+"\x00"+g.id] = g.name
	}
	for _, g := range grants {
		c, changed := groupFirst[changeKey(string(sspm.ChangeEntityGrant), g.ConnectorID, g.PrincipalKind, g.PrincipalExternalID, g.ResourceExternalID, g.Permission, g.Via, g.ViaExternalID)]
		if ok, _ := presentAt(g.Live, g.FirstSeenAt.Time, g.Permission, at, c, changed); !ok {
			continue
		}
		gk := g.ConnectorID + "\x00" + g.PrincipalExternalID
		for _, a := range memberOf[gk] {
			a.Access = append(a.Access, sspm.HeldAccess{Entity: sspm.ChangeEntityGrant, TargetExternalID: g.ResourceExternalID,
				TargetName: g.ResourceName, Permission: g.Permission, Via: "group", ViaExternalID: g.PrincipalExternalID,
				ViaName: names[gk], Privileged: sspm.PrivilegedAccess(g.Permission)})
		}
	}
	return nil
}

func (db *DB) grantsAsOf(ctx context.Context, conns, exts []string, at time.Time, firstAfter map[string]change, byAccount map[string]*sspm.AccountAsOf) error {
	rows, err := db.q.AsOfGrants(ctx, sqlgen.AsOfGrantsParams{ConnectorIds: conns, ExternalIds: exts, PrincipalKind: string(sspm.MemberAccount)})
	if err != nil {
		return fmt.Errorf("grants as of: %w", err)
	}
	for _, g := range rows {
		c, changed := firstAfter[changeKey(string(sspm.ChangeEntityGrant), g.ConnectorID, g.PrincipalKind, g.PrincipalExternalID, g.ResourceExternalID, g.Permission, g.Via, g.ViaExternalID)]
		if ok, _ := presentAt(g.Live, g.FirstSeenAt.Time, g.Permission, at, c, changed); !ok {
			continue
		}
		a := byAccount[g.ConnectorID+"\x00"+g.PrincipalExternalID]
		a.Access = append(a.Access, sspm.HeldAccess{Entity: sspm.ChangeEntityGrant, TargetExternalID: g.ResourceExternalID,
			TargetName: g.ResourceName, Permission: g.Permission, Via: g.Via, ViaExternalID: g.ViaExternalID,
			Privileged: sspm.PrivilegedAccess(g.Permission)})
	}
	return nil
}

func (db *DB) credentialsAsOf(ctx context.Context, conns, exts []string, at time.Time, firstAfter map[string]change, byAccount map[string]*sspm.AccountAsOf) error {
	rows, err := db.q.AsOfCredentials(ctx, sqlgen.AsOfCredentialsParams{ConnectorIds: conns, ExternalIds: exts})
	if err != nil {
		return fmt.Errorf("credentials as of: %w", err)
	}
	for _, c := range rows {
		ch, changed := firstAfter[changeKey(string(sspm.ChangeEntityCredential), c.ConnectorID, "account", "", c.ExternalID, "", "", "")]
		ok, scopes := presentAt(c.Live, c.FirstSeenAt.Time, c.Scopes, at, ch, changed)
		if !ok {
			continue
		}
		a := byAccount[c.ConnectorID+"\x00"+c.OwnerExternalID]
		name := c.Name
		if name == "" {
			name = c.Kind
		}
		a.Access = append(a.Access, sspm.HeldAccess{Entity: sspm.ChangeEntityCredential, TargetExternalID: c.ExternalID,
			TargetName: name, Permission: scopes, Via: "direct", Privileged: sspm.PrivilegedAccess(scopes)})
	}
	return nil
}
