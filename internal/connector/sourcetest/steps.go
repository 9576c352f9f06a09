package sourcetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// maxSteps bounds the steps of one stage in StepAll: a stage that has not ended by then never will.
const maxSteps = 10000

// StepAll runs stages of a lane to their ends as one uninterrupted run would, without storing anything, and hands
// each step's result to each. No stages means every stage of the lane; each stage starts from from[stage] ("" when
// from has none). The first failing step ends it with that step's error, naming the stage and cursor; so does a
// stage that has not ended after 10,000 steps.
func StepAll(ctx context.Context, src sspm.Source, ln sspm.Lane, stages []string, from map[string]string, each func(stage string, res sspm.StepResult)) error {
	if len(stages) == 0 {
		stages = src.Stages(ln)
	}
	for _, stage := range stages {
		cursor := from[stage]
		for steps := 0; ; steps++ {
			if steps >= maxSteps {
				return fmt.Errorf("stage %s never ends (%d steps)", stage, steps)
			}
			res, err := src.Step(ctx, ln, stage, cursor)
			if err != nil {
				return fmt.Errorf("stage %s at %q: %w", stage, cursor, err)
			}
			each(stage, res)
			if res.Next == "" {
				break
			}
			cursor = res.Next
		}
	}
	return nil
}

// AppendPage appends every row of src to dst.
func AppendPage(dst, src *sspm.Page) {
	dst.Accounts = append(dst.Accounts, src.Accounts...)
	dst.Groups = append(dst.Groups, src.Groups...)
	dst.GroupMembers = append(dst.GroupMembers, src.GroupMembers...)
	dst.Resources = append(dst.Resources, src.Resources...)
	dst.Grants = append(dst.Grants, src.Grants...)
	dst.Credentials = append(dst.Credentials, src.Credentials...)
	dst.Datasets = append(dst.Datasets, src.Datasets...)
	dst.Events = append(dst.Events, src.Events...)
	dst.Evidence = append(dst.Evidence, src.Evidence...)
	dst.MFA = append(dst.MFA, src.MFA...)
	dst.RevokedGrants = append(dst.RevokedGrants, src.RevokedGrants...)
	dst.RevokedCredentials = append(dst.RevokedCredentials, src.RevokedCredentials...)
}

// Company builds the company of a harness's n-th tenant (NewTenant's n): providersim.Small() seeded n+1, every
// tenant after the first with a name and domain of its own ("Tenant1", "tenant1.example"). edit, when not nil,
// changes the configuration first.
func Company(t testing.TB, n int, edit func(*providersim.CompanyConfig)) *providersim.Company {
	t.Helper()
	cfg := providersim.Small()
	cfg.Seed = int64(n + 1)
	if n > 0 {
		cfg.Name, cfg.Domain = fmt.Sprintf("Tenant%d", n), fmt.Sprintf("tenant%d.example", n)
	}
	if edit != nil {
		edit(&cfg)
	}
	company, err := providersim.NewCompany(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return company
}
