// Package awsrun is the Lambda side's composition root: it builds the store, the KMS key wrapper, the connector
// registry, the SQS inbox, the Lambda invoker and the Step Functions starter from environment variables, wires
// them into an app.App as the local runtime (internal/cli) does, and offers one handler per function. Handlers
// are plain methods taking aws-lambda-go event types, so tests call them without the Lambda runtime; each
// functions/<name>/main.go is awsrun.Load → lambda.Start(rt.Handler).
//
// Environment (see Config): DATABASE_URL (+ DATABASE_IAM_AUTH=1: the function's own role, signed in with IAM
// tokens) or DATABASE_SECRET_ARN (+ DATABASE_HOST, DATABASE_SSLMODE; the migrate function, as the master user),
// CONNECTOR_KMS_KEY_ARN, INBOX_QUEUE_URL, FULL_FUNCTION_NAME, DISCOVERY_FUNCTION_NAME, TAIL_STATE_MACHINE_ARN,
// TAIL_EXECUTION_WINDOW, SYNC_DEADLINE_MARGIN, LOG_FORMAT, LOG_LEVEL, the alert destinations (ALERT_SNS_TOPIC_ARN,
// ALERT_SLACK_WEBHOOK_SECRET_ARN, ALERT_WEBHOOK_URL, ALERT_WEBHOOK_SECRET_ARN, ALERT_*_MIN_SEVERITY,
// ALERT_BASE_URL; see alert.ConfigFromEnv), and AWS_LAMBDA_FUNCTION_NAME (set by Lambda). The AWS SDK reads its
// own (AWS_REGION, credentials, AWS_ENDPOINT_URL_<SERVICE>).
//
// What each function needs:
//
//	function   handler    variables beyond the database       AWS actions
//	dispatch   Dispatch   KMS key, FULL/DISCOVERY functions,  lambda:InvokeFunction (full, discovery),
//	                      TAIL_STATE_MACHINE_ARN              states:StartExecution, kms:Decrypt
//	full       Sync       KMS key                             lambda:InvokeFunction (itself), kms:Decrypt
//	discovery  Sync       KMS key                             lambda:InvokeFunction (itself), kms:Decrypt
//	webhook    Webhook    KMS key, INBOX_QUEUE_URL            sqs:SendMessage, kms:Decrypt
//	inbox      Inbox      KMS key                             kms:Decrypt (+ the SQS event source's
//	                                                          sqs:ReceiveMessage, DeleteMessage, GetQueueAttributes)
//	tail       TailStep   KMS key                             kms:Decrypt
//	api        API        KMS key, FULL/DISCOVERY functions   lambda:InvokeFunction, kms:GenerateDataKey,
//	                                                          kms:Decrypt, kms:ReEncrypt* (admin API, as it grows)
//	migrate    Migrate    DATABASE_SECRET_ARN (master user)   secretsmanager:GetSecretValue (that secret)
//	evaluator  Evaluate   ALERT_* (delivers alerts)           sns:Publish (the alert topic),
//	                                                          secretsmanager:GetSecretValue (the alert secrets)
//
// Every function that evaluates (evaluator, api) enqueues finding alerts in the outbox for the configured
// destinations; only the evaluator delivers them, after each evaluation and on its scheduled sweep.
//
// The full and discovery functions continue a paused run by invoking themselves (AWS_LAMBDA_FUNCTION_NAME, which
// Lambda sets), so they need no variable naming themselves. Functions reading DATABASE_SECRET_ARN also need
// secretsmanager:GetSecretValue on that secret; functions with DATABASE_IAM_AUTH=1 need rds-db:connect on
// their role (postgres.FunctionRoles, which the migrate function creates and grants after migrating).
package awsrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	rdsauth "github.com/aws/aws-sdk-go-v2/feature/rds/auth"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/open-sspm/open-sspm/internal/api"
	"github.com/open-sspm/open-sspm/internal/app"
	"github.com/open-sspm/open-sspm/internal/auth"
	"github.com/open-sspm/open-sspm/internal/awskms"
	"github.com/open-sspm/open-sspm/internal/awslambda"
	"github.com/open-sspm/open-sspm/internal/awssfn"
	"github.com/open-sspm/open-sspm/internal/awssqs"
	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/emf"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// WebhookMaxBody caps a push delivery's body on AWS. The queued delivery carries the body in base64 inside JSON,
