package sourcetest_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// pager has stages "a" and "b" of pages[stage] pages each; cursors are page numbers. fail makes the step at that
// stage and cursor fail; endless makes stage "b" never end.
type pager struct {
	pages   map[string]int
	fail    string // "stage@cursor"
	endless bool
}

var errBoom = errors.New("boom")

func (p *pager) Stages(sspm.Lane) []string { return []string{"a", "b"} }

func (p *pager) Step(_ context.Context, _ sspm.Lane, stage, cursor string) (sspm.StepResult, error) {
	if stage+"@"+cursor == p.fail {
		return sspm.StepResult{}, errBoom
	}
	n, _ := strconv.Atoi(cursor)
	res := sspm.StepResult{Page: sspm.Page{Accounts: []sspm.Account{{ExternalID: stage + cursor}}}}
	if n+1 < p.pages[stage] || (p.endless && stage == "b") {
		res.Next = strconv.Itoa(n + 1)
	}
	return res, nil
}

func TestStepAll(t *testing.T) {
	tests := []struct {
		name    string
		src     *pager
		stages  []string
		from    map[string]string
		want    string // stage:account of every step
		wantErr string
	}{
		{name: "every stage to its end", src: &pager{pages: map[string]int{"a": 2, "b": 3}},
			want: "a:a a:a1 b:b b:b1 b:b2"},
		{name: "named stages only", src: &pager{pages: map[string]int{"a": 2, "b": 3}}, stages: []string{"b"},
			want: "b:b b:b1 b:b2"},
		{name: "from a cursor", src: &pager{pages: map[string]int{"a": 2, "b": 3}}, from: map[string]string{"b": "2"},
			want: "a:a a:a1 b:b2"},
		{name: "a failing step ends it", src: &pager{pages: map[string]int{"a": 2, "b": 3}, fail: "b@1"},
			want: "a:a a:a1 b:b", wantErr: `stage b at "1": boom`},
		{name: "a stage that never ends", src: &pager{pages: map[string]int{"a": 1}, endless: true},
			wantErr: "stage b never ends"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := sourcetest.StepAll(context.Background(), tt.src, sspm.LaneFull, tt.stages, tt.from, func(stage string, res sspm.StepResult) {
				got = append(got, stage+":"+res.Page.Accounts[0].ExternalID)
			})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(tt.wantErr, "boom") && !errors.Is(err, errBoom) {
					t.Errorf("err %v does not wrap the step's error", err)
				}
				if tt.want == "" {
					return
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if s := strings.Join(got, " "); s != tt.want {
				t.Errorf("steps %q, want %q", s, tt.want)
			}
		})
	}
}

func TestAppendPage(t *testing.T) {
	one := sspm.Page{
		Accounts: []sspm.Account{{}}, Groups: []sspm.Group{{}}, GroupMembers: []sspm.GroupMember{{}},
		Resources: []sspm.Resource{{}}, Grants: []sspm.Grant{{}}, Credentials: []sspm.Credential{{}},
		Datasets: []sspm.DatasetRow{{}}, Events: []sspm.Event{{}}, Evidence: []sspm.Evidence{{}}, MFA: []sspm.MFAStatus{{}},
		RevokedGrants: []sspm.Grant{{}}, RevokedCredentials: []sspm.Credential{{}},
	}
	var all sspm.Page
	sourcetest.AppendPage(&all, &one)
	sourcetest.AppendPage(&all, &one)
	if all.Len() != 2*one.Len() || one.Len() != 12 {
		t.Errorf("appended %d rows of twice %d, want every row of every kind", all.Len(), one.Len())
	}
}
