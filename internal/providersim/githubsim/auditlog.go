package githubsim

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The organization audit log (GitHub Enterprise Cloud): GET /orgs/{org}/audit-log with phrase (the qualifiers
// created:>=, created:>, created:<=, created:<, action: and actor:), include (web, git, all; every entry here is
// a web entry), order (asc, or desc by default), per_page and cursor paging: the Link header's next relation
// carries after=<cursor>, its prev relation before=<cursor>. Entries have GitHub's shape: @timestamp and
// created_at in Unix milliseconds, _document_id, action, actor/actor_id, user/user_id, org/org_id and the
// action's own fields (repo, team, permission, hook_id, ...).
//
// Options.NoAuditLog answers 404 (an organization without GitHub Enterprise Cloud); listing the route in
// Options.Forbidden answers 403 (a token without read:audit_log).

// auditEntry is one entry; seq orders entries of the same millisecond.
type auditEntry struct {
	seq    int
	at     time.Time
	fields map[string]any
}

// auditEpoch is how far back the generated history reaches from the server's clock at start.
const auditEpoch = 12 * time.Hour

// buildAuditLog generates the organization's recent history from its current state: members added (and owners
// promoted), team members and repository collaborators added, PATs granted, one disabled 2FA requirement and one
// deleted hook.
func (s *Server) buildAuditLog() {
	o := s.org
	type pending struct {
		action string
		fields map[string]any
	}
	var ps []pending
	admin := o.users[0]
	for _, u := range o.users {
		if u.Admin {
			admin = u
			break
		}
	}
	for _, u := range o.users {
		if u.Outside {
			continue
		}
		ps = append(ps, pending{"org.add_member", map[string]any{"user": u.Login, "user_id": u.ID, "permission": "read"}})
		if u.Admin {
			ps = append(ps, pending{"org.update_member", map[string]any{"user": u.Login, "user_id": u.ID, "permission": "admin", "old_permission": "read"}})
		}
	}
	for _, t := range o.teams {
		for _, m := range t.Members {
			if u := o.user(m.Login); u != nil {
				ps = append(ps, pending{"team.add_member", map[string]any{"team": o.Login + "/" + t.Slug, "team_id": t.ID, "user": u.Login, "user_id": u.ID}})
			}
		}
	}
	for _, r := range o.repos {
		for _, c := range r.Collabs {
			if u := o.user(c.Login); u != nil {
				ps = append(ps, pending{"repo.add_member", map[string]any{"repo": o.Login + "/" + r.Name, "repo_id": r.ID, "user": u.Login,
					"user_id": u.ID, "permission": roleName(c.Perm)}})
			}
		}
	}
	for _, p := range o.pats {
		if u := o.user(p.Owner); u != nil && !p.Request {
			ps = append(ps, pending{"personal_access_token.access_granted", map[string]any{"user": u.Login, "user_id": u.ID,
				"token_id": p.TokenID, "programmatic_access_type": "fine-grained personal access token"}})
		}
	}
	ps = append(ps, pending{"org.disable_two_factor_requirement", map[string]any{}},
		pending{"hook.destroy", map[string]any{"hook_id": 123456, "name": "webhook", "config": map[string]any{"url": "https://siem.example/hooks"}}})
	start := s.clock().Add(-auditEpoch)
	step := auditEpoch / time.Duration(len(ps)+1)
	for i, p := range ps {
		s.appendAudit(start.Add(time.Duration(i+1)*step), admin, p.action, p.fields)
	}
}

// appendAudit adds an entry by actor (nil: the organization's first owner) at the later of at and the last entry.
// The caller holds s.mu for writing (or is building the server).
func (s *Server) appendAudit(at time.Time, actor *user, action string, fields map[string]any) {
	o := s.org
	at = at.UTC().Truncate(time.Millisecond)
	if n := len(o.audit); n > 0 && !at.After(o.audit[n-1].at) {
		at = o.audit[n-1].at.Add(time.Millisecond)
	}
	seq := len(o.audit) + 1
	e := map[string]any{}
	for k, v := range fields {
		e[k] = v
	}
	ms := at.UnixMilli()
	e["@timestamp"], e["created_at"], e["_document_id"] = ms, ms, s.documentID(seq, action)
	e["action"], e["org"], e["org_id"], e["operation_type"] = action, o.Login, o.ID, operationType(action)
	if actor != nil {
		e["actor"], e["actor_id"] = actor.Login, actor.ID
	}
	o.audit = append(o.audit, auditEntry{seq: seq, at: at, fields: e})
}

func operationType(action string) string {
	switch {
	case strings.HasSuffix(action, ".destroy") || strings.HasSuffix(action, ".remove_member") || strings.Contains(action, "disable"):
		return "remove"
	case strings.HasSuffix(action, ".update_member"):
		return "modify"
	case strings.Contains(action, "add") || strings.Contains(action, "granted") || strings.HasSuffix(action, ".create"):
		return "create"
	}
	return "access"
}

// AuditLog records an entry in the audit log now: action by the organization's first owner with the given
// fields; fields naming a member by login ("user", "repo", "team") get their ids added.
func (s *Server) AuditLog(action string, fields map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.audit(action, fields)
}

// audit appends an entry now; the caller holds s.mu for writing.
func (s *Server) audit(action string, fields map[string]any) {
	f := map[string]any{}
	for k, v := range fields {
		f[k] = v
	}
	if l, ok := f["user"].(string); ok {
		if u := s.org.user(l); u != nil {
			f["user_id"] = u.ID
		}
	}
	if r, ok := f["repo"].(string); ok {
		if rp := s.org.repo(r); rp != nil {
			f["repo"], f["repo_id"] = s.org.Login+"/"+rp.Name, rp.ID
		}
	}
	if t, ok := f["team"].(string); ok {
		if tm := s.org.team(t); tm != nil {
			f["team"], f["team_id"] = s.org.Login+"/"+tm.Slug, tm.ID
		}
	}
	var actor *user
	for _, u := range s.org.users {
		if u.Admin {
			actor = u
			break
		}
	}
	s.appendAudit(s.clock(), actor, action, f)
}

// AuditEntries returns how many entries the audit log holds.
func (s *Server) AuditEntries() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.org.audit)
}

