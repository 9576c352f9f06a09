package lane

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/open-sspm/open-sspm/internal/identity"
	"github.com/open-sspm/open-sspm/internal/rules"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// EvaluatorStore is what the evaluator lane needs from the database.
type EvaluatorStore interface {
	Connector(ctx context.Context, id string) (sspm.Connector, error)
	SeedRules(ctx context.Context, sets []rules.SeedSet) (rules.SeedReport, error)
	RuleControls(ctx context.Context, s rules.Scope) (rules.Controls, error)
	SaveRuleResults(ctx context.Context, s rules.Scope, results []rules.Result, now time.Time) (sspm.FindingChanges, error)
	SaveRuleOverride(ctx context.Context, s rules.Scope, o rules.Override) error
	SaveAttestation(ctx context.Context, s rules.Scope, a rules.Attestation) error
	ExpiredAttestations(ctx context.Context, now time.Time) ([]rules.ScopedRule, error)
	LastFullSync(ctx context.Context, connectorID string) (sspm.SyncRun, error)
	DatasetRows(ctx context.Context, connectorID, dataset string) ([]sspm.DatasetRow, error)
	SyncedConnectors(ctx context.Context) (int64, error)
	NormalizedData(ctx context.Context, dataset string, now time.Time) (rules.Data, error)
	SyncIdentityFindings(ctx context.Context, checks []identity.Check, now time.Time) (sspm.FindingChanges, error)
	ReopenExpired(ctx context.Context, now time.Time) ([]sspm.FindingTransition, error)
	EventWatermark(ctx context.Context, connectorID string) (int64, error)
	EventsAfter(ctx context.Context, connectorID string, kind sspm.Kind, afterID int64, limit int) ([]sspm.Event, error)
	LookbackEvents(ctx context.Context, kind sspm.Kind, q rules.LookbackQuery) ([]sspm.Event, error)
	SaveEventFindings(ctx context.Context, connectorID string, fs []sspm.Finding, from, to int64) (sspm.FindingChanges, error)
	RecordLaneActivity(ctx context.Context, connectorID string, lane sspm.Lane, at time.Time) error
	PruneAccessChanges(ctx context.Context, cutoff time.Time) (int64, error)
}

// Evaluator is the evaluator lane: posture rulesets over a connector's datasets after its full sync, global
// rulesets over the normalized inventory, identity findings from identity flags, and event policies over new
// events (each event once: a per-connector watermark of event ids). Results, history and findings are written
// per scope in one transaction each; every write is idempotent, so an evaluation may be repeated.
type Evaluator struct {
	Store   EvaluatorStore
	Catalog *rules.Catalog
	Now     func() time.Time
	Logger  *slog.Logger
	// EventBatch is how many events one batch reads (default 5,000); MaxEventBatches bounds one call (default
	// 20): a caller with more waiting evaluates again.
	EventBatch      int
	MaxEventBatches int
	// Alerts, when set, receives every finding state change to notify (opened, reopened, escalated) once its
	// transaction committed. The store has already enqueued their alerts in that transaction; the sink only
	// wakes delivery (alert.Outbox wakes the local deliverer). It must not wait for a destination.
	Alerts AlertSink
	// HistoryRetention is how long access changes are kept: Sweep deletes older ones (default
	// DefaultHistoryRetention).
	HistoryRetention time.Duration
}

// DefaultHistoryRetention is how long access changes are kept unless configured otherwise.
const DefaultHistoryRetention = 400 * 24 * time.Hour

// AlertSink takes finding state changes to notify, without waiting for delivery; *alert.Outbox is one.
type AlertSink interface {
	NotifyTransitions(ts []sspm.FindingTransition)
}

func (e *Evaluator) notify(ts []sspm.FindingTransition) {
	if e.Alerts != nil && len(ts) > 0 {
		e.Alerts.NotifyTransitions(ts)
	}
}

// EvalScope says what to evaluate.
type EvalScope struct {
	ConnectorID string // the connector whose posture rulesets and events to evaluate
	Posture     bool   // the connector's posture rulesets
	Global      bool   // global rulesets and identity findings
	Events      bool   // event policies over the connector's new events
	// Rules, when set, limits posture and global evaluation to these rules (after an override or attestation).
	Rules []rules.RuleRef
}

