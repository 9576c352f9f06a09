package emf_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/emf"
)

var at = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// spec is the embedded metric format's shape (CloudWatch's EMF specification): the root holds "_aws" with an
// integer millisecond Timestamp and CloudWatchMetrics directives, and every name a directive refers to (each
// dimension and each metric) is a root member.
type spec struct {
	AWS struct {
		Timestamp         *int64 `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Namespace  string     `json:"Namespace"`
			Dimensions [][]string `json:"Dimensions"`
			Metrics    []struct {
				Name string `json:"Name"`
				Unit string `json:"Unit"`
			} `json:"Metrics"`
		} `json:"CloudWatchMetrics"`
	} `json:"_aws"`
}

func TestEmitMatchesTheSpec(t *testing.T) {
	tests := []struct {
		name     string
		dims     emf.Dimensions
		metrics  []emf.Metric
		wantDims [][]string
		wantRoot map[string]any
	}{
		{
			name:     "lane only",
			dims:     emf.Dimensions{Lane: "event-inbox"},
			metrics:  []emf.Metric{{Name: emf.InboxFailures, Unit: emf.Count, Value: 2}},
			wantDims: [][]string{{"Lane"}},
			wantRoot: map[string]any{"Lane": "event-inbox", "InboxFailures": 2.0},
		},
		{
			name: "lane and connector",
			dims: emf.Dimensions{Lane: "full", Connector: "okta-1"},
			metrics: []emf.Metric{
				{Name: emf.SyncSucceeded, Unit: emf.Count, Value: 1},
				{Name: emf.RowsWritten, Unit: emf.Count, Value: 1234},
			},
			wantDims: [][]string{{"Lane"}, {"Lane", "Connector"}},
			wantRoot: map[string]any{"Lane": "full", "Connector": "okta-1", "SyncSucceeded": 1.0, "RowsWritten": 1234.0},
		},
		{
			name:     "seconds",
			dims:     emf.Dimensions{Lane: "tail", Connector: "okta-1"},
			metrics:  []emf.Metric{{Name: emf.TailLagSeconds, Unit: emf.Seconds, Value: 42.5}},
			wantDims: [][]string{{"Lane"}, {"Lane", "Connector"}},
			wantRoot: map[string]any{"Lane": "tail", "Connector": "okta-1", "TailLagSeconds": 42.5},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := emf.New(&buf, func() time.Time { return at }).Emit(tt.dims, tt.metrics...); err != nil {
				t.Fatal(err)
			}
			line := buf.String()
			if strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") {
				t.Fatalf("want exactly one line, got %q", line)
			}
			var got spec
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.AWS.Timestamp == nil || *got.AWS.Timestamp != at.UnixMilli() {
				t.Fatalf("timestamp = %v, want %d", got.AWS.Timestamp, at.UnixMilli())
			}
			if len(got.AWS.CloudWatchMetrics) != 1 {
				t.Fatalf("directives = %d", len(got.AWS.CloudWatchMetrics))
			}
			dir := got.AWS.CloudWatchMetrics[0]
			if dir.Namespace != "OpenSSPM" || !reflect.DeepEqual(dir.Dimensions, tt.wantDims) {
				t.Fatalf("directive = %+v", dir)
			}
			var root map[string]any
			_ = json.Unmarshal(buf.Bytes(), &root)
			delete(root, "_aws")
			if !reflect.DeepEqual(root, tt.wantRoot) {
				t.Fatalf("root members = %v, want %v", root, tt.wantRoot)
			}
			for i, m := range dir.Metrics {
				if m.Name != tt.metrics[i].Name || m.Unit != string(tt.metrics[i].Unit) {
					t.Fatalf("metric %d = %+v", i, m)
				}
			}
			for _, set := range dir.Dimensions {
				for _, name := range set {
					if _, ok := root[name]; !ok {
						t.Fatalf("dimension %s has no value", name)
					}
				}
			}
		})
	}
}

func TestEmitRefusesBadSets(t *testing.T) {
	tests := []struct {
		name    string
		metrics []emf.Metric
	}{
		{"duplicate", []emf.Metric{{Name: "A", Unit: emf.Count}, {Name: "A", Unit: emf.Count}}},
		{"clashes with a dimension", []emf.Metric{{Name: "Lane", Unit: emf.Count}}},
		{"reserved", []emf.Metric{{Name: "_aws", Unit: emf.Count}}},
		{"unnamed", []emf.Metric{{Unit: emf.Count}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := emf.New(&buf, nil).Emit(emf.Dimensions{Lane: "full"}, tt.metrics...); err == nil || buf.Len() != 0 {
				t.Fatalf("err = %v, wrote %q", err, buf.String())
			}
		})
	}
	var buf bytes.Buffer
	if err := emf.New(&buf, nil).Emit(emf.Dimensions{Lane: "full"}); err != nil || buf.Len() != 0 {
		t.Fatalf("no metrics: err %v, wrote %q", err, buf.String())
	}
}
