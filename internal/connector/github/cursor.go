package github

import (
	"strconv"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// A stage's cursor is the number of the next page of its listing ("" is page 1): compact, and enough to resume
// because every step reads whole items of one page.

func parseCursor(c string) (int, error) {
	if c == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(c)
	if err != nil || n < 1 {
		return 0, sspm.Errorf(sspm.CodeInvalid, "github: bad cursor %q", c)
	}
	return n, nil
}

// nextCursor is the cursor of go-github's next page, "" on the last page.
func nextCursor(next int) string {
	if next == 0 {
		return ""
	}
	return strconv.Itoa(next)
}
