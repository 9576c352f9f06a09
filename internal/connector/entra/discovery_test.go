package entra_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/connector/entra"
	"github.com/open-sspm/open-sspm/internal/providersim/entrasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// discover steps the discovery lane to its end.
func discover(t *testing.T, src *entra.Source) (evidence []sspm.Evidence, unavailable []sspm.Entity, msgs []string) {
	t.Helper()
	cursor := ""
	for i := 0; ; i++ {
		res, err := src.Step(context.Background(), sspm.LaneDiscovery, entra.StageEvidence, cursor)
		if err != nil {
			t.Fatal(err)
		}
		evidence, unavailable, msgs = append(evidence, res.Page.Evidence...), append(unavailable, res.Unavailable...), append(msgs, res.Message)
		if res.Next == "" {
			return
		}
		cursor = res.Next
		if i > 1000 {
			t.Fatal("discovery never ends")
		}
	}
}

// TestDiscoveryEvidence: sign-ins become SSO evidence (the app's appId, name and domain, the person) and consent
// audits OAuth-grant evidence with the delegated grant's scopes.
func TestDiscoveryEvidence(t *testing.T) {
	src, _, _ := tailSource(t, entrasim.Options{})
	evidence, unavailable, _ := discover(t, src)
	var sso, consent int
	for _, ev := range evidence {
		switch ev.Kind {
		case "sso":
			sso++
			if ev.AppID == "" || ev.AppName == "" || ev.ActorID == "" {
				t.Fatalf("sso evidence %+v", ev)
			}
		case "oauth_grant":
			consent++
			if ev.AppID == "" || len(ev.Scopes) == 0 || ev.Domain == "" {
				t.Fatalf("consent evidence %+v", ev)
			}
		}
	}
	if sso == 0 || consent == 0 || len(unavailable) != 0 {
		t.Fatalf("%d sso, %d consents, unavailable %v", sso, consent, unavailable)
	}
}

// TestDiscoveryWithoutP1: a tenant without Entra ID P1 has no sign-in log: sign-in evidence is unavailable and
// said so, the run does not fail, and consents are still evidence.
func TestDiscoveryWithoutP1(t *testing.T) {
	src, _, _ := tailSource(t, entrasim.Options{WithoutP1: true})
	evidence, unavailable, msgs := discover(t, src)
	if !slices.Contains(unavailable, sspm.DatasetEntity("entra:sign_in_evidence")) {
		t.Errorf("unavailable %v: sign-in evidence not marked unavailable", unavailable)
	}
	if !strings.Contains(strings.Join(msgs, " "), "no Entra ID P1") {
		t.Errorf("messages %q do not say why", msgs)
	}
	for _, ev := range evidence {
		if ev.Kind == "sso" {
			t.Fatalf("sso evidence without a sign-in log: %+v", ev)
		}
	}
	if len(evidence) == 0 {
		t.Error("no consent evidence")
	}
}
