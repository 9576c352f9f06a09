package okta

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/open-sspm/open-sspm/internal/connector/rawhttp"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Datasets the CIS Okta ruleset reads (docs/rules.md#cis-okta-idaas-stig-benchmark), stored as sspm.DatasetRow with ExternalID = the row's
// resource_id. Each row is the provider's JSON object as Okta returned it, plus the derived members the
// ruleset's checks select on (resource_id, display, and per dataset the fields listed below). Per docs/rules-engine.md#data-quirks-we-decide,
// a 0 that Okta uses for "unlimited" is rewritten to 2147483647 and its path listed in unlimited_fields.
const (
	// DatasetPasswordPolicies: one row per ACTIVE PASSWORD policy; unlimited_fields.
	DatasetPasswordPolicies = "okta:policies/password"
	// DatasetSignOnPolicies: one row per rule of each ACTIVE OKTA_SIGN_ON policy; policy{id,type,name,status,system},
	// is_top_rule, unlimited_fields.
	DatasetSignOnPolicies = "okta:policies/sign-on"
	// DatasetAppSignIn: one row per (rule of an ACTIVE ACCESS_POLICY policy, app using the policy); policy{…},
	// is_top_rule, app_label, app_name, app_id, access, requires_mfa, requires_phishing_resistant,
	// verification_method{type, factor_mode}.
	DatasetAppSignIn = "okta:policies/app-signin"
	// DatasetApps: one row per app, written by the apps stage; sign_on_mode, access_policy_id.
	DatasetApps = "okta:apps"
	// DatasetAuthenticators: one row per authenticator; okta_verify_compliance_fips for Okta Verify.
	DatasetAuthenticators = "okta:authenticators"
	// DatasetAdminConsole: the Admin Console's first-party app settings (one row); session_idle_timeout_minutes,
	// session_max_lifetime_minutes.
	DatasetAdminConsole = "okta:apps/admin-console-settings"
	// DatasetSignInPage: one row per brand; customized, sign_in_page (the customized page, when it is).
	DatasetSignInPage = "okta:brands/signin-page"
	// DatasetLogStreams: one row per log stream.
	DatasetLogStreams = "okta:log-streams"
)

// unlimited is the sentinel for Okta's "0 means unlimited" (docs/rules-engine.md#data-quirks-we-decide).
const unlimited = 2147483647

type datasetReader struct {
	name string
	read func(s *Source, ctx context.Context) ([]sspm.DatasetRow, error)
}

// datasetReaders run in this order, one per step.
var datasetReaders = []datasetReader{
	{DatasetPasswordPolicies, (*Source).passwordPolicies},
	{DatasetSignOnPolicies, (*Source).signOnRules},
	{DatasetAppSignIn, (*Source).appSignInRules},
	{DatasetAuthenticators, (*Source).authenticators},
	{DatasetAdminConsole, (*Source).adminConsole},
	{DatasetSignInPage, (*Source).signInPages},
	{DatasetLogStreams, (*Source).logStreams},
}

// datasetsStep reads one dataset. A dataset the token may not read (403) or the org does not have (404) is
// reported unavailable: its stored rows are kept and the run goes on.
func (s *Source) datasetsStep(ctx context.Context, cursor string) (sspm.StepResult, error) {
	var cur datasetCursor
	if err := decodeCursor(cursor, &cur); err != nil {
		return sspm.StepResult{}, err
	}
	if cur.Next < 0 || cur.Next >= len(datasetReaders) {
		return sspm.StepResult{}, sspm.Errorf(sspm.CodeInvalid, "okta: malformed datasets cursor")
	}
	r := datasetReaders[cur.Next]
	var res sspm.StepResult
	rows, err := r.read(s, ctx)
	switch st := rawhttp.StatusOf(err); {
	case st == 403 || st == 404:
		res.Unavailable = []sspm.Entity{sspm.DatasetEntity(r.name)}
		res.Message = fmt.Sprintf("dataset %s unavailable (%d): kept the stored rows", r.name, st)
	case err != nil:
		return sspm.StepResult{}, err
	default:
		res.Page.Datasets = rows
	}
	if cur.Next+1 < len(datasetReaders) {
		res.Next = encodeCursor(datasetCursor{Next: cur.Next + 1})
	}
	return res, nil
}

// listAll reads every page of a listing.
func (s *Source) listAll(ctx context.Context, op string, do func(ctx context.Context, after string) (*okta.APIResponse, error)) ([][]byte, error) {
	var items [][]byte
	after := ""
	for {
		p, err := s.c.list(ctx, op, func(ctx context.Context) (*okta.APIResponse, error) { return do(ctx, after) })
		if err != nil {
			return nil, err
		}
		items = append(items, p.items...)
		if p.next == "" {
			return items, nil
		}
		after = p.next
	}
}

