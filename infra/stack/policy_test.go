package stack

//lint:file-ignore SA1019 cxapi's synthesis messages moved to @aws-cdk/cloud-assembly-api, which has no Go binding yet.

import (
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// statement is one policy statement found in the template, with where it was found.
type statement struct {
	where     string // logical id of the policy, role, key or resource policy
	roles     []string
	effect    string
	actions   []string
	resources string // JSON of Resource
	principal string // JSON of Principal
	condition string // JSON of Condition
}

func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// statements walks every policy document of the template: identity policies (AWS::IAM::Policy,
// ManagedPolicy, inline role policies), key policies and queue, topic and bucket policies.
func statements() []statement {
	var out []statement
	add := func(where string, roles []string, doc any) {
		d, _ := doc.(map[string]any)
		list, ok := d["Statement"].([]any)
		if !ok {
			return
		}
		for _, s := range list {
			s := s.(map[string]any)
			out = append(out, statement{
				where: where, roles: roles, effect: s["Effect"].(string), actions: strs(s["Action"]),
				resources: asJSON(s["Resource"]), principal: asJSON(s["Principal"]), condition: asJSON(s["Condition"]),
			})
		}
	}
	for id, r := range tmpl["Resources"].(map[string]any) {
		r := r.(map[string]any)
		p, _ := r["Properties"].(map[string]any)
		switch r["Type"] {
		case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy":
			var roles []string
			for _, ref := range p["Roles"].([]any) {
				roles = append(roles, asJSON(ref))
			}
			add(id, roles, p["PolicyDocument"])
		case "AWS::IAM::Role":
			if inline, ok := p["Policies"].([]any); ok {
				for _, pol := range inline {
					add(id, []string{`{"Ref":"` + id + `"}`}, pol.(map[string]any)["PolicyDocument"])
				}
			}
		case "AWS::KMS::Key":
			add(id, nil, p["KeyPolicy"])
		case "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy", "AWS::S3::BucketPolicy":
			add(id, nil, p["PolicyDocument"])
		}
	}
	return out
}

var serviceWildcard = regexp.MustCompile(`^[a-z0-9-]+:\*$`)

func TestNoWildcardActions(t *testing.T) {
	checked := 0
	for _, s := range statements() {
		if s.effect != "Allow" {
			continue // Deny statements (TLS only) may be broad
		}
		checked++
		for _, a := range s.actions {
			if a == "*" || serviceWildcard.MatchString(a) {
				t.Errorf("%s allows %q on %s", s.where, a, s.resources)
			}
		}
	}
	if checked < 40 { // 9 roles × 3+ statements, key policies, CDK's own roles
		t.Errorf("checked %d Allow statements; the walk missed policy documents", checked)
	}
}

// eniActions are the only actions a function role may have on Resource "*".
var eniActions = []string{
	"ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface",
	"ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:UnassignPrivateIpAddresses",
}

func TestFunctionRolesNameTheirResources(t *testing.T) {
	for _, s := range statements() {
		if s.effect != "Allow" || s.resources != `"*"` {
			continue
		}
		for _, spec := range functionSpecs {
			if !slices.ContainsFunc(s.roles, func(r string) bool { return strings.Contains(r, `"`+spec.id+"Role") }) {
				continue
			}
			for _, a := range s.actions {
				if !slices.Contains(eniActions, a) {
					t.Errorf("%s role: %s on Resource *; only network interface actions may be", spec.name, a)
				}
			}
		}
	}
}

// allowed returns the functions whose roles are allowed action on a resource whose JSON contains onResource
// (any resource when empty), sorted.
func allowed(action, onResource string) []string {
	var out []string
	for _, s := range statements() {
		if s.effect != "Allow" || !slices.Contains(s.actions, action) ||
			(onResource != "" && !strings.Contains(s.resources, onResource)) {
			continue
		}
		for _, spec := range functionSpecs {
			if slices.ContainsFunc(s.roles, func(r string) bool { return strings.Contains(r, `"`+spec.id+"Role") }) &&
				!slices.Contains(out, spec.name) {
				out = append(out, spec.name)
			}
		}
	}
	sort.Strings(out)
	return out
}

func TestLeastPrivilege(t *testing.T) {
	fn := func(name string) string {
		return `"` + logicalIDOf(t, "AWS::Lambda::Function", spec(name).id+"Function") + `"`
	}
	tests := []struct {
		give, action, resource string
		want                   []string
	}{
		{"only webhook sends to the inbox", "sqs:SendMessage", "", []string{fnWebhook}},
		{"only inbox receives", "sqs:ReceiveMessage", "", []string{fnInbox}},
		{"only inbox deletes", "sqs:DeleteMessage", "", []string{fnInbox}},
		{"full: dispatch, api, itself", "lambda:InvokeFunction", fn(fnFull), []string{fnAPI, fnDispatch, fnFull}},
		{"discovery: dispatch, api, itself", "lambda:InvokeFunction", fn(fnDiscovery), []string{fnAPI, fnDiscovery, fnDispatch}},
		{"evaluator after runs and events", "lambda:InvokeFunction", fn(fnEvaluator), []string{fnAPI, fnDiscovery, fnFull, fnInbox, fnTail}},
		{"nobody invokes webhook, api, migrate", "lambda:InvokeFunction", fn(fnWebhook), nil},
		{"only dispatch starts tail loops", "states:StartExecution", "", []string{fnDispatch}},
		{"nobody lists tail executions", "states:ListExecutions", "", nil},
		// The master secret is the migrate function's alone; the others sign in with IAM (TestDatabaseRoles).
		{"only migrate reads the database secret", "secretsmanager:GetSecretValue", "", []string{fnMigrate}},
		{"only migrate describes the database secret", "secretsmanager:DescribeSecret", "", []string{fnMigrate}},
		{"every function but migrate signs in with IAM", "rds-db:connect", "", []string{fnAPI, fnDiscovery, fnDispatch, fnEvaluator, fnFull, fnInbox, fnTail, fnWebhook}},
		{"no function role uses KMS by identity policy", "kms:Decrypt", "", nil},
		{"only the evaluator publishes finding alerts", "sns:Publish", "", []string{fnEvaluator}},
		{"on the finding alerts topic", "sns:Publish", `"` + logicalIDOf(t, "AWS::SNS::Topic", "FindingAlerts") + `"`, []string{fnEvaluator}},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			if got := allowed(tt.action, tt.resource); !slices.Equal(got, tt.want) {
				t.Errorf("%s allowed to %v, want %v", tt.action, got, tt.want)
			}
		})
	}
}

