package entra

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// listing is a parent collection a stage walks: its first link, how an item becomes rows, the child listings read
// per item, and what a 403 on it makes unavailable.
type listing struct {
	op        string
	first     string
	emit      func(item json.RawMessage, o object, p *sspm.Page) error
	children  []child
	forbidden []sspm.Entity
}

// child is a listing read for each item of its parent.
type child struct {
	op        string
	link      func(parentID string) string
	emit      func(parentID string, item json.RawMessage, o object, p *sspm.Page) error
	forbidden []sspm.Entity
}

// parentPage is the parent page a Source walks, kept between steps.
type parentPage struct {
	link  string
	list  int
	items []json.RawMessage
	objs  []object
	next  string
	delta string // the deltaLink of a delta round's last page
}

// walkCursor reads the next pages of a stage's listings from cursor, within the step's limits.
func (s *Source) walkCursor(ctx context.Context, lists []listing, cursor string) (sspm.StepResult, error) {
	var cur walk
	if err := decodeCursor(cursor, &cur); err != nil {
		return sspm.StepResult{}, err
	}
	res, cur, done, err := s.walkStep(ctx, lists, cur)
	if err != nil || done {
		return res, err
	}
	res.Next = encodeCursor(cur)
	return res, nil
}

// reset moves the walk to the start of list, keeping what the run learned.
func (w walk) reset(list int, page string) walk {
	return walk{List: list, Page: page, Skip: w.Skip, NoSignIn: w.NoSignIn, Delta: w.Delta, Ends: w.Ends}
}

// walkStep reads the next pages of a stage's listings from cur, within the step's limits; done says the
// listings ended.
func (s *Source) walkStep(ctx context.Context, lists []listing, cur walk) (sspm.StepResult, walk, bool, error) {
	var res sspm.StepResult
	st := s.stepper()
	for !st.full(res.Page.Len()) {
		if cur.List >= len(lists) {
			return res, cur, true, nil
		}
		l := lists[cur.List]
		if slices.Contains(cur.Skip, skipKey(cur.List, -1)) {
			cur = cur.reset(cur.List+1, "")
			continue
		}
		pp, fetched, err := s.parent(ctx, l, cur)
		if fetched {
			st.requests++
		}
		if expired(err) && cur.Page != "" { // the page token expired: the listing starts over (upserts again)
			res.Message = joinMessages(res.Message, l.op+": the page token expired; the listing starts over")
			cur = cur.reset(cur.List, "")
			continue
		}
		if isForbidden(err) {
			res.Unavailable = append(res.Unavailable, l.forbidden...)
			res.Message = joinMessages(res.Message, err.Error())
			cur.Skip = append(cur.Skip, skipKey(cur.List, -1))
			cur = cur.reset(cur.List+1, "")
			continue
		}
		if err != nil {
			return sspm.StepResult{}, cur, false, err
		}
		if !cur.Loaded {
			for i, item := range pp.items {
				if err := l.emit(item, pp.objs[i], &res.Page); err != nil {
					return sspm.StepResult{}, cur, false, err
				}
			}
			cur.Loaded, cur.Index, cur.Child, cur.Link = true, 0, 0, ""
			continue
		}
		if cur.Index >= len(pp.items) {
			if pp.next == "" {
				cur.Ends = setEnd(cur.Ends, cur.List, pp.delta)
				cur = cur.reset(cur.List+1, "")
			} else {
				cur = cur.reset(cur.List, pp.next)
			}
			continue
		}
		if cur.Child >= len(l.children) || pp.objs[cur.Index].Removed != nil { // a removed object has no children to read
			cur.Index, cur.Child, cur.Link = cur.Index+1, 0, ""
			continue
		}
		if slices.Contains(cur.Skip, skipKey(cur.List, cur.Child)) {
			cur.Child, cur.Link = cur.Child+1, ""
			continue
		}
		ch := l.children[cur.Child]
		id := pp.objs[cur.Index].ID
		link := cur.Link
		if link == "" {
			link = ch.link(id)
		}
		page, err := s.readPage(ctx, ch.op, link)
		st.requests++
		if expired(err) && cur.Link != "" { // the child listing's page token expired: it starts over
			cur.Link = ""
			continue
		}
		if isForbidden(err) {
			res.Unavailable = append(res.Unavailable, ch.forbidden...)
			res.Message = joinMessages(res.Message, err.Error())
			cur.Skip = append(cur.Skip, skipKey(cur.List, cur.Child))
			cur.Child, cur.Link = cur.Child+1, ""
			continue
		}
		if err != nil {
			return sspm.StepResult{}, cur, false, err
		}
		for _, item := range page.Value {
			o, err := idOf(ch.op, item)
			if err != nil {
				return sspm.StepResult{}, cur, false, err
			}
			if err := ch.emit(id, item, o, &res.Page); err != nil {
				return sspm.StepResult{}, cur, false, err
			}
		}
		if page.Next != "" {
			cur.Link = page.Next
		} else {
			cur.Child, cur.Link = cur.Child+1, ""
		}
	}
	return res, cur, cur.List >= len(lists), nil
}

// parent returns the parent page the cursor walks, from memory or from Graph (fetched).
func (s *Source) parent(ctx context.Context, l listing, cur walk) (parentPage, bool, error) {
	link := cur.Page
	if link == "" {
		link = l.first
	}
	if p := s.mem.page; p != nil && p.link == link && p.list == cur.List {
		return *p, false, nil
	}
	page, err := s.readPage(ctx, l.op, link)
	if err != nil {
		return parentPage{}, true, err
	}
	pp := parentPage{link: link, list: cur.List, items: page.Value, next: page.Next, delta: page.Delta, objs: make([]object, len(page.Value))}
	for i, item := range page.Value {
		if pp.objs[i], err = idOf(l.op, item); err != nil {
			return parentPage{}, true, err
		}
	}
	s.mem.page = &pp
	return pp, true, nil
}

// setEnd records the deltaLink a listing ended with (walk.Ends).
func setEnd(ends []string, list int, link string) []string {
	if link == "" {
		return ends
	}
	for len(ends) <= list {
		ends = append(ends, "")
	}
	ends[list] = link
	return ends
}
