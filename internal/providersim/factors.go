package providersim

import "time"

// genFactors returns the MFA enrollments of p. Humans mostly have an
// authenticator app, some a device-bound or security-key factor, some only
// weak factors and a few none; admins favour security keys. Service accounts,
// bots, externals and staged people have none.
func genFactors(p *Person, now time.Time, r *rng) []Factor {
	if !p.Kind.Human() || p.Kind == External || p.Status == Staged {
		return nil
	}
	if r.chance(0.08) {
		return nil
	}
	enrolled := func() time.Time {
		t := p.Created.Add(r.between(time.Hour, 30*24*time.Hour))
		if t.After(now) {
			t = now.Add(-time.Hour)
		}
		return t
	}
	var fs []Factor
	add := func(t FactorType) {
		f := Factor{Type: t, Enrolled: enrolled(), Active: true}
		if t == FactorSMS {
			f.Phone = p.Phone
		}
		fs = append(fs, f)
	}
	switch x := r.float(); {
	case x < 0.55:
		add(FactorPush)
	case x < 0.75:
		add(FactorSignedNonce)
	case x < 0.85:
		add(FactorWebAuthn)
	case x < 0.95:
		add(FactorTOTP)
	default:
		add(FactorSMS)
	}
	if r.chance(0.4) {
		add(FactorEmail)
	}
	if r.chance(0.1) && fs[0].Type != FactorSMS {
		add(FactorSMS)
	}
	if r.chance(0.05) {
		add(FactorQuestion)
	}
	if r.chance(0.01) {
		add(FactorHardware)
	}
	if r.chance(0.03) {
		f := Factor{Type: FactorTOTP, Enrolled: enrolled()}
		fs = append(fs, f)
	}
	return fs
}

// hasFactor reports whether fs holds an active factor of type t.
func hasFactor(fs []Factor, t FactorType) bool {
	for _, f := range fs {
		if f.Type == t && f.Active {
			return true
		}
	}
	return false
}
