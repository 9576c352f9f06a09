// Package emf writes metrics in CloudWatch's embedded metric format: one JSON object per line, which Lambda's
// log stream turns into CloudWatch metrics without an API call. On Lambda the writer is standard output; the
// local runtime gives it io.Discard (or its log) since it has no CloudWatch.
//
// Each Emit writes one metric set: the metrics' values under their names, the dimension values under theirs, and
// the "_aws" metadata that declares them (namespace, dimension sets, metric names and units).
package emf

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// Namespace is the CloudWatch namespace of every Open-SSPM metric.
const Namespace = "OpenSSPM"

// Metric names the lanes emit; alarms and the dashboard refer to them.
const (
	SyncFailures    = "SyncFailures"    // a full or discovery run failed (Count)
	SyncSucceeded   = "SyncSucceeded"   // a full or discovery run succeeded (Count)
	RowsWritten     = "RowsWritten"     // rows a succeeded run wrote (Count)
	EventsStored    = "EventsStored"    // new events a tail step stored (Count)
	InboxFailures   = "InboxFailures"   // queued deliveries the inbox lane failed and left for retry (Count)
	TailLagSeconds  = "TailLagSeconds"  // how far a stream's high-water mark is behind now (Seconds)
	AlertsDelivered = "AlertsDelivered" // finding alerts delivered to a destination (Count)
	AlertsRetried   = "AlertsRetried"   // alert deliveries that failed and wait for a retry (Count)
	AlertsDead      = "AlertsDead"      // alert deliveries that failed for good (Count)
)

// Dimension names.
const (
	DimLane      = "Lane"
	DimConnector = "Connector"
)

// Unit is a CloudWatch metric unit.
type Unit string

// Units in use.
const (
	Count   Unit = "Count"
	Seconds Unit = "Seconds"
)

// Metric is one value of a metric set.
type Metric struct {
	Name  string
	Unit  Unit
	Value float64
}

// Dimensions are the dimension values of a metric set: Lane always, Connector when the set concerns one.
type Dimensions struct {
	Lane      string
	Connector string
}

// Writer writes metric sets to an io.Writer, one line each. It is safe for concurrent use.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
}

// New returns a writer to w, timestamped by now (time.Now when nil).
func New(w io.Writer, now func() time.Time) *Writer {
	if now == nil {
		now = time.Now
	}
	return &Writer{w: w, now: now}
}

type metricDef struct {
	Name string `json:"Name"`
	Unit Unit   `json:"Unit"`
}

type directive struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []metricDef `json:"Metrics"`
}

type metadata struct {
	Timestamp         int64       `json:"Timestamp"`
	CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
}

// Emit writes one metric set. The metrics are aggregated per Lane, and also per Lane and Connector when
// d.Connector is set (two dimension sets: alarms watch the first, the dashboard can break down by the second).
// Emitting nothing (no metrics) writes nothing.
func (w *Writer) Emit(d Dimensions, metrics ...Metric) error {
	if len(metrics) == 0 {
		return nil
	}
	set := map[string]any{}
	dir := directive{Namespace: Namespace, Dimensions: [][]string{{DimLane}}}
	set[DimLane] = d.Lane
	if d.Connector != "" {
		dir.Dimensions = append(dir.Dimensions, []string{DimLane, DimConnector})
		set[DimConnector] = d.Connector
	}
	for _, m := range metrics {
		if m.Name == "" || m.Name == "_aws" || m.Name == DimLane || m.Name == DimConnector {
			return fmt.Errorf("emf: invalid metric name %q", m.Name)
		}
		if _, dup := set[m.Name]; dup {
			return fmt.Errorf("emf: metric %s given twice", m.Name)
		}
		dir.Metrics = append(dir.Metrics, metricDef{Name: m.Name, Unit: m.Unit})
		set[m.Name] = m.Value
	}
	set["_aws"] = metadata{Timestamp: w.now().UnixMilli(), CloudWatchMetrics: []directive{dir}}
	line, err := json.Marshal(set)
	if err != nil {
		return fmt.Errorf("emf: encode: %w", err)
	}
	line = append(line, '\n')
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.w.Write(line); err != nil {
		return fmt.Errorf("emf: write: %w", err)
	}
	return nil
}
