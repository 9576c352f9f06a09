package providersim

import (
	"fmt"
	"slices"
	"sort"
	"time"
)

// SignIn is one SSO sign-in record: discovery evidence that a person uses an app.
type SignIn struct {
	// Provider is the system that recorded the sign-in (Okta for IdP SSO,
	// Google or Entra for "sign in with" to apps outside the IdP).
	Provider Provider
	Person   int
	// App is the Key of an App (Managed) or of a SaaSApp.
	App     string
	Managed bool
	At      time.Time
	IP      string
	// UserAgent is the browser's raw user agent.
	UserAgent string
	Success   bool
}

// OAuthGrant is one OAuth consent: a person let an app act on their behalf.
type OAuthGrant struct {
	Provider Provider
	Person   int
	// App is the Key of an App (Managed) or of a SaaSApp.
	App      string
	Managed  bool
	ClientID string
	Scopes   []string
	At       time.Time
}

// genEvidence builds sign-in and OAuth grant records over cfg.History, sorted
// by time. Most sign-ins are IdP SSO to assigned apps; the rest, and most
// grants, go to shadow apps through Google or Entra.
func genEvidence(cfg CompanyConfig, people []Person, apps []App, shadow []SaaSApp) ([]SignIn, []OAuthGrant) {
	r := newRNG(cfg.Seed, 4)
	prefix := make([]int, len(apps)+1)
	var oidc []int
	for i := range apps {
		prefix[i+1] = prefix[i] + len(apps[i].Users)
		if apps[i].SignOn == SignOnOIDC && len(apps[i].Users) > 0 {
			oidc = append(oidc, i)
		}
	}
	var google, entra []int
	for i := range people {
		p := &people[i]
		if !current(p) || !p.Kind.Human() {
			continue
		}
		if p.HasAccount(Google) {
			google = append(google, i)
		}
		if p.HasAccount(Entra) {
			entra = append(entra, i)
		}
	}
	at := sortedTimes(r, cfg.Now, cfg.History, cfg.SignIns)
	grantAt := sortedTimes(r, cfg.Now, cfg.History, cfg.OAuthGrants)
	shadowPerson := func() (Provider, int, bool) {
		if len(shadow) == 0 || len(google)+len(entra) == 0 {
			return "", 0, false
		}
		if len(entra) == 0 || (len(google) > 0 && r.chance(0.6)) {
			return Google, pick(r, google), true
		}
		return Entra, pick(r, entra), true
	}
	uas := userAgents()

	signIns := make([]SignIn, 0, cfg.SignIns)
	for len(signIns) < cfg.SignIns {
		s := SignIn{At: at[len(signIns)], IP: fmt.Sprintf("203.0.113.%d", 1+r.intn(254)), UserAgent: pick(r, uas), Success: !r.chance(0.03)}
		if total := prefix[len(apps)]; total > 0 && (r.chance(0.85) || len(shadow) == 0) {
			row := r.intn(total)
			ai := sort.SearchInts(prefix, row+1) - 1
			s.Provider, s.App, s.Managed = Okta, apps[ai].Key, true
			s.Person = apps[ai].Users[row-prefix[ai]].Person
		} else if pr, p, ok := shadowPerson(); ok {
			s.Provider, s.Person, s.App = pr, p, pick(r, shadow).Key
		} else {
			break
		}
		signIns = append(signIns, s)
	}

	scopes := oauthScopes()
	grants := make([]OAuthGrant, 0, cfg.OAuthGrants)
	for len(grants) < cfg.OAuthGrants {
		g := OAuthGrant{At: grantAt[len(grants)]}
		if len(oidc) > 0 && (r.chance(0.3) || len(shadow) == 0) {
			a := &apps[pick(r, oidc)]
			g.Provider, g.App, g.Managed, g.ClientID = Okta, a.Key, true, a.ClientID
			g.Person = pick(r, a.Users).Person
			g.Scopes = []string{"openid", "profile", "email", "offline_access"}
		} else if pr, p, ok := shadowPerson(); ok {
			s := pick(r, shadow)
			g.Provider, g.Person, g.App = pr, p, s.Key
			g.ClientID = "oauth-" + s.Key
			if pr == Google {
				g.Scopes = scopes[r.intn(5)]
			} else {
				g.Scopes = scopes[5+r.intn(3)]
			}
		} else {
			break
		}
		grants = append(grants, g)
	}
	return signIns, grants
}

// sortedTimes draws n ascending times in (now-history, now-1m], so records
// come out in time order without sorting the records themselves.
func sortedTimes(r *rng, now time.Time, history time.Duration, n int) []time.Time {
	ago := make([]int64, n)
	for i := range ago {
		ago[i] = int64(r.between(time.Minute, history))
	}
	slices.Sort(ago)
	out := make([]time.Time, n)
	for i := range ago {
		out[n-1-i] = now.Add(-time.Duration(ago[i]))
	}
	return out
}

func userAgents() []string {
	return []string{
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
		"Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
	}
}
