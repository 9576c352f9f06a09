package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

type healthStore interface {
	RunsPage(ctx context.Context, connectorID string, f postgres.RunFilter, o postgres.ListOptions) (postgres.List[sspm.SyncRun], error)
	LatestRuns(ctx context.Context, connectorID string) ([]sspm.SyncRun, error)
	LaneStates(ctx context.Context, connectorID string) ([]postgres.LaneState, error)
	TailStates(ctx context.Context, connectorID string) ([]postgres.TailState, error)
	InboxStatsByConnector(ctx context.Context, connectorID string) ([]postgres.InboxStats, error)
}

// Run is one run of a lane for a connector.
type Run struct {
	ID          int64            `json:"id"`
	ConnectorID string           `json:"connector_id"`
	Lane        string           `json:"lane"`
	Trigger     string           `json:"trigger" enum:"schedule,manual,push"`
	Status      string           `json:"status" enum:"running,succeeded,failed,canceled"`
	Stage       string           `json:"stage,omitempty"`
	StagesDone  []string         `json:"stages_done" nullable:"false"`
	Counts      map[string]int64 `json:"counts"`
	Progress    RunProgress      `json:"progress"`
	Unavailable []string         `json:"unavailable" nullable:"false" doc:"What the run could not read; its old rows are kept."`
	ErrorKind   string           `json:"error_kind,omitempty"`
	ErrorText   string           `json:"error_text,omitempty" doc:"The run's error in full."`
	Attempts    int              `json:"attempts"`
	LostLeases  int              `json:"lost_leases" doc:"Invocations that died holding the run (killed, or cut off from the database) before another took it over from its checkpoint."`
	StartedAt   time.Time        `json:"started_at"`
	FinishedAt  *time.Time       `json:"finished_at,omitempty"`
	HeartbeatAt *time.Time       `json:"heartbeat_at,omitempty"`
	ResumeAt    *time.Time       `json:"resume_at,omitempty" doc:"A running run paused for a provider's rate limit continues at this time."`
	DurationMS  int64            `json:"duration_ms" doc:"So far, for a running run."`
}

// RunProgress is what a running run reports.
type RunProgress struct {
	Stage   string `json:"stage,omitempty"`
	Pages   int64  `json:"pages"`
	Rows    int64  `json:"rows"`
	Message string `json:"message,omitempty"`
}

// LaneStatus is one lane of one connector: its schedule and its newest runs.
type LaneStatus struct {
	ConnectorID         string     `json:"connector_id"`
	Lane                string     `json:"lane"`
	NextDueAt           *time.Time `json:"next_due_at,omitempty"`
	ConsecutiveFailures int        `json:"consecutive_failures"`
	LastStatus          string     `json:"last_status,omitempty"`
	LastSuccessAt       *time.Time `json:"last_success_at,omitempty"`
	LastActivityAt      *time.Time `json:"last_activity_at,omitempty"`
	LastRun             *Run       `json:"last_run,omitempty" doc:"The newest run; its progress while running."`
	LastFailure         *Run       `json:"last_failure,omitempty" doc:"The newest failed run, with its error in full."`
}

// TailStatus is where a tail stream is.
type TailStatus struct {
	ConnectorID string     `json:"connector_id"`
	Stream      string     `json:"stream"`
	HighWaterAt *time.Time `json:"high_water_at,omitempty"`
	LagSeconds  float64    `json:"lag_seconds"`
	LastError   string     `json:"last_error,omitempty"`
	Unavailable bool       `json:"unavailable" doc:"The connector cannot read this stream (its plan or credential): a state, not an error."`
	// UnavailableReason says why; the stream is tried again at NextReadAt.
	UnavailableReason string     `json:"unavailable_reason,omitempty" doc:"Why the stream is unavailable."`
	NextReadAt        *time.Time `json:"next_read_at,omitempty" doc:"The stream is held back until then (a rate limit, or the next try of an unavailable stream)."`
	UpdatedAt         time.Time  `json:"updated_at"`
	RequestsPerMinute float64    `json:"requests_per_minute" doc:"The tail's requests per minute to the provider (recent reads)."`
	BucketLimit       int        `json:"bucket_limit_per_minute,omitempty" doc:"Requests per minute the provider's rate-limit bucket of those requests allows, as it last said; absent when unknown."`
	Behind            string     `json:"behind,omitempty" enum:"unavailable,rate_limited,error,quiet,not_read" doc:"Why the tail is behind, when it is: the stream is unavailable (plan or credential), held back by a rate limit, failing, caught up with a provider log that has nothing newer (the lag is the age of its newest event, a quiet log or one the provider publishes late), or not read lately."`
	BehindReason      string     `json:"behind_reason,omitempty" doc:"The reason in words."`
}

