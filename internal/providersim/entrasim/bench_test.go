package entrasim

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// BenchmarkFullInventoryLarge builds the tenant of the Large company (50,000 people, 5,000 groups) and reads
// users, groups and every group's members at $top=999, reporting the requests made.
func BenchmarkFullInventoryLarge(b *testing.B) {
	c, err := providersim.NewCompany(providersim.Large())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		s := New(c, Options{})
		client := s.Client()
		pages := 0
		read := func(url string) []string {
			var ids []string
			for url != "" {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Header.Set("Authorization", "Bearer "+DefaultToken)
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				var body struct {
					Value []struct {
						ID string `json:"id"`
					} `json:"value"`
					Next string `json:"@odata.nextLink"`
				}
				if err := decodeJSON(resp, &body); err != nil {
					b.Fatal(err)
				}
				pages++
				for _, v := range body.Value {
					ids = append(ids, v.ID)
				}
				url = body.Next
			}
			return ids
		}
		users := read(s.URL() + "/v1.0/users?$top=999&$select=id,mail,userPrincipalName,userType,accountEnabled")
		groups := read(s.URL() + "/v1.0/groups?$top=999&$select=id,displayName")
		members := 0
		for _, g := range groups {
			members += len(read(s.URL() + "/v1.0/groups/" + g + "/members?$top=999&$select=id"))
		}
		b.ReportMetric(float64(pages), "requests")
		b.ReportMetric(float64(len(users)), "users")
		b.ReportMetric(float64(members), "memberships")
		s.Close()
	}
}

func decodeJSON(resp *http.Response, v any) error {
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(resp.Body)
		return &queryError{msg: resp.Status + " " + string(raw)}
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
