package datadog_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/datadog"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/ddsim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// tailAll reads the audit stream from cursor until the provider has nothing more waiting.
func tailAll(t *testing.T, src *datadog.Source, cursor string) ([]sspm.Event, string) {
	t.Helper()
	var out []sspm.Event
	for reads := 0; ; reads++ {
		if reads > 10000 {
			t.Fatal("the tail never catches up")
		}
		p, err := src.ReadStream(context.Background(), datadog.StreamAudit, cursor)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Events...)
		cursor = p.Cursor
		if !p.More {
			return out, cursor
		}
	}
}

// TestAuditTrailMapping: role membership events become iam.role.grant with the role's admin tier from its
// permissions (the Datadog Admin Role super, a custom role with admin-grade permissions privileged, a read-only
// role none), key creations credential.create; a poll after catching up reads only the overlap again.
func TestAuditTrailMapping(t *testing.T) {
	company, err := providersim.NewCompany(providersim.Small())
	if err != nil {
		t.Fatal(err)
	}
	now := company.Now.Add(time.Hour)
	clock := func() time.Time { return now }
	sim := ddsim.New(company, ddsim.Options{Clock: clock})
	t.Cleanup(sim.Close)
	raw, _ := json.Marshal(map[string]any{"site": sim.URL()})
	opts := datadog.Options{AllowLoopback: true, Outbound: loopback(), Now: clock}
	src, err := opts.NewSource(context.Background(), sspm.Connector{ID: "dd", Kind: sspm.KindDatadog, Config: raw}, defaultSecret())
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]string{}
	for _, r := range sim.Roles() {
		roles[r.Name] = r.ID
	}
	admin := sim.Users()[0]
	for name := range map[string]bool{ddsim.RoleAdmin: true, "Security Engineering": true, "Compliance Auditors": true} {
		sim.AppendEvent(ddsim.Event{Action: "modified", AssetType: "role", AssetID: roles[name], AssetName: name,
			Message: "admin added user " + admin.Handle + " to role " + name + "."})
	}
	sim.AppendEvent(ddsim.Event{Action: "created", AssetType: "application_key", AssetID: "k-new", AssetName: "CI key",
		Message: "Application key CI key was created."})

	events, cursor := tailAll(t, src, "")
	ids := map[string]bool{}
	tiers := map[string]string{}
	creds := 0
	for _, e := range events {
		if ids[e.ProviderEventID] {
			t.Fatalf("event %s read twice in one catch-up", e.ProviderEventID)
		}
		ids[e.ProviderEventID] = true
		switch e.Category {
		case datadog.CategoryRoleGrant:
			var d struct {
				Tier string `json:"admin_tier"`
			}
			if err := json.Unmarshal(e.Raw, &d); err != nil {
				t.Fatal(err)
			}
			var role, user string
			for _, tg := range e.Targets {
				switch tg.Type {
				case "role":
					role = tg.DisplayName
				case "user":
					user = tg.ExternalID
				}
			}
			if user == "" || role == "" || e.Type != "role.member_added" {
				t.Errorf("grant %+v: want user and role targets", e)
			}
			if user == admin.ID { // the handle the message names, resolved to the user's id
				tiers[role] = d.Tier
			}
		case datadog.CategoryCredCreate:
			creds++
		}
	}
	want := map[string]string{ddsim.RoleAdmin: "super", "Security Engineering": "privileged", "Compliance Auditors": "none"}
	for role, tier := range want {
		if tiers[role] != tier {
			t.Errorf("a grant of %s: admin_tier %q, want %q", role, tiers[role], tier)
		}
	}
	if creds == 0 {
		t.Error("no key creation mapped to credential.create")
	}

	// Caught up: the next poll goes back over the overlap only, and finds the one new event.
	now = now.Add(2 * time.Minute)
	sim.AppendEvent(ddsim.Event{Action: "created", AssetType: "api_key", AssetID: "k-2", AssetName: "Agent", Message: "API key Agent was created."})
	again, _ := tailAll(t, src, cursor)
	fresh := 0
	for _, e := range again {
		if !ids[e.ProviderEventID] {
			fresh++
		}
	}
	if fresh != 1 || len(again) > 10 {
		t.Errorf("the next poll read %d events, %d new; want the overlap and the 1 new event", len(again), fresh)
	}
}

// TestAuditTrailWithoutPermission: a key without audit_logs_read makes the stream unavailable (a state the health
// page shows), not a failure, and names the permission.
func TestAuditTrailWithoutPermission(t *testing.T) {
	sim := newSim(t, ddsim.Options{AppKeys: map[string][]string{"no-audit": {ddsim.PermUserAccessRead}}})
	src := newSource(t, sim, secretOf(ddsim.DefaultAPIKey, "no-audit"))
	_, err := src.ReadStream(context.Background(), datadog.StreamAudit, "")
	if !errors.Is(err, sspm.ErrStreamUnavailable) || !strings.Contains(err.Error(), datadog.PermAuditLogsRead) {
		t.Fatalf("err = %v; want the stream unavailable, naming %s", err, datadog.PermAuditLogsRead)
	}
}
