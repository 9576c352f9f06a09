package postgres

import (
	"slices"
	"testing"
)

func TestRawChunks(t *testing.T) {
	const half = maxStatementRaw / 2
	tests := []struct {
		name  string
		sizes []int
		want  [][]int
	}{
		{"none", nil, nil},
		{"one small", []int{10}, [][]int{{10}}},
		{"fits exactly", []int{half, half}, [][]int{{half, half}}},
		{"one over", []int{half, half, 1}, [][]int{{half, half}, {1}}},
		{"a row larger than the bound goes alone", []int{1, maxStatementRaw * 3, 1}, [][]int{{1}, {maxStatementRaw * 3}, {1}}},
		{"rows without raw stay together", make([]int, 10000), [][]int{make([]int, 10000)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rawChunks(tt.sizes, func(n *int) int { return *n })
			if !slices.EqualFunc(got, tt.want, slices.Equal[[]int]) {
				t.Fatalf("rawChunks(%v) = %v chunks, want %v", len(tt.sizes), lens(got), lens(tt.want))
			}
		})
	}
}

func lens(chunks [][]int) []int {
	out := make([]int, len(chunks))
	for i, c := range chunks {
		out[i] = len(c)
	}
	return out
}
