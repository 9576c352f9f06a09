package google

import "github.com/open-sspm/open-sspm/internal/connector/readahead"

// SetLimits sets a source's tokens read per step and its page size (0 keeps Google's maximum), for tests that
// want many checkpoints from a small domain.
func SetLimits(s *Source, tokensPerStep int, pageSize int64) {
	s.limits = stepLimits{tokensPerStep: tokensPerStep, pageSize: pageSize}
}

// NoReadAhead turns off reading the next page ahead, for tests that count requests per step.
func NoReadAhead(s *Source) { s.ahead = readahead.New(s.step, true) }