// behindAfter is the lag past which a tail without another state says why it is behind.
const behindAfter = 5 * time.Minute

// tailBehind says why a tail is behind: its state (unavailable, rate limit, error), else, past behindAfter of
// lag, whether the last read was recent (the provider had nothing newer) or the tail has not been read lately.
func tailBehind(t TailStatus, now time.Time) (string, string) {
	switch {
	case t.Unavailable:
		return "unavailable", "the provider does not let this connector read the stream: " + t.UnavailableReason
	case t.NextReadAt != nil:
		return "rate_limited", "waiting for the provider's rate limit until " + t.NextReadAt.UTC().Format(time.RFC3339)
	case t.LastError != "":
		return "error", "the last read failed: " + t.LastError
	case time.Duration(t.LagSeconds*float64(time.Second)) < behindAfter:
		return "", ""
	case now.Sub(t.UpdatedAt) <= behindAfter:
		return "quiet", fmt.Sprintf("read %s ago; the provider's log had nothing newer, so the lag is the age of its newest event "+
			"(a quiet log, or entries the provider publishes late: the next reads go back over the overlap for them)",
			now.Sub(t.UpdatedAt).Round(time.Second))
	}
	return "not_read", fmt.Sprintf("not read for %s: the tail lane has not run since", now.Sub(t.UpdatedAt).Round(time.Second))
}

// InboxStatus counts a connector's push deliveries.
type InboxStatus struct {
	ConnectorID     string     `json:"connector_id"`
	Received        int64      `json:"received" doc:"Waiting to be processed."`
	Processed       int64      `json:"processed"`
	Failed          int64      `json:"failed"`
	Dead            int64      `json:"dead"`
	LastReceivedAt  *time.Time `json:"last_received_at,omitempty"`
	LastProcessedAt *time.Time `json:"last_processed_at,omitempty"`
}

// ConnectorHealth is what a user checks when a connector's data is missing.
type ConnectorHealth struct {
	Connector Connector    `json:"connector"`
	Lanes     []LaneStatus `json:"lanes" nullable:"false"`
	Tail      []TailStatus `json:"tail" nullable:"false"`
	Inbox     *InboxStatus `json:"inbox,omitempty"`
}

// LaneActivity is a lane's newest activity over every connector.
type LaneActivity struct {
	Lane           string     `json:"lane"`
	LastActivityAt *time.Time `json:"last_activity_at,omitempty"`
	Running        int        `json:"running"`
	Failing        int        `json:"failing" doc:"Connectors whose last run of the lane failed."`
}

// QueueDepth is the push inbox queue's depth.
type QueueDepth struct {
	Ready int64 `json:"ready"`
	Dead  int64 `json:"dead"`
}

// SystemHealth is every lane's activity, the inbox and the tails.
type SystemHealth struct {
	Lanes      []LaneActivity `json:"lanes" nullable:"false"`
	Connectors []LaneStatus   `json:"connectors" nullable:"false" doc:"Every connector's lanes."`
	Tail       []TailStatus   `json:"tail" nullable:"false"`
	Inbox      []InboxStatus  `json:"inbox" nullable:"false"`
	Queue      *QueueDepth    `json:"queue,omitempty"`
}

// DeadDelivery is a push delivery that used all its attempts.
type DeadDelivery struct {
	ID          int64      `json:"id"`
	ConnectorID string     `json:"connector_id,omitempty"`
	Kind        string     `json:"kind,omitempty"`
	DeliveryID  string     `json:"delivery_id,omitempty"`
	ReceivedAt  *time.Time `json:"received_at,omitempty"`
	Bytes       int        `json:"bytes"`
	Attempts    int        `json:"attempts"`
	LastError   string     `json:"last_error"`
	EnqueuedAt  time.Time  `json:"enqueued_at"`
}

