package entra

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Apps: each enterprise application (service principal) is a resource "app" and an account "sp:{id}" (it can
// hold roles and sign in); each app registration (application) is a resource "app_registration". The two are
// linked by appId, which both rows carry. Credentials are metadata only (Graph never returns secret values):
// key id, type, display name, hint, start and end; an app registration's credentials are used by its service
// principal, their owner here. Owners and app role assignments are grants on the resource.

const (
	spSelect = "id,appId,displayName,publisherName,verifiedPublisher,appOwnerOrganizationId,servicePrincipalType," +
		"accountEnabled,appRoleAssignmentRequired,homepage,replyUrls,tags,passwordCredentials,keyCredentials"
	appSelect = "id,appId,displayName,publisherDomain,verifiedPublisher,signInAudience,createdDateTime," +
		"passwordCredentials,keyCredentials,requiredResourceAccess,web"
	// defaultAccess is the appRoleId of an assignment without a specific app role ("default access").
	defaultAccess = "00000000-0000-0000-0000-000000000000"
)

// app is the part of an application or service principal the connector maps.
type app struct {
	ID             string `json:"id"`
	AppID          string `json:"appId"`
	DisplayName    string `json:"displayName"`
	AccountEnabled *bool  `json:"accountEnabled"`
	Homepage       string `json:"homepage"`
	Web            *struct {
		HomePageURL string `json:"homePageUrl"`
	} `json:"web"`
	Passwords []appCredential `json:"passwordCredentials"`
	Keys      []appCredential `json:"keyCredentials"`
}

type appCredential struct {
	KeyID       string     `json:"keyId"`
	DisplayName string     `json:"displayName"`
	Hint        string     `json:"hint"`
	Type        string     `json:"type"`
	Usage       string     `json:"usage"`
	Start       *time.Time `json:"startDateTime"`
	End         *time.Time `json:"endDateTime"`
}

func (s *Source) appLists() []listing {
	owners := func(kind string) child {
		return child{op: "list " + kind + " owners", forbidden: []sspm.Entity{sspm.EntityGrants},
			link: func(id string) string { return "/" + kind + "/" + url.PathEscape(id) + "/owners?$select=id&$top=999" },
			emit: func(parent string, _ json.RawMessage, o object, p *sspm.Page) error {
				if id, k, ok := principal(o.Type, o.ID); ok {
					p.Grants = append(p.Grants, sspm.Grant{PrincipalExternalID: id, PrincipalKind: k, ResourceExternalID: parent,
						Permission: "owner", Via: "direct"})
				}
				return nil
			}}
	}
	return []listing{{
		op: "list service principals", first: "/servicePrincipals?$select=" + spSelect + "&$top=999",
		forbidden: []sspm.Entity{sspm.EntityAccounts, sspm.EntityResources, sspm.EntityCredentials, sspm.EntityGrants},
		emit:      s.emitServicePrincipal,
		children: []child{owners("servicePrincipals"), {
			op: "list app role assignments", forbidden: []sspm.Entity{sspm.EntityGrants},
			link: func(id string) string {
				return "/servicePrincipals/" + url.PathEscape(id) + "/appRoleAssignedTo?$top=999"
			},
			emit: func(parent string, item json.RawMessage, _ object, p *sspm.Page) error {
				var a struct {
					PrincipalID   string `json:"principalId"`
					PrincipalType string `json:"principalType"`
					AppRoleID     string `json:"appRoleId"`
				}
				if err := json.Unmarshal(item, &a); err != nil {
					return &sspm.Error{Code: sspm.CodeUnavailable, Message: "entra list app role assignments: malformed assignment", Err: err}
				}
				id, k, ok := principal("#microsoft.graph."+a.PrincipalType, a.PrincipalID)
				if !ok {
					return nil
				}
				perm := "access"
				if a.AppRoleID != "" && a.AppRoleID != defaultAccess {
					perm = "app_role:" + a.AppRoleID
				}
				p.Grants = append(p.Grants, sspm.Grant{PrincipalExternalID: id, PrincipalKind: k, ResourceExternalID: parent,
					Permission: perm, Via: "direct"})
				return nil
			}}},
	}, {
		op: "list applications", first: "/applications?$select=" + appSelect + "&$top=999",
		forbidden: []sspm.Entity{sspm.EntityResources, sspm.EntityCredentials, sspm.EntityGrants},
		emit:      s.emitApplication,
		children:  []child{owners("applications")},
	}}
}

// appsStep reads the enterprise applications, then the app registrations, with their owners and assignments:
// whole on a full enumeration, or their deltas in between (appsdelta.go).
func (s *Source) appsStep(ctx context.Context, cursor string) (sspm.StepResult, error) {
	var extra []sspm.Entity
	var msg string
	if err := s.loadAdmins(ctx); isForbidden(err) {
		// Without the admins a service principal's admin flag is unknown: its account is not rewritten.
		extra, msg = []sspm.Entity{sspm.EntityAccounts}, "service principal accounts not read: their admin flags are unknown"
	} else if err != nil {
		return sspm.StepResult{}, err
	}
	if err := s.loadSPs(ctx); err != nil && !isForbidden(err) {
		return sspm.StepResult{}, err
	}
	res, err := s.appsWalk(ctx, cursor)
	if err != nil {
		return res, err
	}
	res.Unavailable = append(res.Unavailable, extra...)
	res.Message = joinMessages(msg, res.Message)
	return res, nil
}

func (s *Source) emitServicePrincipal(item json.RawMessage, _ object, p *sspm.Page) error {
	var a app
	if err := json.Unmarshal(item, &a); err != nil {
		return &sspm.Error{Code: sspm.CodeUnavailable, Message: "entra list service principals: malformed service principal", Err: err}
	}
	p.Resources = append(p.Resources, sspm.Resource{ExternalID: a.ID, Kind: "app", Name: a.DisplayName, URL: a.Homepage, Raw: item})
	if s.mem.adminsKnown {
		acc := sspm.Account{ExternalID: spAccount(a.ID), Kind: sspm.AccountServicePrincipal, Username: a.AppID,
			DisplayName: a.DisplayName, Status: statusActive, Active: true, IsAdmin: s.mem.admins[spAccount(a.ID)], Raw: item}
		if a.AccountEnabled != nil && !*a.AccountEnabled {
			acc.Status, acc.Active = statusSuspended, false
		}
		p.Accounts = append(p.Accounts, acc)
	}
	p.Credentials = append(p.Credentials, credentials(a, spAccount(a.ID), "service_principal")...)
	return nil
}

func (s *Source) emitApplication(item json.RawMessage, _ object, p *sspm.Page) error {
	var a app
	if err := json.Unmarshal(item, &a); err != nil {
		return &sspm.Error{Code: sspm.CodeUnavailable, Message: "entra list applications: malformed application", Err: err}
	}
	r := sspm.Resource{ExternalID: a.ID, Kind: "app_registration", Name: a.DisplayName, Raw: item}
	if a.Web != nil {
		r.URL = a.Web.HomePageURL
	}
	p.Resources = append(p.Resources, r)
	owner := ""
	if sp, ok := s.mem.spByAppID[strings.ToLower(a.AppID)]; ok {
		owner = spAccount(sp.ID)
	}
	p.Credentials = append(p.Credentials, credentials(a, owner, "application")...)
	return nil
}

// credentials maps an app's password and key credentials (metadata only).
func credentials(a app, owner, holder string) []sspm.Credential {
	var out []sspm.Credential
	add := func(c appCredential, kind string) {
		if c.KeyID == "" {
			return
		}
		raw, _ := json.Marshal(map[string]any{"holder": holder, "holder_id": a.ID, "app_id": a.AppID, "app_name": a.DisplayName,
			"key_id": c.KeyID, "hint": c.Hint, "type": c.Type, "usage": c.Usage})
		cr := sspm.Credential{ExternalID: c.KeyID, Kind: kind, Name: c.DisplayName, OwnerExternalID: owner, Raw: raw}
		if cr.Name == "" {
			cr.Name = a.DisplayName
		}
		if c.Start != nil {
			cr.CreatedAt = c.Start.UTC()
		}
		if c.End != nil {
			cr.ExpiresAt = c.End.UTC()
		}
		out = append(out, cr)
	}
	for _, c := range a.Passwords {
		add(c, "client_secret")
	}
	for _, c := range a.Keys {
		add(c, "certificate")
	}
	return out
}

// spInfo is what other stages need of a service principal.
type spInfo struct {
	ID, AppID, DisplayName, Owner string
	// Domain is the host of the app's homepage (or first reply URL), for discovery.
	Domain string
}

// loadSPs reads the service principals' ids, appIds and names once per Source (app registration credentials and
// OAuth grants name their app by them).
func (s *Source) loadSPs(ctx context.Context) error {
	if s.mem.spByAppID != nil {
		return nil
	}
	byApp, byID := map[string]spInfo{}, map[string]spInfo{}
	link := "/servicePrincipals?$select=id,appId,displayName,appOwnerOrganizationId,homepage,replyUrls&$top=999"
	for link != "" {
		p, err := s.readPage(ctx, "list service principals", link)
		if err != nil {
			return err
		}
		for _, item := range p.Value {
			var a struct {
				ID, AppID, DisplayName, AppOwnerOrganizationID, Homepage string
				ReplyUrls                                                []string
			}
			if err := json.Unmarshal(item, &a); err != nil || a.ID == "" {
				return &sspm.Error{Code: sspm.CodeUnavailable, Message: "entra list service principals: a service principal without an id"}
			}
			info := spInfo{ID: a.ID, AppID: a.AppID, DisplayName: a.DisplayName, Owner: a.AppOwnerOrganizationID,
				Domain: hostOf(append([]string{a.Homepage}, a.ReplyUrls...)...)}
			byApp[strings.ToLower(a.AppID)], byID[a.ID] = info, info
		}
		link = p.Next
	}
	s.mem.spByAppID, s.mem.spByID = byApp, byID
	return nil
}

// hostOf returns the host of the first absolute https URL among urls, lower-cased; "" when there is none.
func hostOf(urls ...string) string {
	for _, u := range urls {
		if p, err := url.Parse(u); err == nil && (p.Scheme == "https" || p.Scheme == "http") && p.Hostname() != "" {
			return strings.ToLower(p.Hostname())
		}
	}
	return ""
}
