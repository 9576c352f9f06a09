package entra_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/open-sspm/open-sspm/internal/connector/entra"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/providersim/entrasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// tailSource is a source of a small tenant, for ReadStream.
func tailSource(t *testing.T, opts entrasim.Options) (*entra.Source, *entraTenant, *clocktest.Clock) {
	t.Helper()
	clk := clocktest.New(sourcetest.Start)
	tn := newEntraTenant(t, clk, 0, opts)
	src, err := testOptions(clk).NewSource(context.Background(), tn.Connector("tail"), tn.Secret())
	if err != nil {
		t.Fatal(err)
	}
	return src, tn, clk
}

// readAll reads a stream until it has nothing more waiting.
func readAll(t *testing.T, src *entra.Source, stream, cursor string) (map[string]sspm.Event, string, int) {
	t.Helper()
	out := map[string]sspm.Event{}
	reads := 0
	for {
		p, err := src.ReadStream(context.Background(), stream, cursor)
		if err != nil {
			t.Fatal(err)
		}
		reads++
		for _, e := range p.Events {
			out[e.ProviderEventID] = e
		}
		cursor = p.Cursor
		if !p.More {
			return out, cursor, reads
		}
		if reads > 500 {
			t.Fatal("the stream never ends")
		}
	}
}

// TestTailReadsPagesAndOverlaps: a read follows its nextLinks over several polls, and the next read goes back only
// the overlap: the changes made since come once, with the events the policies name.
func TestTailReadsPagesAndOverlaps(t *testing.T) {
	src, tn, clk := tailSource(t, entrasim.Options{PageCap: 3})
	for _, u := range tn.sim.UserIDs()[10:18] {
		must(t, tn.sim.SetAccountEnabled(u, false))
	}
	first, cursor, reads := readAll(t, src, entra.StreamDirectoryAudits, "")
	if len(first) == 0 || reads < 2 {
		t.Fatalf("first read: %d events in %d reads; want several pages", len(first), reads)
	}
	var newest time.Time
	for _, e := range first {
		if e.OccurredAt.After(newest) {
			newest = e.OccurredAt
		}
	}
	clk.Advance(time.Hour)
	user := tn.sim.UserIDs()[4]
	must(t, tn.sim.SetAccountEnabled(user, false))
	must(t, tn.sim.SetAccountEnabled(user, true))
	next, _, _ := readAll(t, src, entra.StreamDirectoryAudits, cursor)
	var disable, enable bool
	fresh := 0
	for id, e := range next {
		if _, seen := first[id]; seen {
			if e.OccurredAt.Before(newest.Add(-15 * time.Minute)) {
				t.Errorf("event %s (%s) read again beyond the overlap", id, e.Type)
			}
			continue
		}
		fresh++
		switch {
		case e.Type == "Disable account" && e.Category == "user.suspend" && len(e.Targets) == 1 && e.Targets[0].ExternalID == user:
			disable = true
		case e.Type == "Enable account" && e.Category == "user.reactivate" && e.Outcome == "success":
			enable = true
		}
	}
	if !disable || !enable || fresh != 2 {
		t.Errorf("after disabling and enabling a user: %d new events (disable %v, enable %v)", fresh, disable, enable)
	}
}

// TestSignInsNeedP1: the sign-ins stream of a tenant without Entra ID P1 is unavailable (a state, not an error);
// with P1 it reads sign-ins as auth.signin events.
func TestSignInsNeedP1(t *testing.T) {
	src, _, _ := tailSource(t, entrasim.Options{WithoutP1: true})
	if _, err := src.ReadStream(context.Background(), entra.StreamSignIns, ""); !errors.Is(err, sspm.ErrStreamUnavailable) {
		t.Fatalf("sign-ins without P1: %v, want the stream unavailable", err)
	}
	src, _, _ = tailSource(t, entrasim.Options{})
	events, _, _ := readAll(t, src, entra.StreamSignIns, "")
	if len(events) == 0 {
		t.Fatal("no sign-ins on a P1 tenant")
	}
	for _, e := range events {
		if e.Category != "auth.signin" || e.ActorExternalID == "" || len(e.Targets) != 1 {
			t.Fatalf("sign-in event %+v", e)
		}
		break
	}
}

// TestEventPoliciesNameMappedActivities: every Entra activity the event policies name maps to a category of our
// taxonomy (not the fallback), so EV-001..EV-006 run for Entra.
func TestEventPoliciesNameMappedActivities(t *testing.T) {
	raw, err := os.ReadFile("../../rules/rulesets/event_policies_v1.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		PolicySet struct {
			Policies []struct {
				ID       string `yaml:"id"`
				Matchers []struct {
					SourceKind string   `yaml:"source_kind"`
					EventTypes []string `yaml:"event_types"`
				} `yaml:"matchers"`
			} `yaml:"policies"`
		} `yaml:"policy_set"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, p := range doc.PolicySet.Policies {
		for _, m := range p.Matchers {
			if m.SourceKind != "entra" {
				continue
			}
			covered[p.ID] = true
			for _, et := range m.EventTypes {
				if c := entra.AuditCategory(et); c == "entra.audit" {
					t.Errorf("%s names %q, which maps to no category", p.ID, et)
				}
			}
		}
	}
	for _, id := range []string{"EV-001", "EV-002", "EV-003", "EV-004", "EV-005", "EV-006"} {
		if !covered[id] {
			t.Errorf("%s has no Entra matcher", id)
		}
	}
}
