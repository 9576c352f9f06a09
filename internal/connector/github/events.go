package github

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// The canonical form of a webhook: Type "<event>[.<action>]" (the names the event policies match, e.g.
// organization.member_added, member.edited, team_add, meta.deleted), the sender as actor, the users, teams,
// repositories and installations it names as targets (typed user, team, repository, installation), the time
// from the payload when it carries one, else when it was parsed.

type ref struct {
	ID    int64  `json:"id"`
	Login string `json:"login"`
	Name  string `json:"name"`
	Slug  string `json:"slug"`
	Full  string `json:"full_name"`
	// times some objects carry
	UpdatedAt *time.Time `json:"updated_at"`
	CreatedAt *time.Time `json:"created_at"`
}

type payload struct {
	Action       string `json:"action"`
	Sender       *ref   `json:"sender"`
	Member       *ref   `json:"member"`
	Team         *ref   `json:"team"`
	Repository   *ref   `json:"repository"`
	Installation *ref   `json:"installation"`
	Organization *ref   `json:"organization"`
	Membership   *struct {
		User *ref `json:"user"`
	} `json:"membership"`
	PATRequest *struct {
		ID        int64      `json:"id"`
		Owner     *ref       `json:"owner"`
		CreatedAt *time.Time `json:"created_at"`
	} `json:"personal_access_token_request"`
}

var categories = map[string]string{
	"organization": "membership", "member": "access", "membership": "membership", "team": "group",
	"team_add": "access", "repository": "resource", "installation": "app", "personal_access_token_request": "credential",
	"deploy_key": "credential", "meta": "audit.change",
}

// mapDelivery maps one delivery; an unknown event (ping, events we do not subscribe to) yields no event.
func mapDelivery(event, id string, body json.RawMessage, now time.Time) ([]sspm.Event, error) {
	cat, ok := categories[event]
	if !ok {
		return nil, nil
	}
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, malformed("payload: " + err.Error())
	}
	typ := event
	if p.Action != "" {
		typ += "." + p.Action
	}
	e := sspm.Event{ProviderEventID: id, Type: typ, Category: cat, Outcome: "success", Source: "push", Raw: body, OccurredAt: now.UTC()}
	if p.Sender != nil && p.Sender.ID != 0 {
		e.ActorExternalID, e.ActorDisplay = strconv.FormatInt(p.Sender.ID, 10), p.Sender.Login
	}
	user := func(r *ref) {
		if r != nil && r.ID != 0 {
			e.Targets = append(e.Targets, sspm.EventTarget{Type: "user", ExternalID: strconv.FormatInt(r.ID, 10), DisplayName: r.Login})
		}
	}
	user(p.Member)
	if p.Membership != nil {
		user(p.Membership.User)
	}
	if p.Team != nil && p.Team.ID != 0 {
		e.Targets = append(e.Targets, sspm.EventTarget{Type: "team", ExternalID: strconv.FormatInt(p.Team.ID, 10), DisplayName: p.Team.Slug})
	}
	if p.Repository != nil && p.Repository.ID != 0 {
		e.Targets = append(e.Targets, sspm.EventTarget{Type: "repository", ExternalID: strconv.FormatInt(p.Repository.ID, 10), DisplayName: p.Repository.Full})
		if t := p.Repository.UpdatedAt; t != nil && !t.IsZero() && event == "repository" {
			e.OccurredAt = t.UTC()
		}
	}
	if p.Installation != nil && p.Installation.ID != 0 && event == "installation" {
		e.Targets = append(e.Targets, sspm.EventTarget{Type: "installation", ExternalID: "installation:" + strconv.FormatInt(p.Installation.ID, 10)})
	}
	if r := p.PATRequest; r != nil {
		user(r.Owner)
		e.Targets = append(e.Targets, sspm.EventTarget{Type: "pat_request", ExternalID: strconv.FormatInt(r.ID, 10)})
		if r.CreatedAt != nil && !r.CreatedAt.IsZero() && p.Action == "created" {
			e.OccurredAt = r.CreatedAt.UTC()
		}
	}
	return []sspm.Event{e}, nil
}