// so 700 KiB becomes about 950 KB: within SQS's 1 MiB message limit (the inbox queue's MaximumMessageSize must
// be 1 MiB).
const WebhookMaxBody = 700 << 10

// Clients are the AWS SDK clients a runtime uses. A nil client leaves its part unconfigured.
type Clients struct {
	KMS            *kms.Client
	SQS            *sqs.Client
	Lambda         *lambda.Client
	SFN            *sfn.Client
	SecretsManager *secretsmanager.Client
	SNS            *sns.Client
}

// Deps are a runtime's outside parts: the AWS clients, the connector kinds, where metrics and logs go, and the
// clock.
type Deps struct {
	Clients Clients
	// Registry holds the connector kinds linked into the function (internal/kinds); nil means none (functions
	// that never call a provider).
	Registry *connector.Registry
	Metrics  io.Writer        // embedded-metric-format lines (os.Stdout on Lambda)
	Logs     io.Writer        // structured logs (os.Stderr on Lambda)
	Now      func() time.Time // default time.Now
	// DBAuthToken makes an IAM database authentication token for user at endpoint (host:port), for
	// Config.DatabaseIAMAuth; Load sets it from the function's AWS credentials and region.
	DBAuthToken func(ctx context.Context, endpoint, user string) (string, error)
}

// Runtime is a wired function: the App and the adapters its handlers use. A Lambda execution environment keeps
// one Runtime for all its invocations. It is safe for concurrent use.
type Runtime struct {
	Config  Config
	DB      *postgres.DB
	App     *app.App
	Logger  *slog.Logger
	Metrics *emf.Writer
	// Queue is the inbox queue; nil without INBOX_QUEUE_URL.
	Queue *awssqs.Queue

	router   *router
	clients  Clients
	alerts   alertDelivery
	hooks    http.Handler // nil without a queue
	api      http.Handler
	now      func() time.Time
	schemaOK atomic.Bool
}

// Load builds the runtime of a Lambda function from the environment and the default AWS configuration. reg holds
// the connector kinds linked into the function (nil: none).
func Load(ctx context.Context, reg *connector.Registry) (*Runtime, error) {
	cfg, err := ConfigFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	clients := Clients{
		KMS:            kms.NewFromConfig(awsCfg),
		SQS:            sqs.NewFromConfig(awsCfg),
		Lambda:         lambda.NewFromConfig(awsCfg),
		SFN:            sfn.NewFromConfig(awsCfg),
		SecretsManager: secretsmanager.NewFromConfig(awsCfg),
		SNS:            sns.NewFromConfig(awsCfg),
	}
	token := func(ctx context.Context, endpoint, user string) (string, error) {
		return rdsauth.BuildAuthToken(ctx, endpoint, awsCfg.Region, user, awsCfg.Credentials)
	}
	return New(ctx, cfg, Deps{Clients: clients, Registry: reg, Metrics: os.Stdout, Logs: os.Stderr, DBAuthToken: token})
}

