package okta

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/open-sspm/open-sspm/internal/connector/rawhttp"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Phases of an app in the apps stage: its group assignments, then its user assignments.
const (
	phaseGroups = "g"
	phaseUsers  = "u"
)

// PermissionAssigned is the permission of app assignment grants.
const PermissionAssigned = "assigned"

// appsStep reads the apps (resources, and okta:apps dataset rows), then per app its group assignments (grants
// to groups) and its user assignments (grants to accounts: direct ones, and for users in assigned groups one
// grant per group with Via "group").
func (s *Source) appsStep(ctx context.Context, cursor string) (sspm.StepResult, error) {
	var cur listCursor
	if err := decodeCursor(cursor, &cur); err != nil {
		return sspm.StepResult{}, err
	}
	var res sspm.StepResult
	st := s.stepper()
	for {
		pg := s.mem.appPage
		if pg == nil || pg.token != cur.Page {
			page, refs, err := s.appsPage(ctx, cur.Page)
			if rawhttp.Forbidden(err) {
				res.Unavailable = []sspm.Entity{sspm.EntityResources, sspm.EntityGrants, sspm.DatasetEntity(DatasetApps)}
				res.Message = "apps unavailable (403): kept the stored apps and grants"
				return res, nil
			}
			if err != nil {
				return sspm.StepResult{}, err
			}
			st.requests++
			pg = &parentPage{token: cur.Page, next: page.next}
			for _, r := range refs {
				pg.ids = append(pg.ids, r.ID)
			}
			s.mem.appPage = pg
			if !cur.Loaded {
				if cur.Page == "" {
					s.mem.apps, s.mem.appsFromTop, s.mem.appsComplete = nil, true, false
				}
				if s.mem.appsFromTop {
					s.mem.apps = append(s.mem.apps, refs...)
				}
				if err := appRows(page.items, refs, &res.Page); err != nil {
					return sspm.StepResult{}, wrapf("list apps", err)
				}
			}
		}
		cur.Loaded = true
		i := locate(pg.ids, cur.Index, cur.ID)
		if cur.Skip {
			i = len(pg.ids)
		}
		for i < len(pg.ids) {
			if st.full(res.Page.Len()) {
				cur.Index, cur.ID = i, pg.ids[i]
				res.Next = encodeCursor(cur)
				return res, nil
			}
			done, err := s.appStep(ctx, pg.ids[i], &cur, &res.Page, &st)
			if rawhttp.Forbidden(err) { // the assignments of the remaining apps are not read either
				res.Unavailable = append(res.Unavailable, sspm.EntityGrants)
				res.Message = "app assignments unavailable (403): kept the stored grants"
				cur.Skip = true
				break
			}
			if err != nil {
				return sspm.StepResult{}, err
			}
			if s.mem.viaUnknown && !slices.Contains(res.Unavailable, sspm.EntityGrants) {
				res.Unavailable = append(res.Unavailable, sspm.EntityGrants)
				res.Message = "group members unavailable (403): assignments through groups not read, kept the stored grants"
			}
			if done {
				i++
				cur.Phase, cur.After = "", ""
			}
		}
		if pg.next == "" {
			s.mem.appsComplete = s.mem.appsFromTop
			return res, nil
		}
		cur = listCursor{Page: pg.next, Skip: cur.Skip}
		if st.full(res.Page.Len()) {
			res.Next = encodeCursor(cur)
			return res, nil
		}
	}
}

