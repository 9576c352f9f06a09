package entra_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/connector/entra"
	"github.com/open-sspm/open-sspm/internal/providersim/entrasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestValidationToken: Graph's validation request is answered with the token as text/plain only at a
// notification URL the connector made (SubscriptionURL); elsewhere, or with another secret's marker, it is
// refused.
func TestValidationToken(t *testing.T) {
	secret := []byte("webhook-secret")
	sub := entra.SubscriptionURL("https://sspm.example/hooks/entra/entra-1", secret)
	ask := func(u string) (string, error) {
		r := httptest.NewRequest("POST", u+"&validationToken="+url.QueryEscape("Validation: Token <1>"), nil)
		v, err := entra.VerifyNotification(r, nil, secret)
		return string(v.Challenge), err
	}
	if got, err := ask(sub); err != nil || got != "Validation: Token <1>" {
		t.Fatalf("our subscription: %q, %v", got, err)
	}
	for _, u := range []string{"https://sspm.example/hooks/entra/entra-1?x=1", entra.SubscriptionURL("https://sspm.example/hooks/entra/entra-1", []byte("other"))} {
		if _, err := ask(u); sspm.ErrorCode(err) != sspm.CodeUnauthorized {
			t.Errorf("%s: %v, want unauthorized", u, err)
		}
	}
}

// TestPushedChangeRefreshesWhatItNames: the events a notification becomes name the user and the group; the
// refresh re-reads exactly those (the user's new state, the group's members).
func TestPushedChangeRefreshesWhatItNames(t *testing.T) {
	src, tn, _ := tailSource(t, entrasim.Options{})
	user, group := tn.sim.UserIDs()[6], tn.sim.GroupIDs()[3]
	must(t, tn.sim.SetAccountEnabled(user, false))
	secret := []byte("webhook-secret")
	body := `{"value":[` +
		`{"subscriptionId":"s1","clientState":"webhook-secret","changeType":"updated","resource":"Users/` + user + `","resourceData":{"@odata.type":"#Microsoft.Graph.User","id":"` + user + `"}},` +
		`{"subscriptionId":"s2","clientState":"webhook-secret","changeType":"updated","resource":"Groups/` + group + `","resourceData":{"@odata.type":"#Microsoft.Graph.Group","id":"` + group + `"}}]}`
	v, err := entra.VerifyNotification(httptest.NewRequest("POST", "/hooks/entra/x", strings.NewReader(body)), []byte(body), secret)
	if err != nil {
		t.Fatal(err)
	}
	events, err := entra.ParseNotifications(v.Body)
	if err != nil || len(events) != 2 {
		t.Fatalf("%d events, %v", len(events), err)
	}
	if strings.Contains(string(events[0].Raw), "webhook-secret") {
		t.Fatal("the stored event holds the clientState")
	}
	page, err := src.RefreshEvents(context.Background(), events)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Accounts) != 1 || page.Accounts[0].ExternalID != user || page.Accounts[0].Status != "suspended" {
		t.Fatalf("refreshed accounts %+v", page.Accounts)
	}
	if len(page.Groups) != 1 || page.Groups[0].ExternalID != group || len(page.GroupMembers) == 0 {
		t.Fatalf("refreshed %d groups, %d members", len(page.Groups), len(page.GroupMembers))
	}
}
