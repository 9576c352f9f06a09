package aws

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Config is an AWS IAM Identity Center connector's non-secret configuration.
//
//   - region (required): the Identity Center home region (e.g. us-east-1): its data exists only there.
//   - instance_arn, identity_store_id (optional): the instance to read; when either is missing the connector
//     lists the instances (sso:ListInstances) and uses the only one (several: configure instance_arn).
//   - role_arn (optional): a read-only role in the management (or delegated administrator) account that the
//     connector assumes (sts:AssumeRole) with the deployment's own credentials; external_id is the trust
//     policy's sts:ExternalId condition. Without role_arn the default credential chain is used as it is.
//   - requests_per_second (optional, default 10): the pace of Identity Store and SSO Admin calls (AWS allows 20
//     per second per account for all Identity Center APIs; leave room for other callers).
//   - lookup_requests_per_second (optional, default 1.5): the pace of CloudTrail LookupEvents (2 per second per
//     account and region, shared by every caller).
//   - endpoint (optional): one base URL for every AWS service call: tests and demo mode against the simulator
//     only; refused unless the deployment allows loopback endpoints.
//
// The secret is optional: empty means the default credential chain (the Lambda's role); otherwise a JSON object
// {"access_key_id", "secret_access_key", "session_token"?} of static keys (discouraged: tests and demo).
type Config struct {
	Region                  string  `json:"region"`
	InstanceARN             string  `json:"instance_arn,omitempty"`
	IdentityStoreID         string  `json:"identity_store_id,omitempty"`
	RoleARN                 string  `json:"role_arn,omitempty"`
	ExternalID              string  `json:"external_id,omitempty"`
	RequestsPerSecond       float64 `json:"requests_per_second,omitempty"`
	LookupRequestsPerSecond float64 `json:"lookup_requests_per_second,omitempty"`
	Endpoint                string  `json:"endpoint,omitempty"`
}

// Defaults.
const (
	DefaultRequestsPerSecond       = 10
	DefaultLookupRequestsPerSecond = 1.5
	// maxRequestsPerSecond is AWS's documented Identity Center limit; maxLookup LookupEvents'.
	maxRequestsPerSecond = 20
	maxLookup            = 2
)

// Scopes are the exact read-only IAM actions the connector calls, the policy on the docs page.
var Scopes = []string{
	"sso:ListInstances",
	"sso:ListPermissionSets",
	"sso:DescribePermissionSet",
	"sso:ListManagedPoliciesInPermissionSet",
	"sso:ListCustomerManagedPolicyReferencesInPermissionSet",
	"sso:GetInlinePolicyForPermissionSet",
	"sso:GetPermissionsBoundaryForPermissionSet",
	"sso:ListAccountsForProvisionedPermissionSet",
	"sso:ListAccountAssignments",
	"sso:ListAccountAssignmentsForPrincipal",
	"identitystore:ListUsers",
	"identitystore:DescribeUser",
	"identitystore:ListGroups",
	"identitystore:ListGroupMemberships",
	"cloudtrail:LookupEvents",
}

var (
	regionPattern      = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$`)
	instancePattern    = regexp.MustCompile(`^arn:aws(-[a-z]+)*:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}$`)
	storePattern       = regexp.MustCompile(`^d-[0-9a-f]{10}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	roleARNPattern     = regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$`)
	externalIDPattern  = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	accessKeyIDPattern = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)
)

// ConfigSchema is the JSON Schema of Config for the admin UI's connector form.
const ConfigSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "AWS IAM Identity Center",
  "type": "object",
  "additionalProperties": false,
  "required": ["region"],
  "properties": {
    "region": {"type": "string", "title": "Home region", "description": "The Identity Center home region, e.g. us-east-1. Identity Center data exists only there."},
    "instance_arn": {"type": "string", "title": "Instance ARN", "description": "Optional: arn:aws:sso:::instance/ssoins-…. Without it (or the identity store id) the connector uses the account's only instance."},
    "identity_store_id": {"type": "string", "title": "Identity store id", "description": "Optional: d-… of the instance's identity store."},
    "role_arn": {"type": "string", "title": "Role ARN", "description": "Optional: a read-only role in the management or delegated administrator account that the connector assumes. Without it the deployment's own credentials are used."},
    "external_id": {"type": "string", "title": "External id", "description": "The sts:ExternalId condition of the role's trust policy (with role_arn)."},
    "requests_per_second": {"type": "number", "exclusiveMinimum": 0, "maximum": 20, "default": 10, "title": "Requests per second", "description": "Pace of Identity Store and SSO Admin calls (AWS allows 20 per second per account)."},
    "lookup_requests_per_second": {"type": "number", "exclusiveMinimum": 0, "maximum": 2, "default": 1.5, "title": "CloudTrail lookups per second", "description": "Pace of CloudTrail LookupEvents (2 per second per account and region, shared by every caller)."},
    "endpoint": {"type": "string", "format": "uri", "title": "Endpoint override", "description": "Tests and demo mode only: one base URL for every AWS call (the simulator)."}
  }
}`

