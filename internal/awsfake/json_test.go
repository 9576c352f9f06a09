package awsfake_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/open-sspm/open-sspm/internal/awsfake"
)

func TestJSON(t *testing.T) {
	var mu sync.Mutex
	j := awsfake.NewJSON(awsfake.JSONConfig{Name: "echofake", Version: "1.0", TargetPrefix: "Echo.", MaxBody: 64, ErrorPrefix: "com.example#", Lock: &mu})
	awsfake.Handle(j, "Echo", func(in struct{ Say string }) (any, *awsfake.Error) {
		if in.Say == "" {
			return nil, awsfake.Errorf("EmptySay", "nothing to say")
		}
		return map[string]string{"Said": in.Say}, nil
	})
	j.Start(j)
	t.Cleanup(j.Close)
	j.FailNext("Echo", http.StatusServiceUnavailable, "ThrottlingException", "slow down")

	tests := []struct {
		name, target, body string
		unsigned           bool
		wantStatus         int
		want               string // the answer's __type, or its Said
	}{
		{name: "fault", target: "Echo.Echo", body: `{"Say":"hi"}`, wantStatus: 503, want: "com.example#ThrottlingException"},
		{name: "answer", target: "Echo.Echo", body: `{"Say":"hi"}`, wantStatus: 200, want: "hi"},
		{name: "handler error", target: "Echo.Echo", body: `{}`, wantStatus: 400, want: "com.example#EmptySay"},
		{name: "malformed", target: "Echo.Echo", body: `{"Say":`, wantStatus: 400, want: "com.example#SerializationException"},
		{name: "too large", target: "Echo.Echo", body: `{"Say":"` + strings.Repeat("x", 64) + `"}`, wantStatus: 400, want: "com.example#SerializationException"},
		{name: "unknown operation", target: "Echo.Shout", body: `{}`, wantStatus: 400, want: "com.example#UnknownOperationException"},
		{name: "unsigned", target: "Echo.Echo", body: `{"Say":"hi"}`, unsigned: true, wantStatus: 400, want: "MissingAuthenticationTokenException"},
	}
	for i, tt := range tests {
		req, _ := http.NewRequest(http.MethodPost, j.URL+"/", strings.NewReader(tt.body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amz-Target", tt.target)
		if !tt.unsigned {
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/echo/aws4_request")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var got map[string]string
		_ = json.Unmarshal(body, &got)
		if resp.StatusCode != tt.wantStatus || (got["__type"] != tt.want && got["Said"] != tt.want) ||
			resp.Header.Get("Content-Type") != "application/x-amz-json-1.0" || resp.Header.Get("X-Amzn-Requestid") != "echofake-0000000"+string(rune('1'+i)) {
			t.Errorf("%s: %d %s %v, want %d %s", tt.name, resp.StatusCode, body, resp.Header, tt.wantStatus, tt.want)
		}
	}
}
