package stack

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
)

// Context keys read by the stack. Each may be set in cdk.json ("context") or on the command line
// (cdk synth -c key=value); values given on the command line arrive as strings.
const (
	// CtxNatGateway selects a managed NAT gateway (about $36.50/month idle with its public IPv4 address)
	// instead of the default NAT instance (t4g.nano, about $7.35/month idle with its disk and public IPv4
	// address). Default false.
	CtxNatGateway = "openSspm:natGateway"
	// CtxAuroraMinCapacity is the default of the AuroraMinCapacity deploy parameter, in ACU. Default 0
	// (auto-pause).
	CtxAuroraMinCapacity = "openSspm:auroraMinCapacity"
	// CtxAuroraMaxCapacity is the Aurora Serverless v2 maximum capacity in ACU. Default 4.
	CtxAuroraMaxCapacity = "openSspm:auroraMaxCapacity"
	// CtxAutoPauseSeconds is how long Aurora stays idle before it pauses (300 to 86400). Default 300.
	CtxAutoPauseSeconds = "openSspm:auroraAutoPauseSeconds"
	// CtxSyncIntervalMinutes is how often the full and tail dispatch schedules fire (5, 10, 15, 20, 30 or
	// 60). Every tick wakes Aurora, so a longer interval keeps an idle database paused for longer. Default 15.
	CtxSyncIntervalMinutes = "openSspm:syncIntervalMinutes"
	// CtxSchedulesEnabled turns the EventBridge schedules of dispatch on or off. Off, nothing wakes an idle
	// Aurora (storage cost only) but no sync, discovery or tail starts on its own. Default true.
	CtxSchedulesEnabled = "openSspm:schedulesEnabled"
	// CtxRequireLambdaBinaries makes synthesis fail when a bin/lambda/<name>/bootstrap is missing, instead
	// of using the placeholder. Set it when deploying. Default false.
	CtxRequireLambdaBinaries = "openSspm:requireLambdaBinaries"
	// CtxDeployNonce, when set (for example to the time of the deploy), is passed to the migrate function's
	// environment so that its version, and so the migrate trigger, changes on every deploy.
	CtxDeployNonce = "openSspm:deployNonce"
	// CtxAlertSlackSecretARN is the full ARN of a Secrets Manager secret whose string is a Slack incoming webhook
	// URL: finding alerts then go to Slack too (the evaluator may read exactly that secret). Default none.
	CtxAlertSlackSecretARN = "openSspm:alertSlackSecretArn"
	// CtxAlertWebhookURL is an https URL that receives finding alerts as signed JSON POSTs; CtxAlertWebhookSecretARN
	// the full ARN of the secret holding the signing key (the evaluator may read exactly that secret). Default none.
	CtxAlertWebhookURL       = "openSspm:alertWebhookUrl"
	CtxAlertWebhookSecretARN = "openSspm:alertWebhookSecretArn"
	// CtxAlertSlackMinSeverity, CtxAlertWebhookMinSeverity and CtxAlertSNSMinSeverity are each destination's
	// minimum severity (info, low, medium, high, critical). Default: every severity.
	CtxAlertSlackMinSeverity   = "openSspm:alertSlackMinSeverity"
	CtxAlertWebhookMinSeverity = "openSspm:alertWebhookMinSeverity"
	CtxAlertSNSMinSeverity     = "openSspm:alertSnsMinSeverity"
	// CtxWAF adds the OpenSspmWaf stack (us-east-1) with a CloudFront web ACL to the app (infra/main.go).
	// Default false.
	CtxWAF = "openSspm:waf"
	// CtxWAFWebACLARN is the ARN of a CloudFront web ACL (the OpenSspmWaf stack's WebAclArn output, or your
	// own): the UI's distribution then serves the HTTP API (/api/*, /hooks/*, /healthz) behind it, and the
	// outputs and the SPA use that address. Default none (no WAF).
	CtxWAFWebACLARN = "openSspm:wafWebAclArn"
	// CtxAWSIdentityCenterRoleARNs lists the IAM roles (comma-separated, or a JSON list in cdk.json) that AWS IAM
	// Identity Center connectors assume (their role_arn): the full and tail functions may call sts:AssumeRole on
	// exactly these. Default none (connectors then use the functions' own credentials).
	CtxAWSIdentityCenterRoleARNs = "openSspm:awsIdentityCenterRoleArns"
)

// config is the stack's context settings after defaults and validation.
type config struct {
	natGateway        bool
	auroraMinCapacity float64
	auroraMaxCapacity float64
	autoPauseSeconds  float64
	syncInterval      int
	schedulesEnabled  bool
	requireBinaries   bool
	deployNonce       string
	alerts            alertConfig
	wafWebACLARN      string
	// identityCenterRoles are the roles AWS IAM Identity Center connectors assume, comma-separated (the config
	// stays comparable).
	identityCenterRoles string
}

