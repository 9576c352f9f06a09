package readahead

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// pages is a stage of three pages: cursor "" → "2" → "3" → end. It records each read and can fail one cursor
// with an error.
type pages struct {
	mu    sync.Mutex
	reads []string
	fail  map[string]error
}

func (p *pages) step(_ context.Context, lane sspm.Lane, stage, cursor string) (sspm.StepResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reads = append(p.reads, fmt.Sprintf("%s/%s@%s", lane, stage, cursor))
	if err := p.fail[cursor]; err != nil {
		delete(p.fail, cursor)
		return sspm.StepResult{}, err
	}
	next := map[string]string{"": "2", "2": "3", "3": ""}[cursor]
	return sspm.StepResult{Next: next}, nil
}

func (p *pages) read() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.reads)
}

func TestReader(t *testing.T) {
	type call struct {
		lane          sspm.Lane
		stage, cursor string
	}
	full := func(stage, cursor string) call { return call{sspm.LaneFull, stage, cursor} }
	tests := []struct {
		name  string
		off   bool
		fail  map[string]error
		calls []call
		want  []string // the reads, after the last call settled
	}{
		{"each page is read once, the next one ahead", false, nil,
			[]call{full("users", ""), full("users", "2"), full("users", "3")},
			[]string{"full/users@", "full/users@2", "full/users@3"}},
		{"a stage not read ahead", false, nil,
			[]call{full("roles", ""), full("roles", "2")},
			[]string{"full/roles@", "full/roles@2"}},
		{"another lane is not read ahead", false, nil,
			[]call{{sspm.LaneDiscovery, "users", ""}},
			[]string{"discovery/users@"}},
		{"off", true, nil,
			[]call{full("users", ""), full("users", "2")},
			[]string{"full/users@", "full/users@2"}},
		{"asked for another cursor: the read-ahead is dropped and the page read", false, nil,
			[]call{full("users", ""), full("users", "3")},
			[]string{"full/users@", "full/users@2", "full/users@3"}},
		{"a read-ahead stopped by its context is read again", false, map[string]error{"2": context.Canceled},
			[]call{full("users", ""), full("users", "2")},
			[]string{"full/users@", "full/users@2", "full/users@2", "full/users@3"}},
		{"a read-ahead's other error is the step's answer", false, map[string]error{"2": sspm.Errorf(sspm.CodeUnavailable, "down")},
			[]call{full("users", ""), full("users", "2")},
			[]string{"full/users@", "full/users@2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &pages{fail: tt.fail}
			r := New(p.step, tt.off, "users")
			for _, c := range tt.calls {
				_, _ = r.Step(context.Background(), c.lane, c.stage, c.cursor)
			}
			r.Settle()
			if got := p.read(); !slices.Equal(got, tt.want) {
				t.Fatalf("reads %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReaderReturnsTheReadAheadsAnswer(t *testing.T) {
	p := &pages{fail: map[string]error{"2": sspm.Errorf(sspm.CodeUnavailable, "down")}}
	r := New(p.step, false, "users")
	if _, err := r.Step(context.Background(), sspm.LaneFull, "users", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Step(context.Background(), sspm.LaneFull, "users", "2"); sspm.ErrorCode(err) != sspm.CodeUnavailable {
		t.Fatalf("step 2: %v, want the read-ahead's unavailable error", err)
	}
}

func TestReaderStepsOnAnEndedContextReadNothing(t *testing.T) {
	p := &pages{}
	r := New(p.step, false, "users")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Step(ctx, sspm.LaneFull, "users", ""); err == nil {
		t.Fatal("a step on an ended context succeeded")
	}
	if got := p.read(); len(got) != 0 {
		t.Fatalf("reads %q, want none", got)
	}
}
