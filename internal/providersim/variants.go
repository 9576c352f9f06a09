package providersim

import "strings"

// assignVariants records per-provider deviations: emails that differ in case,
// emails a provider does not know, and leavers still active in a SaaS app.
// Okta always gets at least one case and one missing-email variant, so the
// smallest company exercises both linking rules.
func assignVariants(people []Person, r *rng) {
	n := len(people)
	order := r.perm(n)
	needOktaCase, needOktaMissing := n >= 20, n >= 20
	for _, i := range order {
		p := &people[i]
		if !p.Kind.Human() || i == 0 {
			continue
		}
		switch {
		case needOktaCase && p.HasAccount(Okta) && p.Status == Active:
			p.Variants = append(p.Variants, Variant{Provider: Okta, Kind: EmailCase, Email: caseVariant(p.Email, r)})
			needOktaCase = false
		case needOktaMissing && p.HasAccount(Okta) && p.Status == Active:
			p.Variants = append(p.Variants, Variant{Provider: Okta, Kind: EmailMissing})
			needOktaMissing = false
		case r.chance(0.03):
			if pr, ok := someAccount(p, Providers(), r); ok {
				p.Variants = append(p.Variants, Variant{Provider: pr, Kind: EmailCase, Email: caseVariant(p.Email, r)})
			}
		case r.chance(0.015):
			if pr, ok := someAccount(p, []Provider{GitHub, Datadog, AWS, Okta}, r); ok {
				p.Variants = append(p.Variants, Variant{Provider: pr, Kind: EmailMissing})
			}
		}
	}
	stillActive := 0
	for _, i := range order {
		p := &people[i]
		if p.Status != Leaver || (stillActive > 0 && !r.chance(0.4)) {
			continue
		}
		if pr, ok := someAccount(p, []Provider{GitHub, Datadog, AWS, Google}, r); ok {
			p.Variants = append(p.Variants, Variant{Provider: pr, Kind: StillActive})
			stillActive++
		}
	}
}

// someAccount picks one of candidates that p has an account in.
func someAccount(p *Person, candidates []Provider, r *rng) (Provider, bool) {
	var have []Provider
	for _, c := range candidates {
		if p.HasAccount(c) {
			have = append(have, c)
		}
	}
	if len(have) == 0 {
		return "", false
	}
	return pick(r, have), true
}

// caseVariant returns email with a different letter case: capitalised name
// parts, or an upper-case local part.
func caseVariant(email string, r *rng) string {
	local, domain, _ := strings.Cut(email, "@")
	if r.chance(0.3) {
		return strings.ToUpper(local) + "@" + domain
	}
	parts := strings.Split(local, ".")
	for i, s := range parts {
		if s != "" {
			parts[i] = strings.ToUpper(s[:1]) + s[1:]
		}
	}
	return strings.Join(parts, ".") + "@" + domain
}
