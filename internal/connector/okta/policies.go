package okta

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// policy is what rule rows repeat about their policy.
type policy struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Name   string `json:"name"`
	Status string `json:"status"`
	System bool   `json:"system"`
}

// rule is what the derivations read of a policy rule.
type rule struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Status   string `json:"status"`
	Priority int    `json:"priority"`
	Actions  struct {
		AppSignOn struct {
			Access             string             `json:"access"`
			VerificationMethod verificationMethod `json:"verificationMethod"`
		} `json:"appSignOn"`
	} `json:"actions"`
}

type verificationMethod struct {
	Type        string `json:"type"`
	FactorMode  string `json:"factorMode"`
	Constraints []struct {
		Possession *struct {
			PhishingResistant string `json:"phishingResistant"`
		} `json:"possession"`
	} `json:"constraints"`
	Chains []chainStep `json:"chains"`
}

type chainStep struct {
	AuthenticationMethods []struct {
		Key    string `json:"key"`
		Method string `json:"method"`
	} `json:"authenticationMethods"`
	Next []chainStep `json:"next"`
}

// policies lists the ACTIVE policies of a type, raw and decoded.
func (s *Source) policies(ctx context.Context, typ string) ([][]byte, []policy, error) {
	items, err := s.listAll(ctx, "list policies", func(ctx context.Context, after string) (*okta.APIResponse, error) {
		r := s.c.api.PolicyAPI.ListPolicies(ctx).Type_(typ).Status("ACTIVE").Limit("200")
		if after != "" {
			r = r.After(after)
		}
		_, resp, err := r.Execute()
		return resp, err
	})
	if err != nil {
		return nil, nil, err
	}
	out := make([]policy, len(items))
	for i, item := range items {
		if err := json.Unmarshal(item, &out[i]); err != nil || out[i].ID == "" {
			return nil, nil, sspm.Errorf(sspm.CodeUnavailable, "okta list policies: a policy without id")
		}
	}
	return items, out, nil
}

// rules lists a policy's rules, raw and decoded (from the raw JSON: the SDK's models drop AUTH_METHOD_CHAIN
// fields), and the priority of its top ACTIVE rule.
func (s *Source) rules(ctx context.Context, policyID string) ([][]byte, []rule, int, error) {
	p, err := s.c.list(ctx, "list policy rules", func(ctx context.Context) (*okta.APIResponse, error) {
		_, resp, err := s.c.api.PolicyAPI.ListPolicyRules(ctx, policyID).Execute() // unpaged
		return resp, err
	})
	if err != nil {
		return nil, nil, 0, err
	}
	items := p.items
	out := make([]rule, len(items))
	top := -1
	for i, item := range items {
		if err := json.Unmarshal(item, &out[i]); err != nil || out[i].ID == "" {
			return nil, nil, 0, sspm.Errorf(sspm.CodeUnavailable, "okta list policy rules: a rule without id")
		}
		if out[i].Status == "ACTIVE" && (top < 0 || out[i].Priority < top) {
			top = out[i].Priority
		}
	}
	return items, out, top, nil
}

func (s *Source) passwordPolicies(ctx context.Context) ([]sspm.DatasetRow, error) {
	items, pols, err := s.policies(ctx, "PASSWORD")
	if err != nil {
		return nil, err
	}
	rows := make([]sspm.DatasetRow, 0, len(items))
	for i, item := range items {
		id := "okta_password_policy:" + pols[i].ID
		row, err := augment(item, map[string]any{"resource_id": id, "display": pols[i].Name}, func(m map[string]any) {
			m["unlimited_fields"] = markUnlimited(m, "settings.password.age.maxAgeDays", "settings.password.lockout.maxAttempts")
		})
		if err != nil {
			return nil, err
		}
		rows = append(rows, sspm.DatasetRow{Dataset: DatasetPasswordPolicies, ExternalID: id, Raw: row})
	}
	return rows, nil
}

