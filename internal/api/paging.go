package api

import (
	"reflect"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/open-sspm/open-sspm/internal/postgres"
)

// PageParams are every list's paging parameters.
type PageParams struct {
	Limit  int `query:"limit" minimum:"1" maximum:"500" default:"50" doc:"Rows per page."`
	Offset int `query:"offset" minimum:"0" default:"0" doc:"Rows to skip, at most 2147483647 (a larger offset is refused with 422)."`
}

func (p PageParams) options(sort string) postgres.ListOptions {
	limit := p.Limit
	if limit == 0 {
		limit = 50
	}
	return postgres.ListOptions{Limit: limit, Offset: p.Offset, Sort: sort}
}

// Page is one page of a list.
type Page[T any] struct {
	Items  []T   `json:"items" nullable:"false"`
	Total  int64 `json:"total" doc:"Rows matching the filters, over all pages."`
	Limit  int   `json:"limit"`
	Offset int   `json:"offset"`
}

// pageOf maps a store page.
func pageOf[R, T any](l postgres.List[R], o postgres.ListOptions, conv func(R) T) Page[T] {
	out := Page[T]{Items: make([]T, len(l.Items)), Total: l.Total, Limit: o.Limit, Offset: o.Offset}
	for i, r := range l.Items {
		out.Items[i] = conv(r)
	}
	return out
}

// body wraps a response body.
type body[T any] struct {
	Body T
}

func bodyOf[T any](v T) *body[T] { return &body[T]{Body: v} }

// OptionalBool is a query flag that filters only when given (true or false).
type OptionalBool struct {
	Value bool
	IsSet bool
}

// Schema documents the flag as a boolean.
func (o OptionalBool) Schema(r huma.Registry) *huma.Schema {
	return huma.SchemaFromType(r, reflect.TypeOf(o.Value))
}

// Receiver is where huma parses the value into.
func (o *OptionalBool) Receiver() reflect.Value { return reflect.ValueOf(o).Elem().Field(0) }

// OnParamSet records whether the parameter was given.
func (o *OptionalBool) OnParamSet(isSet bool, _ any) { o.IsSet = isSet }

// ptr returns the flag as the store's optional filter.
func (o OptionalBool) ptr() *bool {
	if !o.IsSet {
		return nil
	}
	v := o.Value
	return &v
}

// timePtr returns nil for the zero time, so JSON leaves it out.
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