// AfterFullSync is what to evaluate when a connector's full sync succeeded: its posture, the global rules
// (the inventory changed), and its events.
func AfterFullSync(connectorID string) EvalScope {
	return EvalScope{ConnectorID: connectorID, Posture: true, Global: true, Events: true}
}

// AfterEvents is what to evaluate when new events of a connector were stored.
func AfterEvents(connectorID string) EvalScope {
	return EvalScope{ConnectorID: connectorID, Events: true}
}

// ScopeFor maps an evaluator invocation to a scope: push-triggered invocations evaluate events only; others
// evaluate everything for the connector (or the global rules alone without a connector).
func ScopeFor(inv sspm.Invocation) EvalScope {
	switch {
	case inv.ConnectorID == "":
		return EvalScope{Global: true}
	case inv.Trigger == sspm.TriggerPush:
		return AfterEvents(inv.ConnectorID)
	}
	return AfterFullSync(inv.ConnectorID)
}

// EvalReport says what an evaluation did.
type EvalReport struct {
	Seeded           rules.SeedReport
	Statuses         map[rules.Status]int // results written, by status
	PostureFindings  sspm.FindingChanges
	IdentityFindings sspm.FindingChanges
	Events           int      // events evaluated
	EventFindings    int64    // event findings observed
	Resync           []string // posture datasets event policies marked stale: refresh them, then evaluate again
	Reopened         int64    // findings whose suppression expired
	PrunedChanges    int64    // access changes older than the retention, deleted by Sweep
}

func (r *EvalReport) count(results []rules.Result) {
	if r.Statuses == nil {
		r.Statuses = map[rules.Status]int{}
	}
	for _, res := range results {
		r.Statuses[res.Status]++
	}
}

// Evaluate runs the evaluation s asks for. Rules are seeded first (a no-op unless the shipped definitions
// changed).
func (e *Evaluator) Evaluate(ctx context.Context, s EvalScope) (EvalReport, error) {
	var rep EvalReport
	var err error
	if rep.Seeded, err = e.Store.SeedRules(ctx, e.Catalog.Seeds()); err != nil {
		return rep, err
	}
	now := e.now()
	if s.ConnectorID != "" && (s.Posture || s.Events) {
		c, err := e.Store.Connector(ctx, s.ConnectorID)
		if err != nil {
			return rep, err
		}
		if s.Posture {
			if err := e.posture(ctx, c, s.Rules, now, &rep); err != nil {
				return rep, err
			}
		}
		if s.Events {
			if err := e.events(ctx, c, now, &rep); err != nil {
				return rep, err
			}
		}
	}
	if s.Global {
		if err := e.global(ctx, s.Rules, now, &rep); err != nil {
			return rep, err
		}
	}
	if s.ConnectorID != "" && (s.Posture || s.Events) {
		// The connector's health shows when the evaluator last worked for it.
		if err := e.Store.RecordLaneActivity(ctx, s.ConnectorID, sspm.LaneEvaluator, e.now()); err != nil {
			return rep, err
		}
	}
	e.logger().Info("evaluated", append([]any{"connector", s.ConnectorID}, rep.logAttrs()...)...)
	return rep, nil
}

// logAttrs is an evaluation's one log line: counts only, flat (results by status as "fail=3 pass=12", findings
// observed and resolved), never a Go value's dump.
func (r EvalReport) logAttrs() []any {
	statuses := make([]string, 0, len(r.Statuses))
	for st, n := range r.Statuses {
		statuses = append(statuses, fmt.Sprintf("%s=%d", st, n))
	}
	sort.Strings(statuses)
	attrs := []any{"results", strings.Join(statuses, " "),
		"posture_observed", r.PostureFindings.Observed, "posture_resolved", r.PostureFindings.Resolved,
		"identity_observed", r.IdentityFindings.Observed, "identity_resolved", r.IdentityFindings.Resolved,
		"events", r.Events, "event_findings", r.EventFindings}
	if r.Seeded.Rules > 0 || r.Seeded.Retired > 0 {
		attrs = append(attrs, "rules_seeded", r.Seeded.Rules, "rules_retired", r.Seeded.Retired)
	}
	if len(r.Resync) > 0 {
		attrs = append(attrs, "resync", strings.Join(r.Resync, " "))
	}
	return attrs
}