// New builds a runtime from an explicit configuration and clients (tests point the clients at fakes): it builds
// the AWS adapters (KMS key, Lambda and Step Functions invoker, SQS inbox) and passes them to app.New. It opens
// the database (and checks that it answers) but neither migrates it nor checks its schema: the handlers that
// need the current schema check it on first use.
func New(ctx context.Context, cfg Config, d Deps) (*Runtime, error) {
	if d.Logs == nil {
		d.Logs = io.Discard
	}
	if d.Metrics == nil {
		d.Metrics = io.Discard
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	log, err := cfg.logger(d.Logs)
	if err != nil {
		return nil, err
	}
	if cfg.SyncMargin <= 0 {
		cfg.SyncMargin = DefaultSyncMargin
	}
	url, err := databaseURL(ctx, cfg, d.Clients.SecretsManager)
	if err != nil {
		return nil, err
	}
	var opts []postgres.Option
	if cfg.DatabaseIAMAuth {
		if d.DBAuthToken == nil {
			return nil, errors.New("DATABASE_IAM_AUTH=1 without a way to make IAM database authentication tokens")
		}
		opts = append(opts, postgres.WithPassword(func(ctx context.Context, host string, port uint16, user string) (string, error) {
			return d.DBAuthToken(ctx, net.JoinHostPort(host, strconv.Itoa(int(port))), user)
		}))
	}
	db, err := postgres.Open(ctx, url, opts...)
	if err != nil {
		return nil, err
	}
	var keys sspm.KeyWrapper = noKey{}
	if cfg.KMSKeyARN != "" && d.Clients.KMS != nil {
		keys = awskms.New(d.Clients.KMS, cfg.KMSKeyARN)
	}
	nets, err := outbound.ParseNetworks(cfg.Alerts.AllowedPrivateNetworks) // one setting for connectors and alerts
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", outbound.EnvAllowedNetworks, err)
	}
	reg := d.Registry
	if reg == nil {
		reg = connector.NewRegistry()
	}
	reg = reg.Bind(connector.Deps{Outbound: outbound.New(outbound.Config{AllowedNetworks: nets})})
	rt := &Runtime{
		Config:  cfg,
		DB:      db,
		Logger:  log,
		Metrics: emf.New(d.Metrics, d.Now),
		clients: d.Clients,
		now:     d.Now,
	}
	rt.router = rt.invoker(d.Clients)
	rt.App, err = app.New(app.Deps{DB: db, Keys: keys, Registry: reg, Invoker: rt.router,
		AlertRoutes: cfg.Alerts.Routes(), DiscoveryEnabled: cfg.Discovery, Logger: log, Now: d.Now,
		HistoryRetention: cfg.HistoryRetention})
	if err != nil {
		db.Close()
		return nil, err
	}
	if cfg.InboxQueueURL != "" && d.Clients.SQS != nil {
		rt.Queue = awssqs.New(d.Clients.SQS, cfg.InboxQueueURL)
		hooks := rt.App.NewHooks(rt.Queue)
		hooks.MaxBody = WebhookMaxBody
		mux := http.NewServeMux()
		mux.Handle("GET /hooks/{kind}/{connector}", hooks)
		mux.Handle("POST /hooks/{kind}/{connector}", hooks)
		rt.hooks = mux
	}
	mux := http.NewServeMux()
	if cfg.UserPoolID != "" && cfg.Region != "" {
		admin := &api.Admin{Store: db, Registry: rt.App.Registry, Sealer: rt.App.Sealer, WebhookSealer: rt.App.WebhookSealer(), KeyID: rt.App.Keys.KeyID,
			Invoker: rt.App.Invoker(), PushHooks: rt.App, Rules: rt.App.RuleControls(), DiscoveryEnabled: rt.App.DiscoveryEnabled(), Logger: log,
			Auth: &auth.Verifier{Issuer: auth.CognitoIssuer(cfg.Region, cfg.UserPoolID), Audience: cfg.UserPoolClientID,
				Keys: auth.NewRemoteKeys(auth.CognitoJWKSURL(cfg.Region, cfg.UserPoolID), auth.RemoteKeysOptions{})}}
		admin.Mount(mux)
	}
	mux.Handle("/", (&api.Server{Health: db, Logger: log}).Handler())
	rt.api = mux
	return rt, nil
}

// Close closes the database pool.
func (rt *Runtime) Close() { rt.DB.Close() }

// invoker routes invocations by lane: full and discovery to their functions (Lambda async invoke), tail to the
// state machine.
func (rt *Runtime) invoker(c Clients) *router {
	r := &router{lanes: map[sspm.Lane]sspm.Invoker{}}
	functions := map[sspm.Lane]string{}
	if rt.Config.FullFunction != "" {
		functions[sspm.LaneFull] = rt.Config.FullFunction
	}
	if rt.Config.DiscoveryFunction != "" {
		functions[sspm.LaneDiscovery] = rt.Config.DiscoveryFunction
	}
	if rt.Config.EvaluatorFunction != "" {
		functions[sspm.LaneEvaluator] = rt.Config.EvaluatorFunction
	}
	if len(functions) > 0 && c.Lambda != nil {
		inv := awslambda.NewInvoker(c.Lambda, functions)
		for l := range functions {
			r.lanes[l] = inv
		}
	}
	if rt.Config.TailStateMachineARN != "" && c.SFN != nil {
		r.lanes[sspm.LaneTail] = awssfn.New(c.SFN, rt.Config.TailStateMachineARN, awssfn.Options{Window: rt.Config.TailWindow, Now: rt.now})
	}
	if rt.Config.SelfFunction != "" && c.Lambda != nil {
		r.selfInvoker = awslambda.NewInvoker(c.Lambda, map[sspm.Lane]string{
			sspm.LaneFull: rt.Config.SelfFunction, sspm.LaneDiscovery: rt.Config.SelfFunction,
		})
	}
	return r
}

