package postgres

import (
	"math"
	"strings"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// ListOptions pages and sorts a list of the admin API. Sort names a key the list allows, with a leading "-" for
// descending order; "" is the list's default order.
type ListOptions struct {
	Limit  int
	Offset int
	Sort   string
}

// MaxListLimit caps one page.
const MaxListLimit = 500

// MaxListOffset is the largest offset a list takes (the queries page with 32-bit offsets).
const MaxListOffset = math.MaxInt32

// List is one page of a list and the number of rows the filter matches.
type List[T any] struct {
	Items []T
	Total int64
}

// check validates the options against the sort keys a list allows (each also allowed with "-").
func (o ListOptions) check(allowed ...string) (ListOptions, error) {
	if o.Limit <= 0 || o.Limit > MaxListLimit {
		return o, sspm.Errorf(sspm.CodeInvalid, "limit must be between 1 and %d", MaxListLimit)
	}
	if o.Offset < 0 || o.Offset > MaxListOffset {
		return o, sspm.Errorf(sspm.CodeInvalid, "offset must be between 0 and %d", MaxListOffset)
	}
	if o.Sort == "" {
		return o, nil
	}
	key := strings.TrimPrefix(o.Sort, "-")
	for _, a := range allowed {
		if key == a {
			return o, nil
		}
	}
	return o, sspm.Errorf(sspm.CodeInvalid, "cannot sort by %q (allowed: %s, each with an optional leading -)", o.Sort, strings.Join(allowed, ", "))
}

// listPage runs a list query for one page and counts the matches with the same query (count(*) OVER ()): when
// the page is empty past the first row, it asks for the first row to learn the total.
func listPage[R, T any](o ListOptions, fetch func(limit, offset int32) ([]R, error), total func(R) int64, conv func(R) T) (List[T], error) {
	rows, err := fetch(int32(o.Limit), int32(o.Offset))
	if err != nil {
		return List[T]{}, err
	}
	out := List[T]{Items: make([]T, len(rows))}
	for i, r := range rows {
		out.Items[i] = conv(r)
	}
	switch {
	case len(rows) > 0:
		out.Total = total(rows[0])
	case o.Offset > 0:
		first, err := fetch(1, 0)
		if err != nil {
			return List[T]{}, err
		}
		if len(first) > 0 {
			out.Total = total(first[0])
		}
	}
	return out, nil
}

// searchPattern turns a search term into an ILIKE pattern that matches it anywhere, literally; "" stays "".
func searchPattern(q string) string {
	q = strings.TrimSpace(q)
	if q == "" {
		return ""
	}
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(q) + "%"
}

// prefixPattern turns a prefix into a LIKE pattern that matches strings starting with it, literally.
func prefixPattern(p string) string {
	if p == "" {
		return ""
	}
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(p) + "%"
}