// LogValue logs a report as its counts (the evaluation's log line), so a report logged elsewhere is no dump.
func (r EvalReport) LogValue() slog.Value {
	return slog.GroupValue(slog.Group("", r.logAttrs()...).Value.Group()...)
}

// posture evaluates the connector's rulesets over the datasets of its last complete, successful full sync.
func (e *Evaluator) posture(ctx context.Context, c sspm.Connector, only []rules.RuleRef, now time.Time, rep *EvalReport) error {
	scope := rules.ConnectorScope(string(c.Kind), c.ID)
	data := &connectorData{store: e.Store, connectorID: c.ID}
	run, err := e.Store.LastFullSync(ctx, c.ID)
	switch {
	case sspm.ErrorCode(err) == sspm.CodeNotFound:
		data.noSync = true
	case err != nil:
		return err
	default:
		data.unavailable = map[string]bool{}
		for _, u := range run.Unavailable {
			if name, ok := strings.CutPrefix(u, "dataset:"); ok {
				data.unavailable[name] = true
			}
		}
	}
	return e.evaluateScope(ctx, scope, data, only, now, rep)
}

// global evaluates the global rulesets over the normalized datasets, then syncs identity findings.
func (e *Evaluator) global(ctx context.Context, only []rules.RuleRef, now time.Time, rep *EvalReport) error {
	n, err := e.Store.SyncedConnectors(ctx)
	if err != nil {
		return err
	}
	data := &normalizedData{store: e.Store, now: now, none: n == 0}
	if len(only) == 0 && n > 0 {
		// Every global rule runs: read the normalized datasets the rulesets declare concurrently (the database
		// builds one while the store turns another into rows).
		for _, rs := range e.Catalog.For(rules.GlobalScope()) {
			for _, dc := range rs.DataContracts {
				if v, ok := rules.NormalizedVersion(dc.Dataset); ok && v == dc.Version {
					data.fetch(ctx, dc.Dataset)
				}
			}
		}
	}
	if err := e.evaluateScope(ctx, rules.GlobalScope(), data, only, now, rep); err != nil {
		return err
	}
	if len(only) > 0 {
		return nil
	}
	fc, err := e.Store.SyncIdentityFindings(ctx, identity.Checks(), now)
	if err != nil {
		return err
	}
	e.notify(fc.Transitions)
	rep.IdentityFindings = fc.Counts()
	return nil
}

func (e *Evaluator) evaluateScope(ctx context.Context, scope rules.Scope, data rules.Datasets, only []rules.RuleRef, now time.Time, rep *EvalReport) error {
	ctl, err := e.Store.RuleControls(ctx, scope)
	if err != nil {
		return err
	}
	var results []rules.Result
	for _, rs := range e.Catalog.For(scope) {
		keys, skip := ruleFilter(rs.Key, only)
		if skip {
			continue
		}
		res, err := rs.Evaluate(ctx, scope, data, ctl, now, keys...)
		if err != nil {
			return fmt.Errorf("evaluate %s for %s %s: %w", rs.Key, scope.Kind, scope.SourceName, err)
		}
		results = append(results, res...)
	}
	fc, err := e.Store.SaveRuleResults(ctx, scope, results, now)
	if err != nil {
		return err
	}
	e.notify(fc.Transitions)
	rep.count(results)
	rep.PostureFindings.Add(fc.Counts())
	return nil
}

// ruleFilter returns the rule keys of ruleset to evaluate (nil: all), and whether to skip the ruleset.
func ruleFilter(ruleset string, only []rules.RuleRef) ([]string, bool) {
	if len(only) == 0 {
		return nil, false
	}
	var keys []string
	for _, r := range only {
		if r.Ruleset == ruleset {
			if r.Rule == "" {
				return nil, false
			}
			keys = append(keys, r.Rule)
		}
	}
	return keys, len(keys) == 0
}

