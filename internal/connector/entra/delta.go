package entra

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Delta queries (providers.md §3.3) keep users and groups current between full enumerations:
//
//   - A full enumeration (the first run, then every full_resync_hours) first asks the delta endpoint for
//     $deltatoken=latest, enumerates the listing whole, and leaves that deltaLink as the stage's watermark with
//     the time the enumeration started. Changes made while it ran come again in the next delta, which is harmless.
//   - A run in between applies the delta from the watermark: changed objects are upserted, members@delta
//     additions become memberships, and what the delta marks @removed expires at once through the page's
//     removals (sspm.Page): a deleted user with its memberships and grants, a deleted group with its
//     memberships, a membership members@delta removes. Such a run reads only changes, so it marks the stage's
//     entities unavailable: its sweep expires nothing of them. What Graph does not report (a change it missed,
//     drift) is expired by the next full enumeration, the only run that sweeps.
//   - A deltaLink Graph no longer accepts (410 Gone, or 400 syncStateNotFound after 7 days) starts a full
//     enumeration at once, and the run's progress says so.

// deltaState is the delta part of a users or groups cursor.
type deltaState struct {
	// Mode: "" the stage's watermark (the first step of a run decides), "full" an enumeration under way,
	// "delta" a delta round under way.
	Mode string `json:"m,omitempty"`
	// Link is the watermark's deltaLink, or in a delta round the next page's link.
	Link string `json:"l,omitempty"`
	// Latest is, in a full enumeration, the deltaLink taken at its start.
	Latest string `json:"lt,omitempty"`
	// FullAt is when the last full enumeration started (unix seconds).
	FullAt int64 `json:"f,omitempty"`
	// AppLink and AppLatest are the apps stage's second deltaLink (applications; Link and Latest are the
	// service principals').
	AppLink   string `json:"al,omitempty"`
	AppLatest string `json:"alt,omitempty"`
}

// deltaSpec describes one stage's delta.
type deltaSpec struct {
	what     string // "users", "groups"
	latest   string // the $deltatoken=latest request
	emit     func(item json.RawMessage, o object, p *sspm.Page) error
	entities []sspm.Entity
}

// plan decides, on a stage's first step, whether the run applies the delta or enumerates: it returns the cursor
// to go on with and a message when a full enumeration is due.
func (s *Source) plan(cur walk) (walk, string) {
	d := cur.Delta
	if d == nil || d.Mode != "" {
		return cur, ""
	}
	fullAt := time.Unix(d.FullAt, 0)
	if s.fullResync > 0 && d.Link != "" && s.opts.now().Sub(fullAt) < s.fullResync {
		return walk{Delta: &deltaState{Mode: "delta", Link: d.Link, FullAt: d.FullAt}}, ""
	}
	return walk{}, fmt.Sprintf("full re-enumeration (the last began %s)", fullAt.UTC().Format(time.RFC3339))
}

// startFull takes the deltaLink of "now" at the start of a full enumeration (when delta is on). A tenant that
// refuses the delta endpoint is enumerated without: the message says so.
func (s *Source) startFull(ctx context.Context, cur walk, spec deltaSpec) (walk, string, error) {
	if s.fullResync <= 0 || cur.Delta != nil {
		return cur, "", nil
	}
	now := s.opts.now().Unix()
	p, err := s.readPage(ctx, "read the "+spec.what+" delta", spec.latest)
	switch {
	case isForbidden(err):
		cur.Delta = &deltaState{Mode: "full", FullAt: now}
		return cur, "the " + spec.what + " delta is unavailable (" + err.Error() + "): every run enumerates", nil
	case err != nil:
		return cur, "", err
	}
	cur.Delta = &deltaState{Mode: "full", Latest: p.Delta, FullAt: now}
	return cur, "", nil
}

// endFull is the watermark a finished full enumeration leaves: its starting deltaLink.
func endFull(cur walk) string {
	if cur.Delta == nil || cur.Delta.Latest == "" {
		return ""
	}
	return encodeCursor(walk{Delta: &deltaState{Link: cur.Delta.Latest, FullAt: cur.Delta.FullAt}})
}

// deltaStep reads the next pages of a delta round.
func (s *Source) deltaStep(ctx context.Context, cur walk, spec deltaSpec) (sspm.StepResult, error) {
	var res sspm.StepResult
	st := s.stepper()
	link := cur.Delta.Link
	changes := 0
	for !st.full(res.Page.Len()) {
		p, err := s.readPage(ctx, "read the "+spec.what+" delta", link)
		st.requests++
		switch {
		case sspm.ErrorCode(err) == sspm.CodeConflict:
			res.Next = encodeCursor(walk{})
			res.Message = fmt.Sprintf("the %s deltaLink was refused (%s): enumerating all %s", spec.what, err, spec.what)
			return res, nil
		case isForbidden(err):
			res.Unavailable = append(res.Unavailable, spec.entities...)
			res.Message = err.Error()
			return res, nil
		case err != nil:
			return sspm.StepResult{}, err
		}
		res.Unavailable = spec.entities // a delta run sweeps none of them
		for _, item := range p.Value {
			o, err := idOf("read the "+spec.what+" delta", item)
			if err != nil {
				return sspm.StepResult{}, err
			}
			if err := spec.emit(item, o, &res.Page); err != nil {
				return sspm.StepResult{}, err
			}
			changes++
		}
		if p.Delta != "" {
			res.Watermark = encodeCursor(walk{Delta: &deltaState{Link: p.Delta, FullAt: cur.Delta.FullAt}})
			res.Message = fmt.Sprintf("applied the %s delta (%d changes in this step)", spec.what, changes)
			return res, nil
		}
		if p.Next == "" {
			return sspm.StepResult{}, sspm.Errorf(sspm.CodeUnavailable, "entra read the %s delta: a page with neither nextLink nor deltaLink", spec.what)
		}
		link = p.Next
	}
	cur.Delta.Link = link
	res.Next = encodeCursor(cur)
	res.Message = fmt.Sprintf("applying the %s delta (%d changes in this step)", spec.what, changes)
	return res, nil
}
