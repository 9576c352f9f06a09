package drill_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/api"
	"github.com/open-sspm/open-sspm/internal/app"
	"github.com/open-sspm/open-sspm/internal/connector"
	ghc "github.com/open-sspm/open-sspm/internal/connector/github"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/githubsim"
	"github.com/open-sspm/open-sspm/internal/secrets"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// TestDrillGitHubDeliveriesTwiceOutOfOrder sends GitHub organization webhooks (membership, team, repository and
// collaborator changes) to one connector in order, once each, and redelivers them (same delivery id and body, as
// GitHub's redelivery does) to a second connector of the same organization newest first, each twice, the copies in
// one inbox batch. Each event is stored once, each delivery has one inbox record (two attempts for the second
// connector), and both connectors end with the same events and inventory.
func TestDrillGitHubDeliveriesTwiceOutOfOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := clocktest.New(sourcetest.Start)
	company, err := providersim.NewCompany(providersim.Small())
	must(t, err)
	sim := githubsim.New(company, githubsim.Options{Org: githubsim.DefaultOrg, Clock: clk.Now})
	t.Cleanup(sim.Close)
	db := postgrestest.New(t, postgres.WithClock(clk.Now))
	key, err := secrets.GenerateLocalKey()
	must(t, err)
	keys, err := secrets.NewLocalKey(key)
	must(t, err)
	kind := ghc.NewKind(ghc.Options{AllowLoopback: true, Outbound: sourcetest.Loopback, Now: clk.Now, Sleep: clk.Sleep})
	a, err := app.New(app.Deps{DB: db, Keys: keys, Registry: connector.NewRegistry(kind), Invoker: noInvoker{}, Now: clk.Now})
	must(t, err)
	queue := db.Queue(app.InboxQueue, 5)
	srv := httptest.NewServer((&api.Server{Health: db, Hooks: a.NewHooks(queue)}).Handler())
	t.Cleanup(srv.Close)

	newConnector := func(id string) (sspm.Connector, string) {
		raw, _ := json.Marshal(map[string]any{"org": sim.Org(), "auth": "token", "base_url": sim.URL() + "/"})
		c, err := a.CreateConnector(ctx, sspm.Connector{ID: id, Kind: sspm.KindGitHub, Name: id, Enabled: true, Config: raw},
			[]byte(githubsim.DefaultToken))
		must(t, err)
		secret, err := a.WebhookSecret(ctx, c.ID)
		must(t, err)
		return c, secret
	}
	inOrder, inOrderSecret := newConnector("github-in-order")
	replayed, replayedSecret := newConnector("github-replayed")
	process := func(n int) int {
		msgs, err := queue.Receive(ctx, n, time.Minute)
		must(t, err)
		if failed := a.NewInbox().Process(ctx, msgs); len(failed) > 0 {
			t.Fatalf("inbox failures: %+v", failed)
		}
		for _, m := range msgs {
			must(t, queue.Ack(ctx, m.Receipt))
		}
		return len(msgs)
	}

	members, teams, repos := sim.Members(), sim.Teams(), sim.Repos()
	changes := []struct {
		event   string
		payload map[string]any
	}{
		{"organization", sim.OrganizationPayload("member_added", members[1])},
		{"membership", sim.MembershipPayload("added", teams[0], members[1])},
		{"membership", sim.MembershipPayload("removed", teams[0], members[1])},
		{"member", sim.MemberPayload("added", repos[0], members[2])},
		{"team", sim.TeamPayload("edited", teams[1])},
		{"repository", sim.RepositoryPayload("privatized", repos[1])},
		{"organization", sim.OrganizationPayload("member_removed", members[3])},
	}
	var sent []githubsim.Delivery
	for _, ch := range changes {
		clk.Advance(time.Second)
		d, err := sim.Send(ctx, srv.URL+"/hooks/github/"+inOrder.ID, inOrderSecret, ch.event, ch.payload)
		if err != nil || d.Status != 200 {
			t.Fatalf("send %s: %d %v", ch.event, d.Status, err)
		}
		sent = append(sent, d)
	}
	for process(1) > 0 { // one delivery at a time, in the order sent, until none is left
		continue
	}

	reversed := slices.Clone(sent)
	slices.Reverse(reversed)
	for _, d := range reversed {
		for range 2 {
			if got, err := sim.Redeliver(ctx, srv.URL+"/hooks/github/"+replayed.ID, replayedSecret, d); err != nil || got.Status != 200 {
				t.Fatalf("redeliver %s: %d %v", d.ID, got.Status, err)
			}
		}
	}
	if n := process(2 * len(sent)); n != 2*len(sent) {
		t.Fatalf("the batch held %d messages, want %d", n, 2*len(sent))
	}

	want, got := eventsOf(t, db, inOrder.ID), eventsOf(t, db, replayed.ID)
	if len(want) != len(sent) || len(got) != len(want) {
		t.Fatalf("%d events from redeliveries twice and newest first, %d in order; %d deliveries", len(got), len(want), len(sent))
	}
	for id, content := range want {
		if got[id] != content {
			t.Fatalf("event %s: %q; in order %q", id, got[id], content)
		}
	}
	inboxWant, inboxGot := inboxOf(t, db, inOrder.ID), inboxOf(t, db, replayed.ID)
	if len(inboxWant) != len(sent) || len(inboxGot) != len(sent) {
		t.Fatalf("inbox records: %d in order, %d redelivered; want %d each", len(inboxWant), len(inboxGot), len(sent))
	}
	for _, d := range sent {
		if inboxWant[d.ID] != "processed/1" || inboxGot[d.ID] != "processed/2" {
			t.Errorf("delivery %s: in order %s, redelivered %s; want processed/1 and processed/2", d.ID, inboxWant[d.ID], inboxGot[d.ID])
		}
	}
	if d := takeSnapshot(t, db, replayed.ID).diff(takeSnapshot(t, db, inOrder.ID), true); d != "" {
		t.Fatalf("the inventory after redeliveries twice and newest first differs from in-order delivery: %s", d)
	}
}
