package entra

import (
	"context"
	"encoding/json"
	"net/url"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Admins: an account is an admin when it holds a directory role (providers.md §3.2): a member of an activated
// directory role, or a member of a role-assignable group that is one. /directoryRoles/{id}/members names each
// member's type, which role assignments do not. The roles stage reads them and stores the roles and their
// members; a Source that resumes a later stage reads them again.

// roleRead is one directory role and its members as read.
type roleRead struct {
	id      string
	raw     json.RawMessage
	members []object
}

// loadAdmins reads the directory roles and the admins once per Source. A 403 on any of its listings leaves them
// unknown: the accounts are then not rewritten (their admin flag would be wrong) and the error says why.
func (s *Source) loadAdmins(ctx context.Context) error {
	if s.mem.adminsKnown {
		return nil
	}
	if s.mem.adminsErr != nil {
		return s.mem.adminsErr
	}
	err := s.readAdmins(ctx)
	if isForbidden(err) {
		s.mem.adminsErr = err
	}
	return err
}

func (s *Source) readAdmins(ctx context.Context) error {
	admins := map[string]bool{}
	var groups []string
	var roles []roleRead
	err := s.eachItem(ctx, "list directory roles", "/directoryRoles?$select=id,displayName,description,roleTemplateId",
		func(item json.RawMessage, o object) error {
			roles = append(roles, roleRead{id: o.ID, raw: item})
			return nil
		})
	if err != nil {
		return err
	}
	for i, r := range roles {
		err := s.eachItem(ctx, "list directory role members", "/directoryRoles/"+url.PathEscape(r.id)+"/members?$select=id",
			func(_ json.RawMessage, m object) error {
				roles[i].members = append(roles[i].members, m)
				id, kind, ok := principal(m.Type, m.ID)
				switch {
				case !ok:
				case kind == sspm.MemberGroup:
					groups = append(groups, id)
				default:
					admins[id] = true
				}
				return nil
			})
		if err != nil {
			return err
		}
	}
	for _, g := range groups {
		err := s.eachItem(ctx, "list group members", "/groups/"+url.PathEscape(g)+"/members?$select=id&$top=999",
			func(_ json.RawMessage, m object) error {
				if id, kind, ok := principal(m.Type, m.ID); ok && kind == sspm.MemberAccount {
					admins[id] = true
				}
				return nil
			})
		if err != nil {
			return err
		}
	}
	s.mem.admins, s.mem.roles, s.mem.adminsKnown = admins, roles, true
	return nil
}

// eachItem reads every page of a small listing.
func (s *Source) eachItem(ctx context.Context, op, link string, f func(item json.RawMessage, o object) error) error {
	for link != "" {
		p, err := s.readPage(ctx, op, link)
		if err != nil {
			return err
		}
		for _, item := range p.Value {
			o, err := idOf(op, item)
			if err != nil {
				return err
			}
			if err := f(item, o); err != nil {
				return err
			}
		}
		link = p.Next
	}
	return nil
}
