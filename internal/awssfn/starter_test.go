package awssfn_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/awssfn"
	"github.com/open-sspm/open-sspm/internal/awssfn/sfnfake"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func setup(t *testing.T) (*sfnfake.Server, string, *awssfn.Starter, *clock) {
	t.Helper()
	srv := sfnfake.NewServer()
	t.Cleanup(srv.Close)
	arn := srv.CreateStateMachine("tail")
	c := &clock{t: time.Date(2026, 11, 26, 10, 20, 0, 0, time.UTC)}
	return srv, arn, awssfn.New(srv.Client(), arn, awssfn.Options{Window: time.Hour, Now: c.now}), c
}

func tail(connector, stream string) sspm.Invocation {
	return sspm.Invocation{Lane: sspm.LaneTail, ConnectorID: connector, Stream: stream, Trigger: sspm.TriggerSchedule}
}

func TestOneExecutionPerStreamAndWindow(t *testing.T) {
	srv, arn, s, c := setup(t)
	ctx := t.Context()
	steps := []struct {
		name      string
		advance   time.Duration
		finish    bool
		give      sspm.Invocation
		wantTotal int
	}{
		{name: "first start", give: tail("okta-1", "system_log"), wantTotal: 1},
		{name: "again while running, same window", advance: 10 * time.Minute, give: tail("okta-1", "system_log"), wantTotal: 1},
		{name: "another stream", give: tail("okta-1", "audit"), wantTotal: 2},
		{name: "again after it finished, same window", advance: 10 * time.Minute, finish: true, give: tail("okta-1", "system_log"), wantTotal: 2},
		{name: "next window", advance: 30 * time.Minute, give: tail("okta-1", "system_log"), wantTotal: 3},
	}
	for _, st := range steps {
		c.t = c.t.Add(st.advance)
		if st.finish {
			srv.Finish(arn)
		}
		if err := s.Invoke(ctx, st.give); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := len(srv.Executions(arn)); got != st.wantTotal {
			t.Fatalf("%s: %d executions, want %d", st.name, got, st.wantTotal)
		}
	}
	first := srv.Executions(arn)[0]
	if first.Name != "okta-1_system_log_20261126T1000" {
		t.Fatalf("name = %s", first.Name)
	}
	var in awssfn.TailInput
	if err := json.Unmarshal([]byte(first.Input), &in); err != nil || in != (awssfn.TailInput{ConnectorID: "okta-1", Stream: "system_log"}) {
		t.Fatalf("input %s: %+v %v", first.Input, in, err)
	}
	if !strings.Contains(first.Input, `"iteration":0`) {
		t.Fatalf("input %s carries no iteration", first.Input)
	}
}

func TestInvokeErrors(t *testing.T) {
	tests := []struct {
		name     string
		fault    string
		give     sspm.Invocation
		wantCode sspm.Code
		wantErr  string
	}{
		{name: "not a tail invocation", give: sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "c"}, wantCode: sspm.CodeInvalid, wantErr: "want a tail invocation"},
		{name: "no stream", give: sspm.Invocation{Lane: sspm.LaneTail, ConnectorID: "c"}, wantCode: sspm.CodeInvalid, wantErr: "want a tail invocation"},
		{name: "throttled", fault: "ThrottlingException", give: tail("c", "s"), wantCode: sspm.CodeInternal, wantErr: "step functions start c_s_20261126T1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, arn, s, _ := setup(t)
			if tt.fault != "" {
				srv.FailNext(http.StatusBadRequest, tt.fault, "Rate exceeded")
			}
			err := s.Invoke(t.Context(), tt.give)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || sspm.ErrorCode(err) != tt.wantCode {
				t.Fatalf("err = %v, want %q (%s)", err, tt.wantErr, tt.wantCode)
			}
			if n := len(srv.Executions(arn)); n != 0 {
				t.Fatalf("%d executions started", n)
			}
		})
	}
}

func TestExecutionName(t *testing.T) {
	window := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	valid := regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	long := strings.Repeat("c", 63)
	tests := []struct {
		connector, stream string
		want              string // "" checks only validity and distinctness
	}{
		{"okta-1", "system_log", "okta-1_system_log_20261126T1000"},
		{"gh", "audit.log", ""},
		{"gh", "audit:log", ""},
		{long, "system_log", ""},
		{long, "system_lox", ""},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		got := awssfn.ExecutionName(tt.connector, tt.stream, window)
		if !valid.MatchString(got) {
			t.Errorf("ExecutionName(%q, %q) = %q: not a valid execution name", tt.connector, tt.stream, got)
		}
		if tt.want != "" && got != tt.want {
			t.Errorf("ExecutionName(%q, %q) = %q, want %q", tt.connector, tt.stream, got, tt.want)
		}
		if seen[got] {
			t.Errorf("ExecutionName(%q, %q) = %q collides with another stream", tt.connector, tt.stream, got)
		}
		seen[got] = true
	}
}
