package ddsim_test

import (
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/ddsim"
)

// BenchmarkIssueFigures serves the issue's sizes (10,000 users of the Large company, 50 roles, about 2,000
// keys, 100,000 audit events) and times one full users listing and one audit tail per iteration.
func BenchmarkIssueFigures(b *testing.B) {
	c, err := providersim.NewCompany(providersim.Large())
	if err != nil {
		b.Fatal(err)
	}
	s := ddsim.New(c, ddsim.Options{Users: 10000, ExtraRoles: 44, ExtraKeys: 1700})
	defer s.Close()
	base := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	for i := range 100000 - s.Events() {
		s.AppendEvent(ddsim.Event{Time: base.Add(time.Duration(i) * time.Second), AssetType: "user"})
	}
	for b.Loop() {
		n := 0
		for p := 0; ; p++ {
			page := data(do(b, s, req{path: "/api/v2/users?page[size]=100&page[number]=" + itoa(p)}))
			n += len(page)
			if len(page) < 100 {
				break
			}
		}
		got := tail(b, s, false, "*", "2000-01-01T00:00:00Z", "2027-01-01T00:00:00Z", "timestamp", 1000)
		if n != 10000 || len(got.ids) != 100000 {
			b.Fatalf("users %d, events %d", n, len(got.ids))
		}
	}
}
