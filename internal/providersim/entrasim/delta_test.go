package entrasim

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// deltaRound follows a delta round from path to its deltaLink and returns the items and the deltaLink.
func deltaRound(t *testing.T, s *Server, path string) ([]map[string]any, string, int) {
	t.Helper()
	items, last, pages := collect(t, s, DefaultToken, path)
	link, _ := last["@odata.deltaLink"].(string)
	if link == "" || !strings.Contains(link, "$deltatoken=") {
		t.Fatalf("last page has no deltaLink: %v", last)
	}
	return items, link, pages
}

func byID(items []map[string]any) map[string]map[string]any {
	m := map[string]map[string]any{}
	for _, it := range items {
		m[it["id"].(string)] = it // last occurrence wins, as Graph's clients apply it
	}
	return m
}

func TestUsersDelta(t *testing.T) {
	s, clk := newServer(t, Options{})
	ids := s.UserIDs()
	for _, suffix := range []string{"delta", "delta()", "microsoft.graph.delta"} {
		items, _, pages := deltaRound(t, s, "/v1.0/users/"+suffix+"?$select=id,accountEnabled,mail&$top=10")
		if len(byID(items)) != len(ids) || pages != (len(ids)+9)/10 {
			t.Fatalf("%s: initial round %d users in %d pages, want %d in %d", suffix, len(items), pages, len(ids), (len(ids)+9)/10)
		}
	}
	_, link, _ := deltaRound(t, s, "/v1.0/users/delta?$select=id,accountEnabled,mail&$top=10")
	_, latest, _ := deltaRound(t, s, "/v1.0/users/delta?$select=id,accountEnabled,mail&$deltatoken=latest")

	added, err := s.AddUser(NewUser{DisplayName: "New Hire", Mail: "new.hire@acme.example", UserPrincipalName: "new.hire@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetAccountEnabled(ids[1], false); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ids[2], false); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ids[3], true); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		link string
	}{{"deltaLink of a full round", link}, {"deltatoken=latest", latest}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, next, _ := deltaRound(t, s, tt.link)
			got := byID(items)
			if len(got) != 4 {
				t.Fatalf("%d changes, want 4: %v", len(got), items)
			}
			if got[added]["mail"] != "new.hire@acme.example" || got[ids[1]]["accountEnabled"] != false {
				t.Errorf("added %v, disabled %v", got[added], got[ids[1]])
			}
			for id, reason := range map[string]string{ids[2]: "changed", ids[3]: "deleted"} {
				rm, _ := got[id]["@removed"].(map[string]any)
				if rm["reason"] != reason {
					t.Errorf("%s: @removed %v, want reason %s", id, got[id], reason)
				}
			}
			again, _, _ := deltaRound(t, s, next)
			if len(again) != 0 {
				t.Errorf("a round with no changes returned %v", again)
			}
		})
	}

	other := New(s.Company(), Options{Run: 9, Clock: clk.Now})
	defer other.Close()
	_, foreign, _ := deltaRound(t, other, "/v1.0/users/delta?$top=999")
	foreign = s.URL() + foreign[strings.Index(foreign, "/v1.0/"):]
	status, _, body := get(t, s, DefaultToken, foreign)
	if status != http.StatusBadRequest || graphCode(body) != codeSyncStateNotFund {
		t.Errorf("delta link of another run: %d %v", status, body)
	}
	clk.Advance(deltaLifetime + time.Hour)
	status, _, body = get(t, s, DefaultToken, link)
	if status != http.StatusBadRequest || graphCode(body) != codeSyncStateNotFund {
		t.Errorf("delta link older than 7 days: %d %v", status, body)
	}
}

func TestGroupsDeltaMembers(t *testing.T) {
	s, _ := newServer(t, Options{})
	c := s.Company()
	items, link, _ := deltaRound(t, s, "/v1.0/groups/delta?$select=displayName,members&$top=4")
	got := byID(items)
	g0 := s.GroupIDs()[0]
	md, _ := got[g0]["members@delta"].([]any)
	if len(md) != len(c.Groups[0].Members) {
		t.Fatalf("initial members@delta of %s: %d, want %d", c.Groups[0].Name, len(md), len(c.Groups[0].Members))
	}
	leaving, _ := s.UserIDOf(c.Groups[0].Members[0])
	var joining string
	for _, id := range s.UserIDs() {
		if !strings.Contains(strings.Join(memberIDs(md), ","), id) {
			joining = id
			break
		}
	}
	if err := s.RemoveMember(g0, leaving); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember(g0, joining); err != nil {
		t.Fatal(err)
	}
	items, _, _ = deltaRound(t, s, link)
	if len(items) != 1 || items[0]["id"] != g0 {
		t.Fatalf("after two membership changes of one group: %v", items)
	}
	changes := items[0]["members@delta"].([]any)
	if len(changes) != 2 {
		t.Fatalf("members@delta %v, want one removal and one addition", changes)
	}
	for _, ch := range changes {
		m := ch.(map[string]any)
		_, removed := m["@removed"]
		switch m["id"] {
		case leaving:
			if !removed {
				t.Errorf("removed member without @removed: %v", m)
			}
		case joining:
			if removed || m["@odata.type"] != "#microsoft.graph.user" {
				t.Errorf("added member %v", m)
			}
		default:
			t.Errorf("unexpected member change %v", m)
		}
	}
	// Without members in $select, members@delta is left out.
	items, _, _ = deltaRound(t, s, "/v1.0/groups/delta?$select=displayName&$top=999")
	if _, ok := items[0]["members@delta"]; ok {
		t.Errorf("members@delta without members selected: %v", items[0])
	}
}