// auditPhrase is the part of the search phrase the simulator understands.
type auditPhrase struct {
	from, to      time.Time
	fromEx, toEx  bool
	action, actor string
	invalid       string // why the phrase is rejected
}

func parseAuditPhrase(p string) auditPhrase {
	var q auditPhrase
	for _, term := range strings.Fields(p) {
		key, val, ok := strings.Cut(term, ":")
		if !ok {
			continue
		}
		switch key {
		case "action":
			q.action = val
		case "actor":
			q.actor = val
		case "created":
			op := ""
			for _, o := range []string{">=", "<=", ">", "<"} {
				if strings.HasPrefix(val, o) {
					op, val = o, strings.TrimPrefix(val, o)
					break
				}
			}
			t, err := parseAuditTime(val)
			if err != nil {
				q.invalid = "invalid created qualifier"
				continue
			}
			switch op {
			case ">=", ">":
				q.from, q.fromEx = t, op == ">"
			case "<=", "<":
				q.to, q.toEx = t, op == "<"
			default:
				q.from, q.to = t, t.Add(24*time.Hour-time.Nanosecond)
			}
		}
	}
	return q
}

func parseAuditTime(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05-07:00", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q", v)
}

func (q auditPhrase) match(e auditEntry) bool {
	switch {
	case !q.from.IsZero() && (e.at.Before(q.from) || q.fromEx && e.at.Equal(q.from)):
		return false
	case !q.to.IsZero() && (e.at.After(q.to) || q.toEx && e.at.Equal(q.to)):
		return false
	case q.action != "" && e.fields["action"] != q.action:
		return false
	case q.actor != "" && e.fields["actor"] != q.actor:
		return false
	}
	return true
}