// appStep reads one page of an app's group or user assignments; done says the app is finished.
func (s *Source) appStep(ctx context.Context, appID string, cur *listCursor, page *sspm.Page, st *stepper) (done bool, err error) {
	if list, ok := s.mem.appGroupLists[appID]; ok && cur.Phase == "" {
		// Read at the start of the groups stage in this invocation: the group assignments are not read again.
		s.mem.appGroupsOf, s.mem.appGroups = appID, slices.Clone(list)
		for _, gid := range list {
			page.Grants = append(page.Grants, sspm.Grant{PrincipalExternalID: gid, PrincipalKind: sspm.MemberGroup, ResourceExternalID: appID,
				Permission: PermissionAssigned, Via: "direct"})
		}
		cur.Phase, cur.After = phaseUsers, ""
		return false, nil
	}
	if cur.Phase == "" || cur.Phase == phaseGroups {
		if cur.After == "" {
			s.mem.appGroupsOf, s.mem.appGroups = appID, nil
		}
		grants, next, err := s.appGroupsPage(ctx, appID, cur.After)
		st.requests++
		if rawhttp.StatusOf(err) == 404 { // deleted since the apps page was read
			return true, nil
		}
		if err != nil {
			return false, err
		}
		page.Grants = append(page.Grants, grants...)
		cur.Phase, cur.After = phaseGroups, next
		if next == "" {
			cur.Phase = phaseUsers
		}
		return false, nil
	}
	if s.mem.appGroupsOf != appID { // resumed by a new Source: read the app's groups again
		if err := s.loadAppGroups(ctx, appID); rawhttp.StatusOf(err) == 404 {
			return true, nil
		} else if err != nil {
			return false, err
		}
	}
	if err := s.indexGroups(ctx, s.mem.appGroups); rawhttp.Forbidden(err) {
		s.mem.viaUnknown = true // grants through groups cannot be told: only direct ones are emitted
	} else if err != nil {
		return false, err
	}
	grants, next, err := s.appUsersPage(ctx, appID, cur.After)
	st.requests++
	if rawhttp.StatusOf(err) == 404 {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	page.Grants = append(page.Grants, grants...)
	cur.After = next
	return next == "", nil
}

// appsPage reads a page of apps.
func (s *Source) appsPage(ctx context.Context, after string) (rawPage, []appRef, error) {
	p, err := s.c.list(ctx, "list apps", func(ctx context.Context) (*okta.APIResponse, error) {
		r := s.c.api.ApplicationAPI.ListApplications(ctx).Limit(appsPageSize)
		if after != "" {
			r = r.After(after)
		}
		_, resp, err := r.Execute()
		return resp, err
	})
	if err != nil {
		return rawPage{}, nil, err
	}
	refs := make([]appRef, 0, len(p.items))
	for _, item := range p.items {
		ref, err := mapApp(item)
		if err != nil {
			return rawPage{}, nil, wrapf("list apps", err)
		}
		refs = append(refs, ref)
	}
	return p, refs, nil
}

// listAllApps reads every app (for datasets and discovery when the apps stage did not run in this invocation).
func (s *Source) listAllApps(ctx context.Context) ([]appRef, error) {
	if s.mem.appsComplete {
		return s.mem.apps, nil
	}
	var all []appRef
	after := ""
	for {
		p, refs, err := s.appsPage(ctx, after)
		if err != nil {
			return nil, err
		}
		all = append(all, refs...)
		if p.next == "" {
			break
		}
		after = p.next
	}
	s.mem.apps, s.mem.appsComplete, s.mem.appsFromTop = all, true, true
	return all, nil
}

// appRows emits an apps page as resources and okta:apps dataset rows.
func appRows(items [][]byte, refs []appRef, page *sspm.Page) error {
	for i, item := range items {
		r := refs[i]
		link := ""
		if r.Domain != "" {
			link = "https://" + r.Domain
		}
		page.Resources = append(page.Resources, sspm.Resource{ExternalID: r.ID, Kind: "app", Name: r.Label, URL: link, Raw: item})
		id := "okta_app:" + r.ID
		row, err := augment(item, map[string]any{
			"resource_id": id, "display": r.Label, "sign_on_mode": signOnMode(item), "access_policy_id": r.AccessPolicy,
		}, nil)
		if err != nil {
			return err
		}
		page.Datasets = append(page.Datasets, sspm.DatasetRow{Dataset: DatasetApps, ExternalID: id, Raw: row})
	}
	return nil
}

func signOnMode(item []byte) string {
	f, err := fields(item, "signOnMode")
	if err != nil {
		return ""
	}
	return str(f[0])
}

// appGroupsPage reads a page of an app's group assignments → grants to the groups.
func (s *Source) appGroupsPage(ctx context.Context, appID, after string) ([]sspm.Grant, string, error) {
	p, err := s.c.list(ctx, "list app groups", func(ctx context.Context) (*okta.APIResponse, error) {
		r := s.c.api.ApplicationGroupsAPI.ListApplicationGroupAssignments(ctx, appID).Limit(appGroupsPageSize)
		if after != "" {
			r = r.After(after)
		}
		_, resp, err := r.Execute()
		return resp, err
	})
	if err != nil {
		return nil, "", err
	}
	grants := make([]sspm.Grant, 0, len(p.items))
	for _, item := range p.items {
		f, err := fields(item, "id")
		gid := ""
		if err == nil {
			gid = str(f[0])
		}
		if gid == "" {
			return nil, "", sspm.Errorf(sspm.CodeUnavailable, "okta list app groups: an assignment without group id")
		}
		if !slices.Contains(s.mem.appGroups, gid) {
			s.mem.appGroups = append(s.mem.appGroups, gid)
		}
		grants = append(grants, sspm.Grant{PrincipalExternalID: gid, PrincipalKind: sspm.MemberGroup, ResourceExternalID: appID,
			Permission: PermissionAssigned, Via: "direct"})
	}
	return grants, p.next, nil
}

// loadAppGroups reads all of an app's group assignments into memory.
func (s *Source) loadAppGroups(ctx context.Context, appID string) error {
	s.mem.appGroupsOf, s.mem.appGroups = appID, nil
	after := ""
	for {
		_, next, err := s.appGroupsPage(ctx, appID, after)
		if err != nil {
			s.mem.appGroupsOf = ""
			return err
		}
		if next == "" {
			return nil
		}
		after = next
	}
}

// appUsersPage reads a page of an app's user assignments. A USER-scoped assignment is a direct grant; a user in
// assigned groups also gets a grant per group (Via "group"); a GROUP-scoped assignment whose group is not known
// (membership changed since the groups were read) is a group grant without the group.
func (s *Source) appUsersPage(ctx context.Context, appID, after string) ([]sspm.Grant, string, error) {
	p, err := s.c.list(ctx, "list app users", func(ctx context.Context) (*okta.APIResponse, error) {
		r := s.c.api.ApplicationUsersAPI.ListApplicationUsers(ctx, appID).Limit(appUsersPageSize)
		if after != "" {
			r = r.After(after)
		}
		_, resp, err := r.Execute()
		return resp, err
	})
	if err != nil {
		return nil, "", err
	}
	grants := make([]sspm.Grant, 0, len(p.items))
	for _, item := range p.items {
		f, err := fields(item, "id", "scope")
		if err != nil || len(f[0]) < 3 || f[0][0] != '"' {
			return nil, "", sspm.Errorf(sspm.CodeUnavailable, "okta list app users: an assignment without user id")
		}
		uid := string(f[0][1 : len(f[0])-1])
		g := sspm.Grant{PrincipalExternalID: uid, PrincipalKind: sspm.MemberAccount, ResourceExternalID: appID, Permission: PermissionAssigned}
		direct := str(f[1]) != "GROUP"
		if direct {
			g.Via = "direct"
			grants = append(grants, g)
		}
		if s.mem.viaUnknown {
			continue
		}
		via := s.mem.members.via(uid, s.mem.appGroups)
		for _, gid := range via {
			g.Via, g.ViaExternalID = "group", gid
			grants = append(grants, g)
		}
		if !direct && len(via) == 0 {
			g.Via, g.ViaExternalID = "group", ""
			grants = append(grants, g)
		}
	}
	return grants, p.next, nil
}

// mapApp reads what other stages need of an app: id, label, name, domain and access policy.
func mapApp(item []byte) (appRef, error) {
	var a struct {
		ID       string          `json:"id"`
		Name     string          `json:"name"`
		Label    string          `json:"label"`
		Settings json.RawMessage `json:"settings"`
		Links    struct {
			AccessPolicy struct {
				Href string `json:"href"`
			} `json:"accessPolicy"`
		} `json:"_links"`
	}
	if err := json.Unmarshal(item, &a); err != nil {
		return appRef{}, fmt.Errorf("an app that does not decode")
	}
	if a.ID == "" {
		return appRef{}, fmt.Errorf("an app without id")
	}
	ref := appRef{ID: a.ID, Label: a.Label, Name: a.Name, Domain: appDomain(a.Settings)}
	if h := a.Links.AccessPolicy.Href; h != "" {
		ref.AccessPolicy = h[strings.LastIndex(h, "/")+1:]
	}
	return ref, nil
}

// appDomain derives an app's domain from its settings: SAML ACS URL and audience, OIDC redirect and login URIs,
// bookmark and SWA URLs.
func appDomain(settings json.RawMessage) string {
	var st struct {
		App struct {
			URL      string `json:"url"`
			LoginURL string `json:"loginUrl"`
		} `json:"app"`
		SignOn struct {
			SSOAcsURL         string `json:"ssoAcsUrl"`
			SSOAcsURLOverride string `json:"ssoAcsUrlOverride"`
			Audience          string `json:"audience"`
			AudienceOverride  string `json:"audienceOverride"`
			LoginURL          string `json:"loginUrl"`
		} `json:"signOn"`
		OAuthClient struct {
			RedirectURIs     []string `json:"redirect_uris"`
			InitiateLoginURI string   `json:"initiate_login_uri"`
		} `json:"oauthClient"`
	}
	if len(settings) == 0 || json.Unmarshal(settings, &st) != nil {
		return ""
	}
	candidates := []string{st.SignOn.SSOAcsURL, st.SignOn.SSOAcsURLOverride, st.SignOn.AudienceOverride, st.SignOn.Audience,
		st.OAuthClient.InitiateLoginURI}
	candidates = append(candidates, st.OAuthClient.RedirectURIs...)
	candidates = append(candidates, st.SignOn.LoginURL, st.App.URL, st.App.LoginURL)
	for _, c := range candidates {
		u, err := url.Parse(strings.TrimSpace(c))
		if err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Hostname() != "" {
			return strings.ToLower(u.Hostname())
		}
	}
	return ""
}
