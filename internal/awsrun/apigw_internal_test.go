package awsrun

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// echo answers what it was asked, as JSON.
func echo(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	cookie, _ := r.Cookie("session")
	var session string
	if cookie != nil {
		session = cookie.Value
	}
	http.SetCookie(w, &http.Cookie{Name: "a", Value: "1"})
	http.SetCookie(w, &http.Cookie{Name: "b", Value: "2"})
	w.Header().Add("X-Multi", "x")
	w.Header().Add("X-Multi", "y")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusTeapot)
	_ = json.NewEncoder(w).Encode(map[string]string{
		"method": r.Method, "path": r.URL.Path, "query": r.URL.Query().Get("q"), "body": string(body),
		"signature": r.Header.Get("X-Signature"), "session": session, "host": r.Host, "remote": r.RemoteAddr,
	})
}

func TestServeHTTPAdaptsAPIGatewayRequests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		give events.APIGatewayV2HTTPRequest
		want map[string]string
	}{
		{
			name: "default stage, plain body, query, headers and cookies",
			give: events.APIGatewayV2HTTPRequest{
				RawPath: "/hooks/okta/c1", RawQueryString: "q=a%20b",
				Headers: map[string]string{"x-signature": "sha256=abc", "host": "api.example.com"},
				Cookies: []string{"session=s1", "other=o"},
				Body:    `{"x":1}`,
				RequestContext: events.APIGatewayV2HTTPRequestContext{Stage: "$default",
					HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", SourceIP: "203.0.113.9"}},
			},
			want: map[string]string{"method": "POST", "path": "/hooks/okta/c1", "query": "a b", "body": `{"x":1}`,
				"signature": "sha256=abc", "session": "s1", "host": "api.example.com", "remote": "203.0.113.9"},
		},
		{
			name: "named stage is stripped, base64 body",
			give: events.APIGatewayV2HTTPRequest{
				RawPath: "/prod/hooks/github/c2", Body: base64.StdEncoding.EncodeToString([]byte("\x00binary")), IsBase64Encoded: true,
				RequestContext: events.APIGatewayV2HTTPRequestContext{Stage: "prod", DomainName: "abc.execute-api.us-east-1.amazonaws.com",
					HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST"}},
			},
			want: map[string]string{"method": "POST", "path": "/hooks/github/c2", "body": "\x00binary",
				"host": "abc.execute-api.us-east-1.amazonaws.com"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := serveHTTP(t.Context(), http.HandlerFunc(echo), tt.give)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusTeapot || resp.Headers["Content-Type"] != "application/json" || resp.Headers["X-Multi"] != "x,y" {
				t.Fatalf("response = %+v", resp)
			}
			if !reflect.DeepEqual(resp.Cookies, []string{"a=1", "b=2"}) || resp.Headers["Set-Cookie"] != "" {
				t.Fatalf("cookies = %v, headers %v", resp.Cookies, resp.Headers)
			}
			got := map[string]string{}
			if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
				t.Fatal(err)
			}
			for k, v := range got {
				if v == "" {
					delete(got, k)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("the handler saw %v, want %v", got, tt.want)
			}
		})
	}
}

func TestServeHTTPResponses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		give       events.APIGatewayV2HTTPRequest
		wantStatus int
		wantBody   string
		wantB64    bool
	}{
		{name: "no write is 200 with no body", handler: func(http.ResponseWriter, *http.Request) {},
			wantStatus: 200},
		{name: "binary body in base64", handler: func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte{0xff, 0xfe}) },
			wantStatus: 200, wantBody: base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe}), wantB64: true},
		{name: "malformed base64 request", handler: func(http.ResponseWriter, *http.Request) { t.Fatal("called") },
			give:       events.APIGatewayV2HTTPRequest{RawPath: "/", Body: "!!", IsBase64Encoded: true},
			wantStatus: 400, wantBody: `{"error":"malformed request"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			give := tt.give
			if give.RawPath == "" {
				give.RawPath = "/x"
			}
			resp, err := serveHTTP(t.Context(), tt.handler, give)
			if err != nil || resp.StatusCode != tt.wantStatus || resp.Body != tt.wantBody || resp.IsBase64Encoded != tt.wantB64 {
				t.Fatalf("response = %+v, %v", resp, err)
			}
		})
	}
}