// events evaluates the connector's events stored after its watermark, batch by batch; each batch's findings and
// the new watermark commit together.
func (e *Evaluator) events(ctx context.Context, c sspm.Connector, now time.Time, rep *EvalReport) error {
	if len(e.Catalog.Policies(string(c.Kind))) == 0 {
		return nil
	}
	ctl, err := e.Store.RuleControls(ctx, rules.ConnectorScope(string(c.Kind), c.ID))
	if err != nil {
		return err
	}
	skip := func(p rules.PolicyRef) bool {
		for _, ref := range []rules.RuleRef{{Ruleset: p.Set}, {Ruleset: p.Set, Rule: p.Policy.ID}} {
			if o, ok := ctl.Overrides[ref]; ok && !o.Enabled {
				return true
			}
		}
		return false
	}
	lookback := func(ctx context.Context, q rules.LookbackQuery) ([]sspm.Event, error) {
		return e.Store.LookbackEvents(ctx, c.Kind, q)
	}
	from, err := e.Store.EventWatermark(ctx, c.ID)
	if err != nil {
		return err
	}
	batch, batches := max(e.EventBatch, 0), max(e.MaxEventBatches, 0)
	if batch == 0 {
		batch = 5000
	}
	if batches == 0 {
		batches = 20
	}
	for range batches {
		evs, err := e.Store.EventsAfter(ctx, c.ID, c.Kind, from, batch)
		if err != nil || len(evs) == 0 {
			return err
		}
		matches, err := e.Catalog.MatchEvents(ctx, string(c.Kind), evs, skip, lookback)
		if err != nil {
			return err
		}
		fs := make([]sspm.Finding, len(matches))
		for i, m := range matches {
			fs[i] = rules.EventFinding(m, now)
			for _, ds := range m.Ref.Policy.Resync {
				if !contains(rep.Resync, ds) {
					rep.Resync = append(rep.Resync, ds)
				}
			}
		}
		to := evs[len(evs)-1].ID
		fc, err := e.Store.SaveEventFindings(ctx, c.ID, fs, from, to)
		if errors.Is(err, sspm.ErrBusy) { // another evaluation took these events
			return nil
		}
		if err != nil {
			return err
		}
		e.notify(fc.Transitions)
		rep.Events += len(evs)
		rep.EventFindings += fc.Observed
		if from = to; len(evs) < batch {
			return nil
		}
	}
	return nil
}

// SetOverride validates and saves an override in a scope, then evaluates what it affects again. A rule
// override's parameters must satisfy the rule's schema; a ruleset override takes none.
func (e *Evaluator) SetOverride(ctx context.Context, scope rules.Scope, o rules.Override) (EvalReport, error) {
	if ps := e.Catalog.PolicySet(o.RulesetKey); ps != nil {
		return EvalReport{}, e.setPolicyOverride(ctx, scope, ps, o)
	}
	rs, err := e.rulesetFor(scope, o.RulesetKey)
	if err != nil {
		return EvalReport{}, err
	}
	if o.RuleKey == "" && len(o.Params) > 0 {
		return EvalReport{}, sspm.Errorf(sspm.CodeInvalid, "a ruleset override takes no parameters")
	}
	if o.RuleKey != "" {
		r := rs.Rule(o.RuleKey)
		if r == nil {
			return EvalReport{}, sspm.Errorf(sspm.CodeNotFound, "rule %s/%s not found", o.RulesetKey, o.RuleKey)
		}
		if _, err := r.EffectiveParams(o.Params); err != nil {
			return EvalReport{}, &sspm.Error{Code: sspm.CodeInvalid, Message: fmt.Sprintf("rule %s/%s: %v", o.RulesetKey, o.RuleKey, err), Err: err}
		}
	}
	if _, err := e.Store.SeedRules(ctx, e.Catalog.Seeds()); err != nil {
		return EvalReport{}, err
	}
	if err := e.Store.SaveRuleOverride(ctx, scope, o); err != nil {
		return EvalReport{}, err
	}
	return e.EvaluateRule(ctx, scope, rules.RuleRef{Ruleset: o.RulesetKey, Rule: o.RuleKey})
}