type listRunsInput struct {
	ConnectorPath
	PageParams
	Lane   string `query:"lane" enum:"full,discovery,event-inbox,tail,evaluator"`
	Status string `query:"status" enum:"running,succeeded,failed,canceled"`
	Sort   string `query:"sort" enum:"started_at,-started_at,finished_at,-finished_at"`
}

type deliveryPath struct {
	ID int64 `path:"id"`
}

func (a *Admin) registerHealth(api huma.API) {
	tags := []string{"health"}
	operation(a, api, huma.Operation{OperationID: "listRuns", Method: http.MethodGet, Path: "/api/connectors/{id}/runs",
		Summary: "A connector's runs, newest first", Tags: tags, Errors: []int{404, 422}}, a.listRuns)
	operation(a, api, huma.Operation{OperationID: "getConnectorHealth", Method: http.MethodGet, Path: "/api/connectors/{id}/health",
		Summary: "A connector's lanes, newest runs, latest error, tails and inbox", Tags: tags, Errors: []int{404}}, a.connectorHealth)
	operation(a, api, huma.Operation{OperationID: "getHealth", Method: http.MethodGet, Path: "/api/health",
		Summary: "Every lane's last activity, inbox depth, dead deliveries and tail lag", Tags: tags}, a.systemHealth)
	operation(a, api, huma.Operation{OperationID: "listDeadDeliveries", Method: http.MethodGet, Path: "/api/inbox/dead",
		Summary: "Push deliveries that used all their attempts", Tags: tags, Errors: []int{404}}, a.listDead)
	operation(a, api, huma.Operation{OperationID: "replayDeadDelivery", Method: http.MethodPost, Path: "/api/inbox/dead/{id}/replay",
		Summary: "Queue a dead delivery again", Tags: tags, DefaultStatus: http.StatusNoContent, Errors: []int{404}}, a.replayDead)
}

func (a *Admin) listRuns(ctx context.Context, in *listRunsInput) (*body[Page[Run]], error) {
	if _, err := a.Store.Connector(ctx, in.ID); err != nil {
		return nil, connectorNotFound(err, in.ID)
	}
	o := in.options(in.Sort)
	l, err := a.Store.RunsPage(ctx, in.ID, postgres.RunFilter{Lane: in.Lane, Status: in.Status}, o)
	if err != nil {
		return nil, err
	}
	return bodyOf(pageOf(l, o, a.runOut)), nil
}

