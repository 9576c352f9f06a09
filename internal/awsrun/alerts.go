package awsrun

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/open-sspm/open-sspm/internal/alert"
	"github.com/open-sspm/open-sspm/internal/awssns"
	"github.com/open-sspm/open-sspm/internal/emf"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

const (
	// alertRefresh is how long a built deliverer (with the secrets it read) is reused: a rotated Slack URL or
	// webhook secret takes effect within it.
	alertRefresh = 15 * time.Minute
	// alertBudget bounds one drain of due alerts, so that a backlog never holds the evaluator for long;
	// alertMargin is the time left to the invocation after a drain.
	alertBudget = 5 * time.Minute
	alertMargin = 10 * time.Second
)

// alertDelivery is the evaluator's deliverer, built on first use.
type alertDelivery struct {
	mu    sync.Mutex
	d     *alert.Deliverer
	built time.Time
}

// alertDeliverer returns the deliverer of the configured destinations (nil when none is), building it, and
// reading the alert secrets, on first use and again after alertRefresh. A destination that cannot be built
// (its secret unreadable or invalid) is left out until the next build and reported in the error; its rows wait.
func (rt *Runtime) alertDeliverer(ctx context.Context) (*alert.Deliverer, error) {
	cfg := rt.Config.Alerts
	if len(cfg.Routes()) == 0 {
		return nil, nil
	}
	rt.alerts.mu.Lock()
	defer rt.alerts.mu.Unlock()
	if rt.alerts.d != nil && time.Since(rt.alerts.built) < alertRefresh {
		return rt.alerts.d, nil
	}
	notifiers, err := cfg.Notifiers(ctx, rt.readSecret)
	if cfg.SNSTopicARN != "" {
		if rt.clients.SNS == nil {
			err = errors.Join(err, errors.New("ALERT_SNS_TOPIC_ARN: no SNS client"))
		} else {
			notifiers[alert.DestinationSNS] = awssns.New(rt.clients.SNS, cfg.SNSTopicARN)
		}
	}
	d := rt.App.NewAlertDeliverer(notifiers, alert.DeliverOptions{BaseURL: cfg.BaseURL, Logger: rt.Logger})
	if err == nil {
		rt.alerts.d, rt.alerts.built = d, time.Now()
	}
	return d, err
}

// readSecret reads a secret's string from Secrets Manager. Its errors never hold the value.
func (rt *Runtime) readSecret(ctx context.Context, arn string) (string, error) {
	if rt.clients.SecretsManager == nil {
		return "", errors.New("no Secrets Manager client")
	}
	out, err := rt.clients.SecretsManager.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		return "", err
	}
	if out.SecretString == nil {
		return "", fmt.Errorf("secret %s has no string value", arn)
	}
	return *out.SecretString, nil
}

// deliverAlerts sends the outbox's due alerts within the invocation's time (at most alertBudget, leaving
// alertMargin), and on the sweep also prunes old finished rows. Failures are logged, never returned: alerting
// never fails an evaluation. Dead deliveries are counted in the AlertsDead metric (an alarm watches it).
func (rt *Runtime) deliverAlerts(ctx context.Context, sweep bool) {
	deadline := time.Now().Add(alertBudget)
	if dl, ok := ctx.Deadline(); ok && dl.Add(-alertMargin).Before(deadline) {
		deadline = dl.Add(-alertMargin)
	}
	// Deliver even when the evaluation failed or was canceled, within the invocation's deadline.
	ctx = context.WithoutCancel(ctx)
	d, err := rt.alertDeliverer(ctx)
	if err != nil {
		rt.Logger.Error("alert destinations unavailable; their alerts wait in the outbox", "err", err)
	}
	if d == nil {
		return
	}
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	rep, err := d.Deliver(dctx)
	if err != nil {
		rt.Logger.Error("deliver alerts", "err", err)
	}
	if rep != (alert.Report{}) {
		rt.Logger.Info("alerts delivered", "delivered", rep.Delivered, "retried", rep.Retried, "dead", rep.Dead, "released", rep.Released)
		rt.emit(emf.Dimensions{Lane: string(sspm.LaneEvaluator)},
			emf.Metric{Name: emf.AlertsDelivered, Unit: emf.Count, Value: float64(rep.Delivered)},
			emf.Metric{Name: emf.AlertsRetried, Unit: emf.Count, Value: float64(rep.Retried)},
			emf.Metric{Name: emf.AlertsDead, Unit: emf.Count, Value: float64(rep.Dead)})
	}
	if sweep {
		if _, err := d.Prune(dctx, 0); err != nil {
			rt.Logger.Warn("prune alert outbox", "err", err)
		}
	}
}
