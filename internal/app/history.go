package app

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// HistoryRetentionEnv names the variable that sets how many days access changes are kept (default 400).
const HistoryRetentionEnv = "ACCESS_HISTORY_RETENTION_DAYS"

// ParseHistoryRetention reads a retention in days ("" is the default, zero); it refuses anything but a
// positive whole number of days.
func ParseHistoryRetention(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	days, err := strconv.Atoi(v)
	if err != nil || days <= 0 || days > 36500 {
		return 0, fmt.Errorf("%s %q: want a whole number of days between 1 and 36500", HistoryRetentionEnv, v)
	}
	return time.Duration(days) * 24 * time.Hour, nil
}