// setPolicyOverride enables or disables an event policy set or policy for a connector; it applies to events
// evaluated from then on.
func (e *Evaluator) setPolicyOverride(ctx context.Context, scope rules.Scope, ps *rules.PolicySet, o rules.Override) error {
	switch {
	case scope.Kind != rules.ScopeConnector:
		return sspm.Errorf(sspm.CodeInvalid, "event policies are enabled per connector")
	case len(o.Params) > 0:
		return sspm.Errorf(sspm.CodeInvalid, "event policies take no parameters")
	case o.RuleKey != "" && ps.Policy(o.RuleKey) == nil:
		return sspm.Errorf(sspm.CodeNotFound, "policy %s/%s not found", ps.Key, o.RuleKey)
	}
	if _, err := e.Store.SeedRules(ctx, e.Catalog.Seeds()); err != nil {
		return err
	}
	return e.Store.SaveRuleOverride(ctx, scope, o)
}

// Attest validates and saves an attestation (status pass, fail or not_applicable, a note, who), then evaluates
// the rule again. A zero ExpiresAt never expires; At defaults to now.
func (e *Evaluator) Attest(ctx context.Context, scope rules.Scope, a rules.Attestation) (EvalReport, error) {
	rs, err := e.rulesetFor(scope, a.RulesetKey)
	if err != nil {
		return EvalReport{}, err
	}
	switch {
	case rs.Rule(a.RuleKey) == nil:
		return EvalReport{}, sspm.Errorf(sspm.CodeNotFound, "rule %s/%s not found", a.RulesetKey, a.RuleKey)
	case a.Status != rules.StatusPass && a.Status != rules.StatusFail && a.Status != rules.StatusNotApplicable:
		return EvalReport{}, sspm.Errorf(sspm.CodeInvalid, "attested status must be pass, fail or not_applicable")
	case strings.TrimSpace(a.Note) == "" || strings.TrimSpace(a.By) == "":
		return EvalReport{}, sspm.Errorf(sspm.CodeInvalid, "an attestation needs a note and who made it")
	}
	if a.At.IsZero() {
		a.At = e.now()
	}
	if _, err := e.Store.SeedRules(ctx, e.Catalog.Seeds()); err != nil {
		return EvalReport{}, err
	}
	if err := e.Store.SaveAttestation(ctx, scope, a); err != nil {
		return EvalReport{}, err
	}
	return e.EvaluateRule(ctx, scope, rules.RuleRef{Ruleset: a.RulesetKey, Rule: a.RuleKey})
}

func (e *Evaluator) rulesetFor(scope rules.Scope, key string) (*rules.Ruleset, error) {
	rs := e.Catalog.Ruleset(key)
	if rs == nil {
		return nil, sspm.Errorf(sspm.CodeNotFound, "ruleset %s not found", key)
	}
	if !rs.AppliesTo(scope) {
		return nil, sspm.Errorf(sspm.CodeInvalid, "ruleset %s does not apply to %s %s", key, scope.Kind, scope.SourceKind)
	}
	return rs, nil
}

// EvaluateRule evaluates one rule (or, with ref.Rule "", one ruleset) in a scope again, as after a change of
// its controls.
func (e *Evaluator) EvaluateRule(ctx context.Context, scope rules.Scope, ref rules.RuleRef) (EvalReport, error) {
	return e.Evaluate(ctx, evalScopeOf(scope, ref))
}

func evalScopeOf(scope rules.Scope, ref rules.RuleRef) EvalScope {
	if scope.Kind == rules.ScopeGlobal {
		return EvalScope{Global: true, Rules: []rules.RuleRef{ref}}
	}
	return EvalScope{ConnectorID: scope.SourceName, Posture: true, Rules: []rules.RuleRef{ref}}
}