func (a *Admin) connectorHealth(ctx context.Context, in *ConnectorPath) (*body[ConnectorHealth], error) {
	c, err := a.Store.Connector(ctx, in.ID)
	if err != nil {
		return nil, connectorNotFound(err, in.ID)
	}
	lanes, tails, inbox, err := a.lanes(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	out := ConnectorHealth{Connector: a.connectorOut(c), Lanes: lanes, Tail: tails}
	if len(inbox) > 0 {
		out.Inbox = &inbox[0]
	}
	return bodyOf(out), nil
}

func (a *Admin) systemHealth(ctx context.Context, _ *struct{}) (*body[SystemHealth], error) {
	lanes, tails, inbox, err := a.lanes(ctx, "")
	if err != nil {
		return nil, err
	}
	out := SystemHealth{Connectors: lanes, Tail: tails, Inbox: inbox}
	activity := map[string]*LaneActivity{}
	for _, l := range sspm.Lanes {
		activity[string(l)] = &LaneActivity{Lane: string(l)}
	}
	later := func(act *LaneActivity, t *time.Time) {
		if t != nil && (act.LastActivityAt == nil || t.After(*act.LastActivityAt)) {
			act.LastActivityAt = t
		}
	}
	for _, l := range lanes {
		act, ok := activity[l.Lane]
		if !ok {
			continue
		}
		later(act, l.LastActivityAt)
		if l.LastRun != nil && l.LastRun.Status == string(sspm.RunRunning) {
			act.Running++
		}
		if l.LastStatus == string(sspm.RunFailed) {
			act.Failing++
		}
	}
	for _, t := range tails {
		u := t.UpdatedAt
		later(activity[string(sspm.LaneTail)], &u)
		if t.LastError != "" {
			activity[string(sspm.LaneTail)].Failing++
		}
	}
	for _, s := range inbox {
		later(activity[string(sspm.LaneEventInbox)], s.LastProcessedAt)
	}
	for _, l := range sspm.Lanes {
		out.Lanes = append(out.Lanes, *activity[string(l)])
	}
	if a.Inbox != nil {
		ready, dead, err := a.Inbox.Depth(ctx)
		if err != nil {
			return nil, err
		}
		out.Queue = &QueueDepth{Ready: ready, Dead: dead}
	}
	return bodyOf(out), nil
}

// lanes gathers the lane schedules with their newest runs, the tail cursors and the inbox counts of a
// connector, or of every connector with id "".
func (a *Admin) lanes(ctx context.Context, id string) ([]LaneStatus, []TailStatus, []InboxStatus, error) {
	states, err := a.Store.LaneStates(ctx, id)
	if err != nil {
		return nil, nil, nil, err
	}
	runs, err := a.Store.LatestRuns(ctx, id)
	if err != nil {
		return nil, nil, nil, err
	}
	type key struct{ connector, lane string }
	last, failed := map[key]*Run{}, map[key]*Run{}
	for _, r := range runs {
		k, out := key{r.ConnectorID, string(r.Lane)}, a.runOut(r)
		if r.Status == sspm.RunFailed {
			failed[k] = &out
		}
		if cur := last[k]; cur == nil || out.ID > cur.ID {
			last[k] = &out
		}
	}
	has, err := a.kindLanes(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	lanes := make([]LaneStatus, 0, len(states))
	for _, s := range states {
		if !has(s.ConnectorID, s.Lane) {
			continue // a schedule row of a lane the kind does not have (GitHub has no discovery)
		}
		k := key{s.ConnectorID, string(s.Lane)}
		if s.Lane == sspm.LaneEvaluator {
			s.NextDueAt = time.Time{} // the evaluator follows syncs and events; it has no due time
		}
		lanes = append(lanes, LaneStatus{ConnectorID: s.ConnectorID, Lane: string(s.Lane), NextDueAt: timePtr(s.NextDueAt),
			ConsecutiveFailures: s.ConsecutiveFailures, LastStatus: s.LastStatus, LastSuccessAt: timePtr(s.LastSuccessAt),
			LastActivityAt: timePtr(s.LastActivityAt), LastRun: last[k], LastFailure: failed[k]})
	}
	ts, err := a.Store.TailStates(ctx, id)
	if err != nil {
		return nil, nil, nil, err
	}
	tails := make([]TailStatus, len(ts))
	for i, t := range ts {
		tails[i] = TailStatus{ConnectorID: t.ConnectorID, Stream: t.Stream, HighWaterAt: timePtr(t.HighWater),
			LagSeconds: t.LagSeconds, LastError: t.LastError, Unavailable: t.Unavailable != "", UnavailableReason: t.Unavailable,
			UpdatedAt: t.UpdatedAt.UTC(), RequestsPerMinute: math.Round(t.RequestsPerMinute*10) / 10, BucketLimit: t.BucketLimit}
		if t.NotBefore.After(a.now()) {
			tails[i].NextReadAt = timePtr(t.NotBefore)
		}
		tails[i].Behind, tails[i].BehindReason = tailBehind(tails[i], a.now())
	}
	stats, err := a.Store.InboxStatsByConnector(ctx, id)
	if err != nil {
		return nil, nil, nil, err
	}
	inbox := make([]InboxStatus, len(stats))
	for i, s := range stats {
		inbox[i] = InboxStatus{ConnectorID: s.ConnectorID, Received: s.Received, Processed: s.Processed, Failed: s.Failed,
			Dead: s.Dead, LastReceivedAt: timePtr(s.LastReceivedAt), LastProcessedAt: timePtr(s.LastProcessedAt)}
	}
	return lanes, tails, inbox, nil
}

// kindLanes returns whether a connector's kind has a lane (connector.Kind.Lanes). A connector of a kind this
// server does not know keeps every lane.
func (a *Admin) kindLanes(ctx context.Context) (func(connectorID string, l sspm.Lane) bool, error) {
	conns, err := a.Store.Connectors(ctx)
	if err != nil {
		return nil, err
	}
	lanes := make(map[string][]sspm.Lane, len(conns))
	for _, c := range conns {
		if a.Registry == nil {
			break
		}
		if k, err := a.Registry.Lookup(c.Kind); err == nil {
			lanes[c.ID] = k.Lanes()
		}
	}
	return func(id string, l sspm.Lane) bool {
		ls, ok := lanes[id]
		return !ok || slices.Contains(ls, l)
	}, nil
}

func (a *Admin) runOut(r sspm.SyncRun) Run {
	out := Run{ID: r.ID, ConnectorID: r.ConnectorID, Lane: string(r.Lane), Trigger: string(r.Trigger), Status: string(r.Status),
		Stage: r.Checkpoint.Stage, StagesDone: r.Checkpoint.Done, Counts: r.Counts, Unavailable: r.Unavailable,
		Progress:  RunProgress{Stage: r.Progress.Stage, Pages: r.Progress.Pages, Rows: r.Progress.Rows, Message: r.Progress.Message},
		ErrorKind: r.ErrorKind, ErrorText: r.ErrorText, Attempts: r.Attempts, LostLeases: r.LostLeases, StartedAt: r.StartedAt.UTC(),
		FinishedAt: timePtr(r.FinishedAt), HeartbeatAt: timePtr(r.HeartbeatAt)}
	if r.Status == sspm.RunRunning && r.ResumeAt.After(a.now()) {
		out.ResumeAt = timePtr(r.ResumeAt)
	}
	if out.StagesDone == nil {
		out.StagesDone = []string{}
	}
	if out.Unavailable == nil {
		out.Unavailable = []string{}
	}
	if out.Counts == nil {
		out.Counts = map[string]int64{}
	}
	end := r.FinishedAt
	if end.IsZero() {
		end = a.now()
	}
	out.DurationMS = end.Sub(r.StartedAt).Milliseconds()
	return out
}

func (a *Admin) listDead(ctx context.Context, in *PageParams) (*body[Page[DeadDelivery]], error) {
	if a.Inbox == nil {
		return nil, sspm.Errorf(sspm.CodeNotFound, "this server has no view of the inbox queue")
	}
	o := in.options("")
	l, err := a.Inbox.DeadPage(ctx, o)
	if err != nil {
		return nil, err
	}
	return bodyOf(pageOf(l, o, deadOut)), nil
}

func deadOut(m postgres.DeadMessage) DeadDelivery {
	out := DeadDelivery{ID: m.ID, Attempts: m.Attempts, LastError: m.LastError, EnqueuedAt: m.Enqueued.UTC()}
	var d sspm.Delivery
	if json.Unmarshal(m.Body, &d) == nil {
		out.ConnectorID, out.Kind, out.DeliveryID, out.ReceivedAt, out.Bytes = d.ConnectorID, string(d.Kind), d.DeliveryID, timePtr(d.ReceivedAt), len(d.Body)
	}
	return out
}

func (a *Admin) replayDead(ctx context.Context, in *deliveryPath) (*struct{}, error) {
	if a.Inbox == nil {
		return nil, sspm.Errorf(sspm.CodeNotFound, "this server has no view of the inbox queue")
	}
	m, err := a.Inbox.DeadMessage(ctx, in.ID)
	if err != nil {
		if sspm.ErrorCode(err) == sspm.CodeNotFound {
			return nil, sspm.Errorf(sspm.CodeNotFound, "dead delivery %d not found", in.ID)
		}
		return nil, err
	}
	if err := a.Inbox.Replay(ctx, in.ID); err != nil {
		if sspm.ErrorCode(err) == sspm.CodeNotFound {
			return nil, sspm.Errorf(sspm.CodeNotFound, "dead delivery %d not found", in.ID)
		}
		return nil, err
	}
	d := deadOut(m)
	if err := a.Store.RecordAudit(ctx, postgres.Audit{Actor: actor(ctx), Action: "inbox.replay", TargetType: "delivery",
		TargetID: fmt.Sprint(in.ID), Before: map[string]any{"connector_id": d.ConnectorID, "attempts": d.Attempts, "last_error": d.LastError}}); err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}
