package discovery_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/discovery"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

func TestCanonicalKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		give discovery.AppRef
		want string
	}{
		{"domain wins", discovery.AppRef{Source: sspm.KindOkta, AppID: "0oa1", Domain: "https://WWW.Slack.com:443/signin"}, "domain:slack.com"},
		{"subdomain to eTLD+1", discovery.AppRef{Source: sspm.KindOkta, Domain: "acme.my.salesforce.com"}, "domain:salesforce.com"},
		{"public suffix", discovery.AppRef{Source: sspm.KindOkta, Domain: "*.acme.co.uk."}, "domain:acme.co.uk"},
		{"IP is not a domain", discovery.AppRef{Source: sspm.KindOkta, AppID: "0oaX", Domain: "10.0.0.1", SourceName: "Okta-Main"}, "okta_app:okta-main:0oax"},
		{"entra guid", discovery.AppRef{Source: sspm.KindEntra, AppID: "8A2D5B5C-1111-2222-3333-444455556666"}, "entra_appid:8a2d5b5c-1111-2222-3333-444455556666"},
		{"entra non-guid falls to name", discovery.AppRef{Source: sspm.KindEntra, AppID: "x", AppName: "My App!"}, "name:my-app:entra"},
		{"google client", discovery.AppRef{Source: sspm.KindGoogle, AppID: "123.apps.googleusercontent.com"}, "google_client:123.apps.googleusercontent.com"},
		{"name slug", discovery.AppRef{Source: sspm.KindGitHub, AppName: "  Zoom -- Video  "}, "name:zoom-video:github"},
		{"nothing", discovery.AppRef{Source: sspm.KindGitHub}, "name:unknown:github"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := discovery.CanonicalKey(tt.give); got != tt.want {
				t.Errorf("CanonicalKey = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestClassifyScopes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		give             []string
		wantPriv, wantCo []string
	}{
		{[]string{"openid profile email"}, nil, nil},
		{[]string{"Files.ReadWrite", "offline_access"}, []string{"offline_access"}, []string{"files.readwrite"}},
		{[]string{"files.readwrite.all;mail.read"}, []string{"files.readwrite.all"}, []string{"files.readwrite.all", "mail.read"}},
		{[]string{"okta.users.manage,okta.users.read"}, []string{"okta.users.manage"}, nil},
		{[]string{"https://www.googleapis.com/auth/drive", "https://www.googleapis.com/auth/calendar.readonly"},
			[]string{"https://www.googleapis.com/auth/drive"},
			[]string{"https://www.googleapis.com/auth/calendar.readonly", "https://www.googleapis.com/auth/drive"}},
	}
	for _, tt := range tests {
		got := discovery.ClassifyScopes(tt.give)
		if !reflect.DeepEqual(got.Privileged, tt.wantPriv) || !reflect.DeepEqual(got.Confidential, tt.wantCo) {
			t.Errorf("ClassifyScopes(%v) = privileged %v confidential %v; want %v and %v", tt.give, got.Privileged, got.Confidential, tt.wantPriv, tt.wantCo)
		}
	}
}

func TestSuggestAndRisk(t *testing.T) {
	t.Parallel()
	priv := discovery.ScopeClass{Privileged: []string{"offline_access"}}
	conf := discovery.ScopeClass{Confidential: []string{"mail.read"}}
	tests := []struct {
		name              string
		actors            int
		sc                discovery.ScopeClass
		state             string
		owner             bool
		wantCrit, wantCls string
		wantScore         int
		wantLevel         string
	}{
		{"quiet internal managed", 3, discovery.ScopeClass{}, discovery.ManagedActiveBindingFresh, true, "low", "internal", 0, "low"},
		{"unmanaged, no owner", 3, discovery.ScopeClass{}, discovery.ManagedNoBinding, false, "low", "internal", 60, "high"},
		{"privileged unmanaged busy", 60, priv, discovery.ManagedNoBinding, false, "high", "restricted", 100, "critical"},
		{"confidential medium", 12, conf, discovery.ManagedStaleSync, true, "medium", "confidential", 50, "medium"},
		{"critical by actors", 250, discovery.ScopeClass{}, discovery.ManagedActiveBindingFresh, false, "critical", "internal", 25, "low"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			crit, cls := discovery.Suggest(tt.actors, tt.sc)
			score, level := discovery.Risk(discovery.RiskInput{ManagedState: tt.state, Privileged: len(tt.sc.Privileged) > 0,
				HasOwner: tt.owner, Actors30d: tt.actors, Criticality: crit, Classification: cls})
			if crit != tt.wantCrit || cls != tt.wantCls || score != tt.wantScore || level != tt.wantLevel {
				t.Errorf("got %s/%s %d %s, want %s/%s %d %s", crit, cls, score, level, tt.wantCrit, tt.wantCls, tt.wantScore, tt.wantLevel)
			}
		})
	}
	if got := discovery.Effective("unknown", "high"); got != "high" {
		t.Errorf("Effective(unknown) = %s", got)
	}
	if got := discovery.Effective("low", "high"); got != "low" {
		t.Errorf("Effective(low) = %s", got)
	}
}

func TestManagedState(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	conns := map[string]discovery.ConnectorState{
		"fresh":    {Exists: true, Enabled: true, Interval: time.Hour, LastSuccessAt: now.Add(-90 * time.Minute)},
		"stale":    {Exists: true, Enabled: true, Interval: time.Hour, LastSuccessAt: now.Add(-3 * time.Hour)},
		"off":      {Exists: true, Enabled: false},
		"shortint": {Exists: true, Enabled: true, Interval: time.Minute, LastSuccessAt: now.Add(-20 * time.Minute)},
	}
	lookup := func(id string) discovery.ConnectorState { return conns[id] }
	old := now.Add(-time.Hour)
	tests := []struct {
		name string
		give []discovery.Binding
		want string
	}{
		{"none", nil, discovery.ManagedNoBinding},
		{"gone connector", []discovery.Binding{{ConnectorID: "deleted", Confidence: 0.8}}, discovery.ManagedNotConfigured},
		{"disabled", []discovery.Binding{{ConnectorID: "off", Confidence: 0.8}}, discovery.ManagedConnectorDisabled},
		{"stale", []discovery.Binding{{ConnectorID: "stale", Confidence: 0.8}}, discovery.ManagedStaleSync},
		{"fresh", []discovery.Binding{{ConnectorID: "fresh", Confidence: 0.8}}, discovery.ManagedActiveBindingFresh},
		{"30 min floor", []discovery.Binding{{ConnectorID: "shortint", Confidence: 0.8}}, discovery.ManagedActiveBindingFresh},
		{"manual beats auto", []discovery.Binding{{ConnectorID: "fresh", Confidence: 0.8, CreatedAt: old}, {ConnectorID: "off", Manual: true, Confidence: 1}}, discovery.ManagedConnectorDisabled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := discovery.ManagedState(tt.give, lookup, now); got != tt.want {
				t.Errorf("ManagedState = %s, want %s", got, tt.want)
			}
		})
	}
}