func auditCursor(e auditEntry) string {
	return base64.RawURLEncoding.EncodeToString([]byte("MS" + strconv.Itoa(e.seq)))
}

func parseAuditCursor(c string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(b), "MS"))
	return n, err == nil && strings.HasPrefix(string(b), "MS")
}

func (s *Server) listAuditLog(r *http.Request) reply {
	if s.opts.NoAuditLog {
		return errReply(http.StatusNotFound, "Not Found")
	}
	qs := r.URL.Query()
	q := parseAuditPhrase(qs.Get("phrase"))
	if q.invalid != "" {
		return errReply(http.StatusUnprocessableEntity, "Validation Failed: "+q.invalid)
	}
	desc := qs.Get("order") != "asc"
	if o := qs.Get("order"); o != "" && o != "asc" && o != "desc" {
		return errReply(http.StatusUnprocessableEntity, "Validation Failed: order must be asc or desc")
	}
	var sel []auditEntry
	for _, e := range s.org.audit {
		if q.match(e) {
			sel = append(sel, e)
		}
	}
	if desc {
		sort.SliceStable(sel, func(i, j int) bool { return sel[i].seq > sel[j].seq })
	}
	// The page: after the entry named by after, or before the entry named by before, in the listing's order.
	lo, hi := 0, len(sel)
	per := perPage(r)
	if a := qs.Get("after"); a != "" {
		seq, ok := parseAuditCursor(a)
		if !ok {
			return errReply(http.StatusBadRequest, "Invalid cursor")
		}
		lo = sort.Search(len(sel), func(i int) bool { return beyond(sel[i].seq, seq, desc) })
	} else if b := qs.Get("before"); b != "" {
		seq, ok := parseAuditCursor(b)
		if !ok {
			return errReply(http.StatusBadRequest, "Invalid cursor")
		}
		hi = sort.Search(len(sel), func(i int) bool { return !before(sel[i].seq, seq, desc) })
		lo = max(0, hi-per)
	}
	hi = min(hi, lo+per)
	page := sel[lo:hi]
	out := make([]map[string]any, len(page))
	for i, e := range page {
		out[i] = e.fields
	}
	var rels []string
	link := func(param, cursor, rel string) {
		u := *r.URL
		v := u.Query()
		v.Del("after")
		v.Del("before")
		v.Del("page")
		v.Set(param, cursor)
		u.RawQuery = v.Encode()
		scheme := "http://"
		if r.TLS != nil {
			scheme = "https://"
		}
		rels = append(rels, "<"+scheme+r.Host+u.RequestURI()+`>; rel="`+rel+`"`)
	}
	if hi < len(sel) && len(page) > 0 {
		link("after", auditCursor(page[len(page)-1]), "next")
	}
	if lo > 0 && len(page) > 0 {
		link("before", auditCursor(page[0]), "prev")
	}
	return reply{body: nonNil(out), link: strings.Join(rels, ", ")}
}

// beyond: entry seq a comes after the cursor entry seq c in the listing's order.
func beyond(a, c int, desc bool) bool {
	if desc {
		return a < c
	}
	return a > c
}

// before: entry seq a comes before the cursor entry seq c in the listing's order.
func before(a, c int, desc bool) bool {
	if desc {
		return a > c
	}
	return a < c
}

// documentID is an entry's _document_id: its sequence number and action, and the start it was made in when the
// server was given a Run.
func (s *Server) documentID(seq int, action string) string {
	if s.opts.Run != 0 {
		return fmt.Sprintf("doc-%x-%08d-%s", uint64(s.opts.Run), seq, strings.ReplaceAll(action, ".", "-"))
	}
	return fmt.Sprintf("doc-%08d-%s", seq, strings.ReplaceAll(action, ".", "-"))
}