// Sweep reopens findings whose suppression or accepted risk expired, evaluates again the rules whose
// attestation expired, and deletes access changes older than the history retention. Run it periodically (the
// evaluator schedule).
func (e *Evaluator) Sweep(ctx context.Context) (EvalReport, error) {
	var rep EvalReport
	now := e.now()
	retention := e.HistoryRetention
	if retention <= 0 {
		retention = DefaultHistoryRetention
	}
	pruned, err := e.Store.PruneAccessChanges(ctx, now.Add(-retention))
	if err != nil {
		return rep, err
	}
	rep.PrunedChanges = pruned
	reopened, err := e.Store.ReopenExpired(ctx, now)
	if err != nil {
		return rep, err
	}
	e.notify(reopened)
	rep.Reopened = int64(len(reopened))
	expired, err := e.Store.ExpiredAttestations(ctx, now)
	if err != nil {
		return rep, err
	}
	byScope := map[rules.Scope][]rules.RuleRef{}
	var order []rules.Scope
	for _, x := range expired {
		if _, ok := byScope[x.Scope]; !ok {
			order = append(order, x.Scope)
		}
		byScope[x.Scope] = append(byScope[x.Scope], x.Ref)
	}
	for _, s := range order {
		es := evalScopeOf(s, rules.RuleRef{})
		es.Rules = byScope[s]
		r, err := e.Evaluate(ctx, es)
		if err != nil {
			return rep, err
		}
		rep.count(nil)
		for st, c := range r.Statuses {
			rep.Statuses[st] += c
		}
	}
	return rep, nil
}

func (e *Evaluator) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Evaluator) logger() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// connectorData serves a connector's datasets from its last complete, successful full sync. A dataset that sync
// could not read is permission_denied (the run lists it as unavailable); without any such sync every dataset is
// sync_failed.
type connectorData struct {
	store       EvaluatorStore
	connectorID string
	noSync      bool
	unavailable map[string]bool
}

func (d *connectorData) Dataset(ctx context.Context, name string, _ int) (rules.Data, error) {
	switch {
	case d.noSync:
		return rules.Data{}, &rules.DatasetError{Dataset: name, Kind: rules.ErrSyncFailed, Message: "no complete full sync yet"}
	case d.unavailable[name]:
		return rules.Data{}, &rules.DatasetError{Dataset: name, Kind: rules.ErrPermissionDenied, Message: "the last full sync could not read it"}
	}
	rows, err := d.store.DatasetRows(ctx, d.connectorID, name)
	if err != nil {
		return rules.Data{}, err
	}
	raws := make([]json.RawMessage, len(rows))
	for i, r := range rows {
		raws[i] = r.Raw
	}
	return sspm.DecodeDatasetRows(name, raws)
}

// normalizedData serves the normalized datasets; with no synced connector they are missing_integration. Each
// dataset is read once, possibly ahead of the rule that needs it (fetch).
type normalizedData struct {
	store EvaluatorStore
	now   time.Time
	none  bool

	mu      sync.Mutex
	fetches map[string]*datasetFetch
}

type datasetFetch struct {
	done chan struct{}
	data rules.Data
	err  error
}

// fetch starts reading a dataset in the background unless it was started already.
func (d *normalizedData) fetch(ctx context.Context, name string) *datasetFetch {
	d.mu.Lock()
	defer d.mu.Unlock()
	if f, ok := d.fetches[name]; ok {
		return f
	}
	if d.fetches == nil {
		d.fetches = map[string]*datasetFetch{}
	}
	f := &datasetFetch{done: make(chan struct{})}
	d.fetches[name] = f
	go func() {
		defer close(f.done)
		f.data, f.err = d.store.NormalizedData(ctx, name, d.now)
	}()
	return f
}

func (d *normalizedData) Dataset(ctx context.Context, name string, version int) (rules.Data, error) {
	if v, ok := rules.NormalizedVersion(name); !ok || v != version {
		return rules.Data{}, &rules.DatasetError{Dataset: name, Kind: rules.ErrMissingDataset, Message: fmt.Sprintf("version %d is not served", version)}
	}
	if d.none {
		return rules.Data{}, &rules.DatasetError{Dataset: name, Kind: rules.ErrMissingIntegration, Message: "no connector has completed a sync"}
	}
	f := d.fetch(ctx, name)
	select {
	case <-f.done:
		return f.data, f.err
	case <-ctx.Done():
		return rules.Data{}, ctx.Err()
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