// alertConfig is where finding alerts go besides the SNS topic the stack creates.
type alertConfig struct {
	slackSecretARN     string
	webhookURL         string
	webhookSecretARN   string
	slackMinSeverity   string
	webhookMinSeverity string
	snsMinSeverity     string
}

var (
	minCapacities = []float64{0, 0.5, 1, 2}
	syncIntervals = []int{5, 10, 15, 20, 30, 60}
)

// readConfig reads the stack's context settings from scope.
func readConfig(scope constructs.Construct) (config, error) {
	c := config{auroraMaxCapacity: 4, autoPauseSeconds: 300, syncInterval: 15, schedulesEnabled: true}
	var err error
	get := func(key string) any { return scope.Node().TryGetContext(&key) }
	if c.natGateway, err = boolValue(get(CtxNatGateway), false); err != nil {
		return c, fmt.Errorf("%s: %w", CtxNatGateway, err)
	}
	if c.schedulesEnabled, err = boolValue(get(CtxSchedulesEnabled), true); err != nil {
		return c, fmt.Errorf("%s: %w", CtxSchedulesEnabled, err)
	}
	if c.requireBinaries, err = boolValue(get(CtxRequireLambdaBinaries), false); err != nil {
		return c, fmt.Errorf("%s: %w", CtxRequireLambdaBinaries, err)
	}
	if c.auroraMinCapacity, err = numberValue(get(CtxAuroraMinCapacity), 0); err != nil {
		return c, fmt.Errorf("%s: %w", CtxAuroraMinCapacity, err)
	}
	if !slices.Contains(minCapacities, c.auroraMinCapacity) {
		return c, fmt.Errorf("%s: %v is not one of %v", CtxAuroraMinCapacity, c.auroraMinCapacity, minCapacities)
	}
	if c.auroraMaxCapacity, err = numberValue(get(CtxAuroraMaxCapacity), 4); err != nil {
		return c, fmt.Errorf("%s: %w", CtxAuroraMaxCapacity, err)
	}
	if c.auroraMaxCapacity < 1 || c.auroraMaxCapacity > 256 || c.auroraMaxCapacity <= minCapacities[len(minCapacities)-1] {
		return c, fmt.Errorf("%s: %v must be above %v and at most 256", CtxAuroraMaxCapacity, c.auroraMaxCapacity,
			minCapacities[len(minCapacities)-1])
	}
	if c.autoPauseSeconds, err = numberValue(get(CtxAutoPauseSeconds), 300); err != nil {
		return c, fmt.Errorf("%s: %w", CtxAutoPauseSeconds, err)
	}
	if c.autoPauseSeconds < 300 || c.autoPauseSeconds > 86400 {
		return c, fmt.Errorf("%s: %v is outside 300..86400", CtxAutoPauseSeconds, c.autoPauseSeconds)
	}
	interval, err := numberValue(get(CtxSyncIntervalMinutes), 15)
	if err != nil {
		return c, fmt.Errorf("%s: %w", CtxSyncIntervalMinutes, err)
	}
	c.syncInterval = int(interval)
	if float64(c.syncInterval) != interval || !slices.Contains(syncIntervals, c.syncInterval) {
		return c, fmt.Errorf("%s: %v is not one of %v", CtxSyncIntervalMinutes, interval, syncIntervals)
	}
	if v := get(CtxDeployNonce); v != nil {
		c.deployNonce = fmt.Sprint(v)
	}
	if c.alerts, err = readAlertConfig(get); err != nil {
		return c, err
	}
	roles, err := roleARNs(get(CtxAWSIdentityCenterRoleARNs))
	if err != nil {
		return c, fmt.Errorf("%s: %w", CtxAWSIdentityCenterRoleARNs, err)
	}
	c.identityCenterRoles = strings.Join(roles, ",")
	if v := get(CtxWAFWebACLARN); v != nil {
		c.wafWebACLARN = strings.TrimSpace(fmt.Sprint(v))
		if p := strings.Split(c.wafWebACLARN, ":"); len(p) != 6 || p[0] != "arn" || p[2] != "wafv2" || p[3] != "us-east-1" ||
			!strings.HasPrefix(p[5], "global/webacl/") {
			return c, fmt.Errorf("%s: %q is not the ARN of a CloudFront web ACL (arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>)",
				CtxWAFWebACLARN, c.wafWebACLARN)
		}
	}
	return c, nil
}

var severities = []string{"info", "low", "medium", "high", "critical"}

