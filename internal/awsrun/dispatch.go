package awsrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// DispatchInput is the dispatch function's event: an EventBridge (CloudWatch Events) scheduled event, or the
// constant input a schedule target gives, {"lanes": ["full", "discovery"]}. Lanes come from "lanes", else from
// the event's detail {"lanes": [...]}, else they are full and discovery.
type DispatchInput struct {
	events.CloudWatchEvent
	Lanes []sspm.Lane `json:"lanes,omitempty"`
}

// DispatchOutput reports what a dispatch started.
type DispatchOutput struct {
	// Invoked lists the full and discovery invocations, one per due connector lane.
	Invoked []DispatchedWork `json:"invoked"`
	// TailStreams counts the tail streams whose state machine execution was started or already running.
	TailStreams int `json:"tail_streams"`
}

// DispatchedWork is one invoked connector lane.
type DispatchedWork struct {
	ConnectorID string    `json:"connector_id"`
	Lane        sspm.Lane `json:"lane"`
	Resume      bool      `json:"resume,omitempty"`
}

// Dispatch is the dispatch function's handler. For full and discovery it runs the Dispatcher: stale runs are
// closed and each due connector lane is invoked (Lambda async invoke of the lane's function). For tail it starts
// one state machine execution per (connector, stream) the tail lane follows. It returns an error when the input
// names a lane it cannot dispatch or when any invocation failed (the others still happened).
func (rt *Runtime) Dispatch(ctx context.Context, in DispatchInput) (DispatchOutput, error) {
	out := DispatchOutput{Invoked: []DispatchedWork{}}
	lanes, err := in.lanes()
	if err != nil {
		return out, err
	}
	if err := rt.ready(ctx); err != nil {
		return out, err
	}
	var sync []sspm.Lane
	tail := false
	for _, l := range lanes {
		switch l {
		case sspm.LaneFull, sspm.LaneDiscovery:
			sync = append(sync, l)
		case sspm.LaneTail:
			tail = true
		default:
			return out, sspm.Errorf(sspm.CodeInvalid, "dispatch: lane %s is not scheduled by dispatch", l)
		}
	}
	var errs []error
	if len(sync) > 0 {
		due, err := rt.App.Dispatcher.Dispatch(ctx, sync...)
		for _, w := range due {
			out.Invoked = append(out.Invoked, DispatchedWork{ConnectorID: w.ConnectorID, Lane: w.Lane, Resume: w.Resume})
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if tail {
		n, err := rt.startTails(ctx)
		out.TailStreams = n
		if err != nil {
			errs = append(errs, err)
		}
	}
	rt.Logger.Info("dispatched", "lanes", lanes, "invoked", len(out.Invoked), "tail_streams", out.TailStreams)
	return out, errors.Join(errs...)
}

// startTails starts the tail execution of every stream the tail lane follows.
func (rt *Runtime) startTails(ctx context.Context) (int, error) {
	streams, err := rt.App.TailStreams(ctx)
	if err != nil {
		return 0, fmt.Errorf("list tail streams: %w", err)
	}
	var errs []error
	n := 0
	for _, s := range streams {
		if err := rt.App.Invoker().Invoke(ctx, s); err != nil {
			errs = append(errs, fmt.Errorf("tail %s/%s: %w", s.ConnectorID, s.Stream, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

func (in DispatchInput) lanes() ([]sspm.Lane, error) {
	lanes := in.Lanes
	if len(lanes) == 0 && len(in.Detail) > 0 {
		var d struct {
			Lanes []sspm.Lane `json:"lanes"`
		}
		if err := json.Unmarshal(in.Detail, &d); err == nil {
			lanes = d.Lanes
		}
	}
	if len(lanes) == 0 {
		return []sspm.Lane{sspm.LaneFull, sspm.LaneDiscovery}, nil
	}
	for _, l := range lanes {
		if _, err := sspm.ParseLane(string(l)); err != nil {
			return nil, err
		}
	}
	return lanes, nil
}
