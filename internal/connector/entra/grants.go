package entra

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/open-sspm/open-sspm/internal/discovery"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// OAuth2 delegated permission grants (consents) are credentials of kind "oauth_grant": the client app (by its
// service principal's appId and name), the scopes, the consenting user (owner) or tenant-wide admin consent.

func (s *Source) grantLists() []listing {
	return []listing{{
		op: "list oauth2 permission grants", first: "/oauth2PermissionGrants?$top=999",
		forbidden: []sspm.Entity{sspm.ScopedEntity(sspm.EntityCredentials, map[string]string{"kind": "oauth_grant"})},
		emit: func(item json.RawMessage, o object, p *sspm.Page) error {
			var g struct {
				ClientID    string `json:"clientId"`
				ConsentType string `json:"consentType"`
				PrincipalID string `json:"principalId"`
				ResourceID  string `json:"resourceId"`
				Scope       string `json:"scope"`
			}
			if err := json.Unmarshal(item, &g); err != nil {
				return &sspm.Error{Code: sspm.CodeUnavailable, Message: "entra list oauth2 permission grants: malformed grant", Err: err}
			}
			sp := s.mem.spByID[g.ClientID]
			consent := "user"
			if strings.EqualFold(g.ConsentType, "AllPrincipals") {
				consent = "tenant_wide"
			}
			raw := map[string]any{"client_id": sp.AppID, "service_principal_id": g.ClientID, "consent_type": consent,
				"resource_id": g.ResourceID, "scope": g.Scope, "app_managed": sp.Owner != "" && sp.Owner == s.tenantID()}
			if sp.AppID != "" {
				raw["canonical_key"] = discovery.CanonicalKey(discovery.AppRef{Source: sspm.KindEntra, SourceName: s.connector,
					AppID: sp.AppID, AppName: sp.DisplayName})
			}
			b, _ := json.Marshal(raw)
			name := sp.DisplayName
			if name == "" {
				name = g.ClientID
			}
			p.Credentials = append(p.Credentials, sspm.Credential{ExternalID: o.ID, Kind: "oauth_grant", Name: name,
				OwnerExternalID: g.PrincipalID, Scopes: strings.Fields(g.Scope), Raw: b})
			return nil
		},
	}}
}

// grantsStep reads the delegated permission grants (at most once per slowInterval with delta on: cadence.go).
func (s *Source) grantsStep(ctx context.Context, cursor string) (sspm.StepResult, error) {
	skip, msg, cursor := s.slowSkip(cursor, "OAuth grants")
	if skip {
		return sspm.StepResult{Unavailable: []sspm.Entity{oauthGrantCredentials}, Message: msg}, nil
	}
	if err := s.loadSPs(ctx); err != nil && !isForbidden(err) {
		return sspm.StepResult{}, err
	}
	res, err := s.walkCursor(ctx, s.grantLists(), cursor)
	if err == nil && res.Next == "" && len(res.Unavailable) == 0 {
		res.Watermark = s.slowWatermark()
	}
	return res, err
}

// tenantID is the tenant's directory id when the config names it by id ("" for a domain).
func (s *Source) tenantID() string {
	if guidPattern.MatchString(s.c.tenant) {
		return strings.ToLower(s.c.tenant)
	}
	return ""
}
