package github

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strconv"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// installationsStep reads one page of the organization's GitHub App installations as credential metadata
// (kind github_app_installation, scopes "permission:level"). Listing them needs an owner or the
// Administration permission; without it credentials are Unavailable.
func (s *Source) installationsStep(ctx context.Context, page int) (sspm.StepResult, error) {
	var res sspm.StepResult
	ins, resp, err := s.c.gh.Organizations.ListInstallations(ctx, s.c.org, s.listPtr(page))
	if err = classify("list app installations", err); errors.Is(err, errUnreadable) {
		res.Unavailable, res.Message = []sspm.Entity{scopeInstallations}, "app installations: "+errUnreadable.Error()
		return res, nil
	} else if err != nil {
		return res, err
	}
	for _, in := range ins.Installations {
		var scopes []string
		if p := in.GetPermissions(); p != nil {
			b, _ := json.Marshal(p)
			var m map[string]string
			_ = json.Unmarshal(b, &m)
			for k, v := range m {
				scopes = append(scopes, k+":"+v)
			}
			sort.Strings(scopes)
		}
		raw, _ := json.Marshal(map[string]any{"app_id": in.GetAppID(), "app_slug": in.GetAppSlug(), "target_type": in.GetTargetType(),
			"repository_selection": in.GetRepositorySelection(), "events": in.Events, "suspended": in.SuspendedAt != nil})
		res.Page.Credentials = append(res.Page.Credentials, sspm.Credential{
			ExternalID: "installation:" + strconv.FormatInt(in.GetID(), 10), Kind: "github_app_installation",
			Name: in.GetAppSlug(), Scopes: scopes, CreatedAt: in.GetCreatedAt().Time, Raw: raw})
	}
	res.Next = nextCursor(resp.NextPage)
	return res, nil
}
