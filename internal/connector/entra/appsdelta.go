package entra

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// The apps stage follows the users and groups stages' delta (delta.go) with two deltaLinks, one of
// /servicePrincipals/delta and one of /applications/delta:
//
//   - A full enumeration asks both for $deltatoken=latest first, then walks both listings whole with every owner
//     and app role assignment, and leaves both deltaLinks as the stage's watermark.
//   - A run in between walks the two deltas instead: a changed service principal or application is upserted and
//     only its owners (and, for a service principal, its app role assignments) are read again. Graph's delta
//     reports changed properties; an owner or assignment added to or removed from an app whose properties did
//     not change is not reported, so it is read at the next full enumeration. Such a run marks what the stage
//     feeds unavailable, so its sweep expires nothing of it; but what the delta reports @removed (deleted, or
//     soft-deleted and restorable for 30 days: either way it no longer signs in or grants anything) expires at
//     once: a service principal's resource with the grants on it (owners, app role assignments) and its account
//     with the grants it holds (directory roles, app role assignments to it); an application's resource with its
//     owners (sspm.Page.RemovedResources, RemovedAccounts). @removed names only the id, not the client secrets
//     and certificates, so those wait for the next full enumeration. A restored app comes back as changed.
//   - A deltaLink Graph refuses (410, or 400 syncStateNotFound) starts a full enumeration at once.

// appsDeltaUnavailable is what a delta run of the apps stage does not sweep: the apps' resources, their
// credentials (client secrets, certificates), grants (owners and app role assignments; the whole entity, since a
// grant row does not carry its resource's kind) and the service principals' accounts.
var appsDeltaUnavailable = []sspm.Entity{
	sspm.ScopedEntity(sspm.EntityResources, map[string]string{"kind": "app"}),
	sspm.ScopedEntity(sspm.EntityResources, map[string]string{"kind": "app_registration"}),
	sspm.ScopedEntity(sspm.EntityCredentials, map[string]string{"kind": "client_secret"}),
	sspm.ScopedEntity(sspm.EntityCredentials, map[string]string{"kind": "certificate"}),
	sspm.EntityGrants,
	sspm.EntityAccounts,
}

const (
	spDeltaLatest  = "/servicePrincipals/delta?$select=" + spSelect + "&$deltatoken=latest"
	appDeltaLatest = "/applications/delta?$select=" + appSelect + "&$deltatoken=latest"
)

// appsWalk reads the next pages of the apps stage from cursor.
func (s *Source) appsWalk(ctx context.Context, cursor string) (sspm.StepResult, error) {
	var cur walk
	if err := decodeCursor(cursor, &cur); err != nil {
		return sspm.StepResult{}, err
	}
	var planned string
	if d := cur.Delta; d != nil && d.Mode == "" {
		appLink := d.AppLink
		if appLink == "" {
			cur.Delta.Link = "" // both deltaLinks or none
		}
		if cur, planned = s.plan(cur); cur.Delta != nil && cur.Delta.Mode == "delta" {
			cur.Delta.AppLink = appLink
		}
	}
	if cur.Delta != nil && cur.Delta.Mode == "delta" {
		return s.appsDeltaStep(ctx, cur)
	}
	cur, started, err := s.startAppsFull(ctx, cur)
	if err != nil {
		return sspm.StepResult{}, err
	}
	res, cur, done, err := s.walkStep(ctx, s.appLists(), cur)
	if err != nil {
		return res, err
	}
	res.Message = joinMessages(joinMessages(planned, started), res.Message)
	if !done {
		res.Next = encodeCursor(cur)
		return res, nil
	}
	if d := cur.Delta; d != nil && d.Latest != "" && d.AppLatest != "" {
		res.Watermark = encodeCursor(walk{Delta: &deltaState{Link: d.Latest, AppLink: d.AppLatest, FullAt: d.FullAt}})
	}
	return res, nil
}

// startAppsFull takes both deltaLinks of "now" at the start of a full enumeration (when delta is on).
func (s *Source) startAppsFull(ctx context.Context, cur walk) (walk, string, error) {
	if s.fullResync <= 0 || cur.Delta != nil {
		return cur, "", nil
	}
	d := &deltaState{Mode: "full", FullAt: s.opts.now().Unix()}
	for _, l := range []struct {
		link string
		to   *string
	}{{spDeltaLatest, &d.Latest}, {appDeltaLatest, &d.AppLatest}} {
		p, err := s.readPage(ctx, "read the apps delta", l.link)
		switch {
		case isForbidden(err):
			cur.Delta = &deltaState{Mode: "full", FullAt: d.FullAt}
			return cur, "the apps delta is unavailable (" + err.Error() + "): every run enumerates apps", nil
		case err != nil:
			return cur, "", err
		}
		*l.to = p.Delta
	}
	cur.Delta = d
	return cur, "", nil
}

// appDeltaLists are the apps stage's listings in a delta round: the two deltas, with the same child listings
// (read only for the objects the delta reports, not for removed ones).
func (s *Source) appDeltaLists(d *deltaState) []listing {
	lists := s.appLists()
	for i, first := range []string{d.Link, d.AppLink} {
		emit, sp := lists[i].emit, i == 0
		lists[i].first = first
		lists[i].op = "read the " + lists[i].op[len("list "):] + " delta"
		lists[i].emit = func(item json.RawMessage, o object, p *sspm.Page) error {
			if o.Removed != nil { // deleted: its rows expire at once (see the stage's doc)
				p.RemovedResources = append(p.RemovedResources, o.ID)
				if sp {
					p.RemovedAccounts = append(p.RemovedAccounts, spAccount(o.ID))
				}
				return nil
			}
			return emit(item, o, p)
		}
	}
	return lists
}

// appsDeltaStep reads the next pages of the apps stage's delta round.
func (s *Source) appsDeltaStep(ctx context.Context, cur walk) (sspm.StepResult, error) {
	res, next, done, err := s.walkStep(ctx, s.appDeltaLists(cur.Delta), cur)
	switch {
	case sspm.ErrorCode(err) == sspm.CodeConflict:
		return sspm.StepResult{Next: encodeCursor(walk{}),
			Message: fmt.Sprintf("the apps deltaLink was refused (%s): enumerating all apps", err)}, nil
	case err != nil:
		return sspm.StepResult{}, err
	}
	res.Unavailable = append(res.Unavailable, appsDeltaUnavailable...)
	changed := len(res.Page.Resources)
	if !done {
		res.Next = encodeCursor(next)
		res.Message = joinMessages(res.Message, fmt.Sprintf("applying the apps delta (%d changed apps in this step)", changed))
		return res, nil
	}
	res.Message = joinMessages(res.Message, fmt.Sprintf("applied the apps delta (%d changed apps in this step)", changed))
	if len(next.Ends) == 2 && next.Ends[0] != "" && next.Ends[1] != "" {
		res.Watermark = encodeCursor(walk{Delta: &deltaState{Link: next.Ends[0], AppLink: next.Ends[1], FullAt: cur.Delta.FullAt}})
	} else {
		res.Watermark = encodeCursor(walk{}) // a delta was not read to its end (403): the next run enumerates
	}
	return res, nil
}