func memberIDs(md []any) []string {
	var out []string
	for _, m := range md {
		out = append(out, m.(map[string]any)["id"].(string))
	}
	return out
}

func TestGroupsDeltaSplitsMembers(t *testing.T) {
	tests := []struct {
		name      string
		chunk     int
		top       string
		wantSplit bool
	}{
		{name: "whole", chunk: 0, top: "3", wantSplit: false},
		{name: "parts of 2 on pages of 3", chunk: 2, top: "3", wantSplit: true},
		{name: "parts of 5 on pages of 1", chunk: 5, top: "1", wantSplit: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newServer(t, Options{DeltaMembersPerObject: tt.chunk})
			c := s.Company()
			items, link, _ := deltaRound(t, s, "/v1.0/groups/delta?$select=displayName,members&$top="+tt.top)
			merged := map[string]map[string]bool{}
			occurrences := map[string]int{}
			for _, it := range items {
				id := it["id"].(string)
				occurrences[id]++
				if merged[id] == nil {
					merged[id] = map[string]bool{}
				}
				md, _ := it["members@delta"].([]any)
				if tt.chunk > 0 && len(md) > tt.chunk {
					t.Fatalf("a part of %d entries, want at most %d", len(md), tt.chunk)
				}
				for _, m := range memberIDs(md) {
					merged[id][m] = true
				}
			}
			ids := s.GroupIDs()
			split := false
			for gi, cg := range c.Groups {
				if len(merged[ids[gi]]) != len(cg.Members) {
					t.Fatalf("%s: %d members merged from %d occurrences, want %d", cg.Name, len(merged[ids[gi]]), occurrences[ids[gi]], len(cg.Members))
				}
				split = split || occurrences[ids[gi]] > 1
			}
			if split != tt.wantSplit || len(merged) != len(ids) {
				t.Errorf("split %v, want %v; %d groups of %d", split, tt.wantSplit, len(merged), len(ids))
			}
			if again, _, _ := deltaRound(t, s, link); len(again) != 0 {
				t.Errorf("no changes, yet %d items", len(again))
			}
		})
	}
}

// TestServicePrincipalsAndApplicationsDelta: an initial round returns every object; a round from its deltaLink
// (or from $deltatoken=latest) returns only the service principal that changed, and applications none.
func TestServicePrincipalsAndApplicationsDelta(t *testing.T) {
	s, _ := newServer(t, Options{})
	sps := s.ServicePrincipalIDs()
	tests := []struct{ res, sel string }{
		{"servicePrincipals", "id,appId,accountEnabled"},
		{"applications", "id,appId,displayName"},
	}
	links := map[string][2]string{}
	for _, tt := range tests {
		items, link, _ := deltaRound(t, s, "/v1.0/"+tt.res+"/delta?$select="+tt.sel+"&$top=5")
		if len(items) == 0 {
			t.Fatalf("%s: the initial round is empty", tt.res)
		}
		if tt.res == "servicePrincipals" && len(byID(items)) != len(sps) {
			t.Errorf("initial round: %d service principals, want %d", len(byID(items)), len(sps))
		}
		_, latest, _ := deltaRound(t, s, "/v1.0/"+tt.res+"/delta?$select="+tt.sel+"&$deltatoken=latest")
		links[tt.res] = [2]string{link, latest}
	}
	if err := s.SetServicePrincipalEnabled(sps[1], false); err != nil {
		t.Fatal(err)
	}
	if err := s.SetServicePrincipalEnabled("no-such-id", false); err == nil {
		t.Error("disabling an unknown service principal succeeded")
	}
	for _, tt := range tests {
		for _, link := range links[tt.res] {
			items, _, _ := deltaRound(t, s, link)
			got := byID(items)
			switch {
			case tt.res == "applications" && len(got) != 0:
				t.Errorf("applications delta reported %d changes, want none", len(got))
			case tt.res == "servicePrincipals" && (len(got) != 1 || got[sps[1]] == nil || got[sps[1]]["accountEnabled"] != false):
				t.Errorf("servicePrincipals delta = %v, want only %s disabled", got, sps[1])
			}
		}
	}
	// A deleted service principal leaves the listing, its owners answer 404, and the delta reports it removed.
	if err := s.DeleteServicePrincipal(sps[2]); err != nil {
		t.Fatal(err)
	}
	items, _, _ := collect(t, s, DefaultToken, "/v1.0/servicePrincipals?$select=id")
	if byID(items)[sps[2]] != nil || len(items) != len(sps)-1 {
		t.Errorf("the listing has %d service principals after a delete, want %d without %s", len(items), len(sps)-1, sps[2])
	}
	if code, _, _ := get(t, s, DefaultToken, "/v1.0/servicePrincipals/"+sps[2]+"/owners"); code != http.StatusNotFound {
		t.Errorf("owners of a deleted service principal: %d, want 404", code)
	}
	items, _, _ = deltaRound(t, s, links["servicePrincipals"][1])
	removed, _ := byID(items)[sps[2]]["@removed"].(map[string]any)
	if removed["reason"] != "deleted" {
		t.Errorf("the delta reports the deleted service principal as %v", byID(items)[sps[2]])
	}
}