func (s *Source) signOnRules(ctx context.Context) ([]sspm.DatasetRow, error) {
	_, pols, err := s.policies(ctx, "OKTA_SIGN_ON")
	if err != nil {
		return nil, err
	}
	var rows []sspm.DatasetRow
	for _, p := range pols {
		items, rules, top, err := s.rules(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		for i, item := range items {
			r := rules[i]
			id := "okta_policy_rule:" + r.ID
			row, err := augment(item, map[string]any{
				"resource_id": id, "display": r.Name, "policy": p, "is_top_rule": r.Status == "ACTIVE" && r.Priority == top,
			}, func(m map[string]any) {
				m["unlimited_fields"] = markUnlimited(m, "actions.signon.session.maxSessionLifetimeMinutes")
			})
			if err != nil {
				return nil, err
			}
			rows = append(rows, sspm.DatasetRow{Dataset: DatasetSignOnPolicies, ExternalID: id, Raw: row})
		}
	}
	return rows, nil
}

// appSignInRules emits one row per (access policy rule, app using the policy), so that checks select a rule by
// app label (docs/rules-engine.md#data-quirks-we-decide); a policy no app uses still gets its rules, without app fields.
func (s *Source) appSignInRules(ctx context.Context) ([]sspm.DatasetRow, error) {
	_, pols, err := s.policies(ctx, "ACCESS_POLICY")
	if err != nil {
		return nil, err
	}
	apps, err := s.listAllApps(ctx)
	if err != nil {
		return nil, err
	}
	byPolicy := map[string][]appRef{}
	for _, a := range apps {
		if a.AccessPolicy != "" {
			byPolicy[a.AccessPolicy] = append(byPolicy[a.AccessPolicy], a)
		}
	}
	var rows []sspm.DatasetRow
	for _, p := range pols {
		items, rules, top, err := s.rules(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		users := byPolicy[p.ID]
		if len(users) == 0 {
			users = []appRef{{}}
		}
		for i, item := range items {
			r := rules[i]
			mfa, pr := assurance(r)
			vm := r.Actions.AppSignOn.VerificationMethod
			for _, a := range users {
				id, display := "okta_policy_rule:"+r.ID, r.Name
				if a.ID != "" {
					id, display = id+":"+a.ID, r.Name+" ("+a.Label+")"
				}
				row, err := augment(item, map[string]any{
					"resource_id": id, "display": display, "policy": p, "is_top_rule": r.Status == "ACTIVE" && r.Priority == top,
					"app_label": a.Label, "app_name": a.Name, "app_id": a.ID, "access": r.Actions.AppSignOn.Access,
					"requires_mfa": mfa, "requires_phishing_resistant": pr,
					"verification_method": map[string]string{"type": vm.Type, "factor_mode": vm.FactorMode},
				}, nil)
				if err != nil {
					return nil, err
				}
				rows = append(rows, sspm.DatasetRow{Dataset: DatasetAppSignIn, ExternalID: id, Raw: row})
			}
		}
	}
	return rows, nil
}

// phishingResistantMethods are chain steps that resist phishing: Okta FastPass, WebAuthn (FIDO2) and smart cards.
var phishingResistantMethods = []string{"signed_nonce", "webauthn", "smart_card_idp", "cert"}

// assurance derives requires_mfa and requires_phishing_resistant of an access policy rule (docs/rules.md#cis-okta-idaas-stig-benchmark).
func assurance(r rule) (mfa, phishingResistant bool) {
	a := r.Actions.AppSignOn
	if a.Access == "DENY" {
		return true, true // nothing is granted
	}
	vm := a.VerificationMethod
	switch vm.Type {
	case "ASSURANCE":
		mfa = vm.FactorMode == "2FA"
		phishingResistant = len(vm.Constraints) > 0
		for _, c := range vm.Constraints {
			if c.Possession == nil || c.Possession.PhishingResistant != "REQUIRED" {
				phishingResistant = false
			}
		}
	case "AUTH_METHOD_CHAIN":
		mfa, phishingResistant = len(vm.Chains) > 0, len(vm.Chains) > 0
		for _, c := range vm.Chains {
			if minDepth(c) < 2 {
				mfa = false
			}
			if !allPhishingResistant(c) {
				phishingResistant = false
			}
		}
	}
	return mfa, phishingResistant
}

// minDepth is the fewest steps along any path of a chain.
func minDepth(c chainStep) int {
	if len(c.Next) == 0 {
		return 1
	}
	least := -1
	for _, n := range c.Next {
		if d := minDepth(n); least < 0 || d < least {
			least = d
		}
	}
	return 1 + least
}

func allPhishingResistant(c chainStep) bool {
	if len(c.AuthenticationMethods) == 0 {
		return false
	}
	for _, m := range c.AuthenticationMethods {
		if !slices.Contains(phishingResistantMethods, m.Method) && !slices.Contains(phishingResistantMethods, m.Key) {
			return false
		}
	}
	for _, n := range c.Next {
		if !allPhishingResistant(n) {
			return false
		}
	}
	return true
}
