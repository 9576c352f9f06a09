package awssim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

const stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// serveSTS answers STS's query protocol: AssumeRole of the configured role, with the external id when one is
// set, mints a session key the JSON services accept until it expires.
func (s *Server) serveSTS(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	op := "STS." + form.Get("Action")
	c := &call{op: op, body: body}
	fail := func(status int, code, msg string) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
			stsNamespace, code, xmlEscape(msg), requestID(body))
		s.record(op, c.region, status, false, false)
	}
	if err != nil || form.Get("Action") != "AssumeRole" {
		fail(http.StatusBadRequest, "InvalidAction", "Could not find operation "+form.Get("Action"))
		return
	}
	region, aerr := s.authorize(r, body)
	c.region = region
	if aerr != nil {
		fail(http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
		return
	}
	if f, ok := s.fault(op, 0, FaultServer, FaultAccessDenied, FaultThrottling); ok {
		switch f.Kind {
		case FaultServer:
			fail(http.StatusInternalServerError, "InternalFailure", "An internal error occurred")
		case FaultThrottling:
			fail(http.StatusBadRequest, "Throttling", "Rate exceeded")
		default:
			fail(http.StatusForbidden, "AccessDenied", "User is not authorized to perform: sts:AssumeRole")
		}
		return
	}
	roleARN, session := form.Get("RoleArn"), form.Get("RoleSessionName")
	switch {
	case roleARN == "" || session == "":
		fail(http.StatusBadRequest, "ValidationError", "RoleArn and RoleSessionName are required")
		return
	case roleARN != s.opts.RoleARN || s.opts.ExternalID != "" && form.Get("ExternalId") != s.opts.ExternalID:
		fail(http.StatusForbidden, "AccessDenied", "User: arn:aws:iam::"+s.org.ownerAccount+":user/caller is not authorized to perform: sts:AssumeRole on resource: "+roleARN)
		return
	}
	secs := 3600
	if d := form.Get("DurationSeconds"); d != "" {
		if n, err := strconv.Atoi(d); err == nil && n >= 900 && n <= 43200 {
			secs = n
		}
	}
	now := s.clock()
	sum := sha256.Sum256(append(body, []byte(now.String())...))
	key := "ASIA" + hex.EncodeToString(sum[:8])[:16]
	sess := struct{ secret, token string }{hex.EncodeToString(sum[8:28]), "sim-session-" + hex.EncodeToString(sum[:24])}
	expires := now.Add(time.Duration(secs) * time.Second).UTC()
	s.mu.Lock()
	s.sessions[key] = sessionOf(sess.secret, sess.token, expires)
	s.mu.Unlock()
	// The SDK caches the session until Expiration by the wall clock; a simulated clock in the past would make it
	// assume the role before every call.
	if wall := time.Now().Add(time.Duration(secs) * time.Second).UTC(); wall.After(expires) {
		expires = wall
	}
	type creds struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		SessionToken    string `xml:"SessionToken"`
		Expiration      string `xml:"Expiration"`
	}
	type result struct {
		XMLName xml.Name `xml:"AssumeRoleResponse"`
		Xmlns   string   `xml:"xmlns,attr"`
		Result  struct {
			Credentials     creds `xml:"Credentials"`
			AssumedRoleUser struct {
				Arn           string `xml:"Arn"`
				AssumedRoleID string `xml:"AssumedRoleId"`
			} `xml:"AssumedRoleUser"`
		} `xml:"AssumeRoleResult"`
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	var out result
	out.Xmlns = stsNamespace
	out.Result.Credentials = creds{key, sess.secret, sess.token, expires.Format(time.RFC3339)}
	out.Result.AssumedRoleUser.Arn = roleARN + "/" + session
	out.Result.AssumedRoleUser.AssumedRoleID = "AROA" + key[4:] + ":" + session
	out.RequestID = requestID(body)
	raw, _ := xml.Marshal(out)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(raw)
	s.record(op, c.region, http.StatusOK, false, false)
}

func sessionOf(secret, token string, expires time.Time) session {
	return session{secret: secret, token: token, expires: expires}
}

func xmlEscape(s string) string {
	var b []byte
	w := &byteWriter{&b}
	_ = xml.EscapeText(w, []byte(s))
	return string(b)
}

type byteWriter struct{ b *[]byte }

func (w *byteWriter) Write(p []byte) (int, error) { *w.b = append(*w.b, p...); return len(p), nil }