// router sends each lane's invocations to that lane's invoker. In a function that runs sync lanes (Sync turns
// it on), a full or discovery lane without a configured function goes to the function itself: a function's
// environment cannot name the function (CloudFormation sees a circular reference), so the full and discovery
// functions continue their runs through AWS_LAMBDA_FUNCTION_NAME.
type router struct {
	lanes       map[sspm.Lane]sspm.Invoker
	selfInvoker sspm.Invoker
	self        atomic.Bool
}

var laneVariable = map[sspm.Lane]string{
	sspm.LaneFull:      "FULL_FUNCTION_NAME",
	sspm.LaneDiscovery: "DISCOVERY_FUNCTION_NAME",
	sspm.LaneEvaluator: "EVALUATOR_FUNCTION_NAME",
	sspm.LaneTail:      "TAIL_STATE_MACHINE_ARN",
}

func (r *router) Invoke(ctx context.Context, inv sspm.Invocation) error {
	if i, ok := r.lanes[inv.Lane]; ok {
		return i.Invoke(ctx, inv)
	}
	if (inv.Lane == sspm.LaneFull || inv.Lane == sspm.LaneDiscovery) && r.self.Load() && r.selfInvoker != nil {
		return r.selfInvoker.Invoke(ctx, inv)
	}
	if v := laneVariable[inv.Lane]; v != "" {
		return fmt.Errorf("invoke %s: %s is not set for this function", inv.Lane, v)
	}
	return sspm.Errorf(sspm.CodeInvalid, "lane %s cannot be invoked on AWS yet", inv.Lane)
}

// ready checks once per execution environment that the database schema is the one this binary knows.
func (rt *Runtime) ready(ctx context.Context) error {
	if rt.schemaOK.Load() {
		return nil
	}
	cur, latest, err := rt.DB.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if cur != latest {
		return fmt.Errorf("database schema is at version %d, this function needs %d: the migrate function has not run", cur, latest)
	}
	rt.schemaOK.Store(true)
	return nil
}

// emit writes a metric set; a failure to write metrics is logged, never returned.
func (rt *Runtime) emit(d emf.Dimensions, metrics ...emf.Metric) {
	if err := rt.Metrics.Emit(d, metrics...); err != nil {
		rt.Logger.Warn("metrics", "err", err)
	}
}

// failed writes SyncFailures for a lane: n failed runs, deliveries, steps or evaluations. Every lane writes it
// when it fails (the stack alarms on it per lane: Lane is the alarm's only dimension; Connector, when known,
// adds the per-connector breakdown).
func (rt *Runtime) failed(l sspm.Lane, connectorID string, n int) {
	if n <= 0 {
		return
	}
	rt.emit(emf.Dimensions{Lane: string(l), Connector: connectorID}, emf.Metric{Name: emf.SyncFailures, Unit: emf.Count, Value: float64(n)})
}

// errNoKey is returned by every operation of noKey.
var errNoKey = errors.New("CONNECTOR_KMS_KEY_ARN is not set for this function")

// noKey stands in for the KMS key in functions that are not given one (migrate): any use of a connector
// secret fails.
type noKey struct{}

func (noKey) KeyID() string { return "" }
func (noKey) GenerateDataKey(context.Context, map[string]string) ([]byte, []byte, error) {
	return nil, nil, errNoKey
}
func (noKey) Unwrap(context.Context, string, []byte, map[string]string) ([]byte, error) {
	return nil, errNoKey
}
func (noKey) Rewrap(context.Context, string, []byte, map[string]string) ([]byte, string, error) {
	return nil, "", errNoKey
}