// readAlertConfig reads and checks the alert settings (internal/alert checks the same at run time).
func readAlertConfig(get func(string) any) (alertConfig, error) {
	str := func(key string) string {
		if v := get(key); v != nil {
			return strings.TrimSpace(fmt.Sprint(v))
		}
		return ""
	}
	a := alertConfig{
		slackSecretARN: str(CtxAlertSlackSecretARN), webhookURL: str(CtxAlertWebhookURL), webhookSecretARN: str(CtxAlertWebhookSecretARN),
		slackMinSeverity:   strings.ToLower(str(CtxAlertSlackMinSeverity)),
		webhookMinSeverity: strings.ToLower(str(CtxAlertWebhookMinSeverity)),
		snsMinSeverity:     strings.ToLower(str(CtxAlertSNSMinSeverity)),
	}
	for _, kv := range [][2]string{{CtxAlertSlackSecretARN, a.slackSecretARN}, {CtxAlertWebhookSecretARN, a.webhookSecretARN}} {
		key, arn := kv[0], kv[1]
		if p := strings.Split(arn, ":"); arn != "" && (len(p) != 7 || p[0] != "arn" || p[2] != "secretsmanager" || p[5] != "secret" || p[6] == "") {
			return a, fmt.Errorf("%s: %q is not the full ARN of a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<suffix>)", key, arn)
		}
	}
	if a.webhookURL != "" {
		if u, err := url.Parse(a.webhookURL); err != nil || u.Scheme != "https" || u.Host == "" {
			return a, fmt.Errorf("%s: want an https URL", CtxAlertWebhookURL)
		}
	} else if a.webhookSecretARN != "" || a.webhookMinSeverity != "" {
		return a, fmt.Errorf("%s or %s is set without %s", CtxAlertWebhookSecretARN, CtxAlertWebhookMinSeverity, CtxAlertWebhookURL)
	}
	if a.slackSecretARN == "" && a.slackMinSeverity != "" {
		return a, fmt.Errorf("%s is set without %s", CtxAlertSlackMinSeverity, CtxAlertSlackSecretARN)
	}
	for _, kv := range [][2]string{{CtxAlertSlackMinSeverity, a.slackMinSeverity}, {CtxAlertWebhookMinSeverity, a.webhookMinSeverity}, {CtxAlertSNSMinSeverity, a.snsMinSeverity}} {
		key, sev := kv[0], kv[1]
		if sev != "" && !slices.Contains(severities, sev) {
			return a, fmt.Errorf("%s: %q is not one of %v", key, sev, severities)
		}
	}
	return a, nil
}

func boolValue(v any, def bool) (bool, error) {
	switch v := v.(type) {
	case nil:
		return def, nil
	case bool:
		return v, nil
	case string:
		return strconv.ParseBool(v)
	}
	return false, fmt.Errorf("want a boolean, got %T", v)
}

func numberValue(v any, def float64) (float64, error) {
	switch v := v.(type) {
	case nil:
		return def, nil
	case float64:
		return v, nil
	case string:
		return strconv.ParseFloat(v, 64)
	}
	return 0, fmt.Errorf("want a number, got %T", v)
}

// ReadContext returns the context the CDK CLI would pass from a cdk.json file (in CDK_CONTEXT_JSON), for
// apps and tests that run without the CLI: its "context" object, and "versionReporting": false as the
// aws:cdk:version-reporting context key.
func ReadContext(cdkJSON string) (map[string]any, error) {
	data, err := os.ReadFile(cdkJSON)
	if err != nil {
		return nil, fmt.Errorf("read cdk context: %w", err)
	}
	var file struct {
		Context          map[string]any `json:"context"`
		VersionReporting *bool          `json:"versionReporting"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("read cdk context %s: %w", cdkJSON, err)
	}
	if file.Context == nil {
		file.Context = map[string]any{}
	}
	if file.VersionReporting != nil {
		file.Context["aws:cdk:version-reporting"] = *file.VersionReporting
	}
	return file.Context, nil
}

// roleARNs reads a list of IAM role ARNs: a comma-separated string or a list.
func roleARNs(v any) ([]string, error) {
	var raw []string
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		raw = strings.Split(v, ",")
	case []any:
		for _, x := range v {
			raw = append(raw, fmt.Sprint(x))
		}
	default:
		return nil, fmt.Errorf("want a comma-separated string or a list of role ARNs, got %T", v)
	}
	var out []string
	for _, r := range raw {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		p := strings.SplitN(r, ":", 6)
		if len(p) != 6 || p[0] != "arn" || p[2] != "iam" || len(p[4]) != 12 || !strings.HasPrefix(p[5], "role/") || strings.Contains(r, "*") {
			return nil, fmt.Errorf("%q is not an IAM role ARN (arn:aws:iam::123456789012:role/name)", r)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}