func TestConnectorKeyPolicy(t *testing.T) {
	key := logicalIDOf(t, "AWS::KMS::Key", "ConnectorSecretsKey")
	must(t, "rotation", func() {
		template.HasResourceProperties(jsii.String("AWS::KMS::Key"), map[string]any{"EnableKeyRotation": true})
	})
	crypto := []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"}
	// function → action → purposes it may use the key for
	uses := map[string]map[string][]string{}
	for _, s := range statements() {
		if s.where != key || s.effect != "Allow" {
			continue
		}
		usesKey := slices.ContainsFunc(s.actions, func(a string) bool { return slices.Contains(crypto, a) })
		if !usesKey {
			if strings.Contains(s.principal, "lambda") || !strings.Contains(s.principal, ":root") {
				t.Errorf("admin statement for %s, want the account only", s.principal)
			}
			continue
		}
		if !strings.Contains(s.condition, `"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["connector_id","purpose"]}`) ||
			!strings.Contains(s.condition, `"Null":{"kms:EncryptionContext:connector_id":"false"}`) {
			t.Errorf("%v without the connector_id and purpose encryption context condition: %s", s.actions, s.condition)
		}
		var cond struct {
			StringEquals map[string]any `json:"StringEquals"`
		}
		if err := json.Unmarshal([]byte(s.condition), &cond); err != nil {
			t.Fatal(err)
		}
		purposes := strs(cond.StringEquals["kms:EncryptionContext:purpose"])
		if len(purposes) == 0 {
			t.Errorf("%v for %s under any purpose: %s", s.actions, s.principal, s.condition)
		}
		for _, spec := range functionSpecs {
			if !strings.Contains(s.principal, `"`+spec.id+"Role") {
				continue
			}
			if uses[spec.name] == nil {
				uses[spec.name] = map[string][]string{}
			}
			for _, a := range s.actions {
				uses[spec.name][a] = append(uses[spec.name][a], purposes...)
			}
		}
		if strings.Contains(s.principal, ":root") {
			t.Errorf("the account may use the key (%v): any IAM policy could grant it", s.actions)
		}
	}
	opener := []string{purposeLegacy, purposeProviderCredential}
	renewer := []string{purposeLegacy, purposeProviderCredential, purposeWebhookVerification}
	tests := []struct {
		give string
		want map[string][]string // action → purposes, sorted
	}{
		{fnDispatch, map[string][]string{"kms:Decrypt": opener}},
		// The full lane and the tail renew push subscriptions, with the webhook secret as their clientState or token.
		{fnFull, map[string][]string{"kms:Decrypt": renewer}},
		{fnDiscovery, map[string][]string{"kms:Decrypt": opener}},
		{fnTail, map[string][]string{"kms:Decrypt": renewer}},
		{fnInbox, map[string][]string{"kms:Decrypt": opener}},
		// The internet-facing webhook opens webhook secrets only: never a provider credential, nor a secret
		// sealed before purposes (which may be one).
		{fnWebhook, map[string][]string{"kms:Decrypt": {purposeWebhookVerification}}},
		{fnAPI, map[string][]string{
			"kms:Decrypt":         {purposeLegacy, purposeProviderCredential, purposeWebhookVerification},
			"kms:ReEncryptFrom":   {purposeLegacy, purposeProviderCredential, purposeWebhookVerification},
			"kms:GenerateDataKey": {purposeProviderCredential, purposeWebhookVerification},
			"kms:ReEncryptTo":     {purposeProviderCredential, purposeWebhookVerification},
		}},
		{fnEvaluator, nil},
		{fnMigrate, nil},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got := uses[tt.give]
			for a := range got {
				sort.Strings(got[a])
			}
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("may use the connector key for %v, want %v", got, tt.want)
			}
		})
	}
	if w := uses[fnWebhook]["kms:Decrypt"]; slices.Contains(w, purposeProviderCredential) || slices.Contains(w, purposeLegacy) {
		t.Errorf("the webhook function may decrypt provider credentials: %v", w)
	}
}

