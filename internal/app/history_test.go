package app_test

import (
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/app"
)

func TestParseHistoryRetention(t *testing.T) {
	tests := []struct {
		give    string
		want    time.Duration
		wantErr bool
	}{
		{give: "", want: 0},
		{give: "400", want: 400 * 24 * time.Hour},
		{give: " 30 ", want: 30 * 24 * time.Hour},
		{give: "0", wantErr: true},
		{give: "-1", wantErr: true},
		{give: "1y", wantErr: true},
		{give: "99999", wantErr: true},
	}
	for _, tt := range tests {
		got, err := app.ParseHistoryRetention(tt.give)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseHistoryRetention(%q) = %v, %v; want %v, error %v", tt.give, got, err, tt.want, tt.wantErr)
		}
	}
}
