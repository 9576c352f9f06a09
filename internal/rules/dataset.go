package rules

import (
	"context"
	"errors"
	"fmt"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Datasets gives checks their datasets. An unavailable dataset is a *DatasetError; any other error aborts the
// evaluation (the store is down: try again later).
type Datasets interface {
	Dataset(ctx context.Context, name string, version int) (Data, error)
}

// DatasetError says why a dataset is unavailable (docs/rules-engine.md#dataset-errors).
type DatasetError = sspm.RuleDatasetError

// DatasetMap serves datasets from memory: the rows of each dataset, and errors for the unavailable ones. A
// dataset in neither map is missing_dataset. It is what `rules eval` and tests use.
type DatasetMap struct {
	Rows   map[string][]map[string]any
	Errors map[string]ErrorKind
}

// Dataset implements Datasets.
func (m DatasetMap) Dataset(_ context.Context, name string, _ int) (Data, error) {
	if k, ok := m.Errors[name]; ok {
		return Data{}, &DatasetError{Dataset: name, Kind: k}
	}
	rows, ok := m.Rows[name]
	if !ok {
		return Data{}, &DatasetError{Dataset: name, Kind: ErrMissingDataset}
	}
	return Data{Rows: rows}, nil
}

// loaded is a dataset fetched once per evaluation run, with its rows wrapped for CEL once.
type loaded struct {
	data Data
	vals []ref.Val
	list []any
	err  *DatasetError
}

// cache fetches each dataset once per evaluation run.
type cache struct {
	src  Datasets
	sets map[string]*loaded
}

func newCache(src Datasets) *cache { return &cache{src: src, sets: map[string]*loaded{}} }

func (c *cache) get(ctx context.Context, name string, version int) (*loaded, error) {
	if l, ok := c.sets[name]; ok {
		return l, nil
	}
	d, err := c.src.Dataset(ctx, name, version)
	l := &loaded{data: d}
	var de *DatasetError
	switch {
	case errors.As(err, &de):
		l.err = de
	case err != nil:
		return nil, fmt.Errorf("read dataset %s: %w", name, err)
	default:
		l.vals = make([]ref.Val, len(d.Rows))
		l.list = make([]any, len(d.Rows))
		for i, r := range d.Rows {
			l.vals[i] = types.DefaultTypeAdapter.NativeToValue(r)
			l.list[i] = r
		}
	}
	c.sets[name] = l
	return l, nil
}