func TestNagFindingsSuppressed(t *testing.T) {
	for _, m := range *annotations.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
		t.Errorf("%s: %v", *m.Id, m.Entry.Data)
	}
}

func TestNagSuppressionsHaveReasons(t *testing.T) {
	n := 0
	for id, r := range tmpl["Resources"].(map[string]any) {
		md, _ := r.(map[string]any)["Metadata"].(map[string]any)
		nag, _ := md["cdk_nag"].(map[string]any)
		rules, _ := nag["rules_to_suppress"].([]any)
		for _, rule := range rules {
			rule := rule.(map[string]any)
			n++
			if reason, _ := rule["reason"].(string); len(reason) < 40 {
				t.Errorf("%s: suppression of %v has reason %q, want an explanation", id, rule["id"], reason)
			}
		}
	}
	if n == 0 {
		t.Error("no suppressions found in the template metadata")
	}
}

// physicalNames are properties that would hand-set a resource's name. Cognito group names are the API's
// role names and the HTTP API's Name follows the stack name; neither is hand-set.
var physicalNames = []string{
	"FunctionName", "RoleName", "BucketName", "QueueName", "TopicName", "LogGroupName", "StateMachineName",
	"DBClusterIdentifier", "DBInstanceIdentifier", "UserPoolName", "ClientName", "AlarmName", "DashboardName",
	"RuleName", "GroupName", "PolicyName", "KeyName",
}

func TestNoHandSetPhysicalNames(t *testing.T) {
	for id, r := range tmpl["Resources"].(map[string]any) {
		r := r.(map[string]any)
		p, _ := r["Properties"].(map[string]any)
		for _, name := range physicalNames {
			v, ok := p[name]
			if !ok || (r["Type"] == "AWS::Cognito::UserPoolGroup" && name == "GroupName") ||
				(r["Type"] == "AWS::IAM::Policy" && name == "PolicyName") { // inline policy names are not physical
				continue
			}
			if _, literal := v.(string); literal {
				t.Errorf("%s (%s) sets %s = %v", id, r["Type"], name, v)
			}
		}
	}
}