// settings is a parsed, checked Config.
type settings struct {
	Config
	endpoint *url.URL
}

// parseConfig decodes and checks a config; errors name the field and never echo a value that could be secret.
func parseConfig(raw json.RawMessage, allowLoopback bool) (settings, error) {
	var c Config
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&c); err != nil {
		return settings{}, sspm.Errorf(sspm.CodeInvalid, "aws_identity_center config: %s", jsonProblem(err))
	}
	s := settings{Config: c}
	switch {
	case c.Region == "":
		return s, invalid("region", "is required: the Identity Center home region, e.g. us-east-1")
	case !regionPattern.MatchString(c.Region):
		return s, invalid("region", fmt.Sprintf("%q is not an AWS region name such as us-east-1", c.Region))
	case c.InstanceARN != "" && !instancePattern.MatchString(c.InstanceARN):
		return s, invalid("instance_arn", "is not an Identity Center instance ARN (arn:aws:sso:::instance/ssoins-…)")
	case c.IdentityStoreID != "" && !storePattern.MatchString(c.IdentityStoreID):
		return s, invalid("identity_store_id", "is not an identity store id (d-…)")
	case c.RoleARN != "" && !roleARNPattern.MatchString(c.RoleARN):
		return s, invalid("role_arn", "is not an IAM role ARN (arn:aws:iam::123456789012:role/…)")
	case c.ExternalID != "" && c.RoleARN == "":
		return s, invalid("external_id", "applies only with role_arn")
	case c.ExternalID != "" && (len(c.ExternalID) < 2 || len(c.ExternalID) > 1224 || !externalIDPattern.MatchString(c.ExternalID)):
		return s, invalid("external_id", "must be 2-1224 letters, digits or +=,.@:/-_")
	case c.RequestsPerSecond < 0 || c.RequestsPerSecond > maxRequestsPerSecond:
		return s, invalid("requests_per_second", "must be greater than 0 and at most 20")
	case c.LookupRequestsPerSecond < 0 || c.LookupRequestsPerSecond > maxLookup:
		return s, invalid("lookup_requests_per_second", "must be greater than 0 and at most 2")
	}
	if s.RequestsPerSecond == 0 {
		s.RequestsPerSecond = DefaultRequestsPerSecond
	}
	if s.LookupRequestsPerSecond == 0 {
		s.LookupRequestsPerSecond = DefaultLookupRequestsPerSecond
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		switch {
		case !allowLoopback:
			return s, invalid("endpoint", "is for tests and demo mode only; this deployment calls AWS's own endpoints")
		case err != nil || !u.IsAbs() || u.Host == "" || u.User != nil || u.RawQuery != "" || strings.Trim(u.Path, "/") != "":
			return s, invalid("endpoint", "is not a base URL such as http://127.0.0.1:8080")
		case u.Scheme != "http" && u.Scheme != "https":
			return s, invalid("endpoint", "must use http or https")
		}
		if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
			return s, invalid("endpoint", "must be a loopback address (the simulator)")
		}
		u.Path = ""
		s.endpoint = u
	}
	return s, nil
}

// staticKeys is the optional secret.
type staticKeys struct {
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
	SessionToken    string `json:"session_token,omitempty"`
}

// parseSecret reads the optional secret: nil keys mean the default credential chain.
func parseSecret(secret []byte) (*staticKeys, error) {
	if len(bytes.TrimSpace(secret)) == 0 {
		return nil, nil
	}
	var k staticKeys
	d := json.NewDecoder(bytes.NewReader(secret))
	d.DisallowUnknownFields()
	if err := d.Decode(&k); err != nil {
		return nil, invalid("secret", "must be empty (the default credential chain) or a JSON object with access_key_id and secret_access_key")
	}
	switch {
	case !accessKeyIDPattern.MatchString(k.AccessKeyID):
		return nil, invalid("secret", "access_key_id is missing or not an AWS access key id")
	case k.SecretAccessKey == "" || strings.ContainsAny(k.SecretAccessKey, " \t\r\n"):
		return nil, invalid("secret", "secret_access_key is missing or contains spaces")
	}
	return &k, nil
}

func invalid(field, problem string) error {
	return sspm.Errorf(sspm.CodeInvalid, "aws_identity_center config: %s %s", field, problem)
}

// jsonProblem describes a decoding error without echoing values.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s has the wrong type (want %s)", te.Field, te.Type)
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		return "unknown field " + strings.TrimPrefix(msg, "json: unknown field ")
	}
	return "is not a JSON object of the documented fields"
}
