package discovery

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Store is what Rebuild reads and writes.
type Store interface {
	EvidenceSince(ctx context.Context, since time.Time) ([]sspm.EvidenceRecord, error)
	ConnectorFreshness(ctx context.Context) ([]sspm.ConnectorFreshness, error)
	AppBindings(ctx context.Context) ([]sspm.AppBinding, error)
	AppGovernance(ctx context.Context) (map[string]sspm.AppGovernance, error)
	SaveDiscoveredApps(ctx context.Context, apps []sspm.SaaSApp, autoBindings []sspm.AppBinding) error
}

// Window is how long evidence counts: evidence not observed for 30 days is stale.
const Window = 30 * 24 * time.Hour

// productDomains names the registrable domains of the products our connectors manage: an app seen under one of
// them is bound automatically to every connector of that kind.
var productDomains = map[string]sspm.Kind{
	"okta.com": sspm.KindOkta, "oktapreview.com": sspm.KindOkta,
	"github.com":    sspm.KindGitHub,
	"datadoghq.com": sspm.KindDatadog, "datadoghq.eu": sspm.KindDatadog,
	"microsoft.com": sspm.KindEntra, "microsoftonline.com": sspm.KindEntra, "office.com": sspm.KindEntra,
	"google.com":    sspm.KindGoogle,
	"amazonaws.com": sspm.KindAWSIDC, "awsapps.com": sspm.KindAWSIDC,
}

// Rebuild recomputes every discovered app from the evidence of the last 30 days: canonical keys, actors, scope
// classes, managed state, suggestions and risk, and stores them (governance is never touched). It runs in the
// discovery lane, never in a read request.
func Rebuild(ctx context.Context, s Store, now time.Time) (int, error) {
	evidence, err := s.EvidenceSince(ctx, now.Add(-Window))
	if err != nil {
		return 0, err
	}
	conns, err := s.ConnectorFreshness(ctx)
	if err != nil {
		return 0, err
	}
	bindings, err := s.AppBindings(ctx)
	if err != nil {
		return 0, err
	}
	gov, err := s.AppGovernance(ctx)
	if err != nil {
		return 0, err
	}
	apps := aggregate(evidence)
	byID := map[string]sspm.ConnectorFreshness{}
	for _, c := range conns {
		byID[c.ID] = c
	}
	bound := map[string][]Binding{}
	for _, b := range bindings {
		bound[b.AppKey] = append(bound[b.AppKey], Binding{ConnectorID: b.ConnectorID, Manual: b.Manual, Confidence: b.Confidence, CreatedAt: b.CreatedAt})
	}
	var auto []sspm.AppBinding
	out := make([]sspm.SaaSApp, 0, len(apps))
	for _, a := range apps {
		if kind, ok := productDomains[a.Domain]; ok {
			for _, c := range conns {
				if c.Kind == kind && !hasBinding(bound[a.Key], c.ID) {
					auto = append(auto, sspm.AppBinding{AppKey: a.Key, ConnectorID: c.ID, Confidence: 0.8})
					bound[a.Key] = append(bound[a.Key], Binding{ConnectorID: c.ID, Confidence: 0.8, CreatedAt: now})
				}
			}
		}
		a.ManagedState, a.ManagedConnectorID = ManagedState(bound[a.Key], func(id string) ConnectorState {
			c, ok := byID[id]
			return ConnectorState{Exists: ok, Enabled: c.Enabled, Interval: c.FullInterval, LastSuccessAt: c.LastSuccessAt}
		}, now)
		sc := ScopeClass{Scopes: a.Scopes, Privileged: a.PrivilegedScopes, Confidential: a.ConfidentialScopes}
		a.SuggestedCriticality, a.SuggestedClassification = Suggest(a.Actors30d, sc)
		g := gov[a.Key]
		a.RiskScore, a.RiskLevel = Risk(RiskInput{
			ManagedState: a.ManagedState, Privileged: len(a.PrivilegedScopes) > 0, HasOwner: g.OwnerIdentityID != nil,
			Actors30d: a.Actors30d, Criticality: Effective(g.Criticality, a.SuggestedCriticality),
			Classification: Effective(g.Classification, a.SuggestedClassification),
		})
		out = append(out, *a)
	}
	if err := s.SaveDiscoveredApps(ctx, out, auto); err != nil {
		return 0, fmt.Errorf("save discovered apps: %w", err)
	}
	return len(out), nil
}

func hasBinding(bs []Binding, connectorID string) bool {
	return slices.ContainsFunc(bs, func(b Binding) bool { return b.ConnectorID == connectorID })
}

// aggregate groups evidence into apps by the canonical key it is stored under, in a stable order.
func aggregate(evidence []sspm.EvidenceRecord) []*sspm.SaaSApp {
	type acc struct {
		app    *sspm.SaaSApp
		actors map[string]bool
		scopes []string
	}
	byKey := map[string]*acc{}
	var keys []string
	for _, e := range evidence {
		ref := AppRef{Source: e.ConnectorKind, SourceName: e.ConnectorID, AppID: e.AppID, AppName: e.AppName, Domain: e.Domain}
		key := e.AppKey // the key the evidence is stored under, so an app's detail finds the evidence it counts
		if key == "" {
			key = CanonicalKey(ref)
		}
		a, ok := byKey[key]
		if !ok {
			a = &acc{app: &sspm.SaaSApp{Key: key, DisplayName: DisplayName(ref), Domain: RegistrableDomain(e.Domain),
				Vendor: Vendor(e.Domain), FirstSeenAt: e.FirstSeenAt, LastSeenAt: e.LastSeenAt}, actors: map[string]bool{}}
			byKey[key] = a
			keys = append(keys, key)
		}
		if !slices.Contains(a.app.Sources, e.ConnectorID) {
			a.app.Sources = append(a.app.Sources, e.ConnectorID)
		}
		if e.FirstSeenAt.Before(a.app.FirstSeenAt) {
			a.app.FirstSeenAt = e.FirstSeenAt
		}
		if e.LastSeenAt.After(a.app.LastSeenAt) {
			a.app.LastSeenAt = e.LastSeenAt
		}
		a.actors[e.ActorKey] = true
		a.scopes = append(a.scopes, e.Scopes...)
	}
	sort.Strings(keys)
	out := make([]*sspm.SaaSApp, len(keys))
	for i, k := range keys {
		a := byKey[k]
		sc := ClassifyScopes(a.scopes)
		a.app.Actors30d = len(a.actors)
		a.app.Scopes, a.app.PrivilegedScopes, a.app.ConfidentialScopes = sc.Scopes, sc.Privileged, sc.Confidential
		sort.Strings(a.app.Sources)
		out[i] = a.app
	}
	return out
}