func (s *Source) authenticators(ctx context.Context) ([]sspm.DatasetRow, error) {
	p, err := s.c.list(ctx, "list authenticators", func(ctx context.Context) (*okta.APIResponse, error) {
		_, resp, err := s.c.api.AuthenticatorAPI.ListAuthenticators(ctx).Execute() // unpaged
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	items := p.items
	rows := make([]sspm.DatasetRow, 0, len(items))
	for _, item := range items {
		var a struct {
			ID, Key, Name string
			Settings      struct {
				Compliance struct {
					FIPS string `json:"fips"`
				} `json:"compliance"`
			} `json:"settings"`
		}
		if err := json.Unmarshal(item, &a); err != nil || a.ID == "" {
			return nil, sspm.Errorf(sspm.CodeUnavailable, "okta list authenticators: an authenticator without id")
		}
		extra := map[string]any{"resource_id": "okta_authenticator:" + a.ID, "display": a.Name}
		if a.Key == "okta_verify" && a.Settings.Compliance.FIPS != "" {
			extra["okta_verify_compliance_fips"] = a.Settings.Compliance.FIPS
		}
		row, err := augment(item, extra, nil)
		if err != nil {
			return nil, err
		}
		rows = append(rows, sspm.DatasetRow{Dataset: DatasetAuthenticators, ExternalID: extra["resource_id"].(string), Raw: row})
	}
	return rows, nil
}

func (s *Source) adminConsole(ctx context.Context) ([]sspm.DatasetRow, error) {
	body, _, err := s.c.call(ctx, "get admin console settings", func(ctx context.Context) (*okta.APIResponse, error) {
		_, resp, err := s.c.api.OktaApplicationSettingsAPI.GetFirstPartyAppSettings(ctx, "admin-console").Execute()
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	var st struct {
		Idle     *json.Number `json:"sessionIdleTimeoutMinutes"`
		Lifetime *json.Number `json:"sessionMaxLifetimeMinutes"`
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return nil, sspm.Errorf(sspm.CodeUnavailable, "okta get admin console settings: malformed settings")
	}
	const id = "okta_first_party_app:admin-console"
	extra := map[string]any{"resource_id": id, "display": "Okta Admin Console"}
	if st.Idle != nil {
		extra["session_idle_timeout_minutes"] = *st.Idle
	}
	if st.Lifetime != nil {
		extra["session_max_lifetime_minutes"] = *st.Lifetime
	}
	row, err := augment(body, extra, nil)
	if err != nil {
		return nil, err
	}
	return []sspm.DatasetRow{{Dataset: DatasetAdminConsole, ExternalID: id, Raw: row}}, nil
}

func (s *Source) signInPages(ctx context.Context) ([]sspm.DatasetRow, error) {
	items, err := s.listAll(ctx, "list brands", func(ctx context.Context, after string) (*okta.APIResponse, error) {
		r := s.c.api.BrandsAPI.ListBrands(ctx)
		if after != "" {
			r = r.After(after)
		}
		_, resp, err := r.Execute()
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	rows := make([]sspm.DatasetRow, 0, len(items))
	for _, item := range items {
		var b struct{ ID, Name string }
		if err := json.Unmarshal(item, &b); err != nil || b.ID == "" {
			return nil, sspm.Errorf(sspm.CodeUnavailable, "okta list brands: a brand without id")
		}
		page, _, err := s.c.call(ctx, "get customized sign-in page", func(ctx context.Context) (*okta.APIResponse, error) {
			_, resp, err := s.c.api.CustomPagesAPI.GetCustomizedSignInPage(ctx, b.ID).Execute()
			return resp, err
		})
		extra := map[string]any{"resource_id": "okta_brand:" + b.ID, "display": b.Name, "customized": err == nil}
		switch {
		case rawhttp.StatusOf(err) == 404: // not customized
		case err != nil:
			return nil, err
		case json.Valid(page):
			extra["sign_in_page"] = json.RawMessage(page)
		}
		row, err := augment(item, extra, nil)
		if err != nil {
			return nil, err
		}
		rows = append(rows, sspm.DatasetRow{Dataset: DatasetSignInPage, ExternalID: extra["resource_id"].(string), Raw: row})
	}
	return rows, nil
}

func (s *Source) logStreams(ctx context.Context) ([]sspm.DatasetRow, error) {
	items, err := s.listAll(ctx, "list log streams", func(ctx context.Context, after string) (*okta.APIResponse, error) {
		r := s.c.api.LogStreamAPI.ListLogStreams(ctx).Limit(200)
		if after != "" {
			r = r.After(after)
		}
		_, resp, err := r.Execute()
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	rows := make([]sspm.DatasetRow, 0, len(items))
	for _, item := range items {
		var l struct{ ID, Name string }
		if err := json.Unmarshal(item, &l); err != nil || l.ID == "" {
			return nil, sspm.Errorf(sspm.CodeUnavailable, "okta list log streams: a stream without id")
		}
		id := "okta_log_stream:" + l.ID
		row, err := augment(item, map[string]any{"resource_id": id, "display": l.Name}, nil)
		if err != nil {
			return nil, err
		}
		rows = append(rows, sspm.DatasetRow{Dataset: DatasetLogStreams, ExternalID: id, Raw: row})
	}
	return rows, nil
}

// augment decodes a provider object, lets edit change it, adds the extra members and encodes it again. Numbers
// keep their exact text.
func augment(raw []byte, extra map[string]any, edit func(map[string]any)) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, sspm.Errorf(sspm.CodeUnavailable, "okta: a dataset object that does not decode")
	}
	if edit != nil {
		edit(m)
	}
	for k, v := range extra {
		m[k] = v
	}
	out, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("okta: encode dataset row: %w", err)
	}
	return out, nil
}

// markUnlimited rewrites a 0 at each dotted path to the sentinel and returns the paths it rewrote.
func markUnlimited(m map[string]any, paths ...string) []string {
	out := []string{}
	for _, p := range paths {
		parts := strings.Split(p, ".")
		cur := m
		for _, k := range parts[:len(parts)-1] {
			next, ok := cur[k].(map[string]any)
			if !ok {
				cur = nil
				break
			}
			cur = next
		}
		if cur == nil {
			continue
		}
		last := parts[len(parts)-1]
		if n, ok := cur[last].(json.Number); ok {
			if f, err := n.Float64(); err == nil && f == 0 {
				cur[last] = json.Number(fmt.Sprint(unlimited))
				out = append(out, p)
			}
		}
	}
	return out
}
