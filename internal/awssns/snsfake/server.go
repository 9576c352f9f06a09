// Package snsfake is an in-process fake of the Amazon SNS API for tests that drive the real aws-sdk-go-v2 SNS
// client. SNS speaks the AWS query protocol: form-encoded POSTs to "/" ("Action=Publish&Version=2010-03-31&
// TopicArn=..."), answered in XML (<PublishResponse><PublishResult><MessageId>...), errors as
// <ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code><Message>...</Message></Error>.
//
// Operations: CreateTopic and Publish. Publish checks what SNS checks: the topic exists, the message is not
// empty and fits 256 KiB with its attributes, the subject is printable ASCII of at most 100 characters, at most
// 10 message attributes of type String, Number or Binary (a Number parses), and on a FIFO topic (a name ending in
// ".fifo") a message group id and a de-duplication id (a repeat within five minutes is accepted and not stored
// again). Requests must carry a SigV4 Authorization header; the signature is not checked.
package snsfake

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/open-sspm/open-sspm/internal/awsfake"
)

const (
	xmlns       = "http://sns.amazonaws.com/doc/2010-03-31/"
	apiVersion  = "2010-03-31"
	maxMessage  = 256 << 10
	dedupWindow = 5 * time.Minute
)

// Attribute is a message attribute as published.
type Attribute struct {
	DataType    string
	StringValue string
	BinaryValue []byte
}

// Message is a published message.
type Message struct {
	ID                     string
	TopicARN               string
	Subject                string
	Message                string
	MessageStructure       string
	Attributes             map[string]Attribute
	MessageGroupID         string
	MessageDeduplicationID string
	At                     time.Time
}

type topic struct {
	arn      string
	fifo     bool
	messages []Message
	dedup    map[string]Message // FIFO de-duplication id → the message it was first given to
}

// Server is a fake SNS served over HTTP on a loopback address. It is safe for concurrent use.
// FailNext("Publish", status, code, message) makes the next call of an operation answer with the error code
// ("Throttled", "InternalError", "AuthorizationError") instead of running; calls queue up per operation.
type Server struct {
	awsfake.Server

	mu     sync.Mutex
	topics map[string]*topic // by ARN
	now    func() time.Time
}

// NewServer starts a fake with no topics. Close it when done.
func NewServer() *Server {
	s := &Server{topics: map[string]*topic{}, now: time.Now}
	s.Start(s)
	return s
}

// Client returns a real SNS client pointed at the server, with static credentials, region us-east-1 and
// retries off, so that a test sees each answer as the server gave it. optFns adjust the options further.
func (s *Server) Client(optFns ...func(*sns.Options)) *sns.Client {
	return sns.NewFromConfig(s.Config(), optFns...)
}

// CreateTopic creates a topic (idempotently) and returns its ARN. A name ending in ".fifo" makes a FIFO topic.
func (s *Server) CreateTopic(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createTopic(name).arn
}

func (s *Server) createTopic(name string) *topic {
	arn := "arn:aws:sns:" + awsfake.Region + ":" + awsfake.Account + ":" + name
	if t, ok := s.topics[arn]; ok {
		return t
	}
	t := &topic{arn: arn, fifo: strings.HasSuffix(name, ".fifo"), dedup: map[string]Message{}}
	s.topics[arn] = t
	return t
}

// Messages returns the messages published to a topic so far, oldest first.
func (s *Server) Messages(topicARN string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.topics[topicARN]
	if !ok {
		return nil
	}
	return append([]Message(nil), t.messages...)
}

// ServeHTTP answers one query-protocol request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, readErr := io.ReadAll(io.LimitReader(r.Body, 2*maxMessage))
	s.mu.Lock()
	defer s.mu.Unlock()
	seq := s.CountRequest()
	requestID := fmt.Sprintf("snsfake-%08d", seq)
	out, aerr := s.serve(r, body, readErr, seq)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", requestID)
	if aerr != nil {
		typ := "Sender"
		if aerr.Status >= 500 {
			typ = "Receiver"
		}
		w.WriteHeader(aerr.Status)
		writeXML(w, errorResponse{Xmlns: xmlns, Error: errorBody{Type: typ, Code: aerr.Type, Message: aerr.Message}, RequestID: requestID})
		return
	}
	w.WriteHeader(http.StatusOK)
	writeXML(w, out(requestID))
}

func (s *Server) serve(r *http.Request, body []byte, readErr error, seq int) (func(requestID string) any, *awsfake.Error) {
	if !awsfake.Signed(r) {
		return nil, &awsfake.Error{Status: http.StatusForbidden, Type: "MissingAuthenticationToken", Message: "Request is missing Authentication Token"}
	}
	if readErr != nil || len(body) >= 2*maxMessage {
		return nil, awsfake.Errorf("InvalidParameter", "Invalid parameter: the request is too large or unreadable")
	}
	if r.Method != http.MethodPost || r.URL.Path != "/" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return nil, awsfake.Errorf("InvalidAction", "want a form-encoded POST to /")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, awsfake.Errorf("MalformedQueryString", "cannot parse the form body")
	}
	if v := form.Get("Version"); v != apiVersion {
		return nil, awsfake.Errorf("InvalidParameterValue", "Version %q: want %s", v, apiVersion)
	}
	op := form.Get("Action")
	if fault := s.TakeFault(op); fault != nil {
		return nil, fault
	}
	switch op {
	case "CreateTopic":
		return s.createTopicAction(form)
	case "Publish":
		return s.publish(form, seq)
	}
	return nil, awsfake.Errorf("InvalidAction", "The action %s is not valid for this web service (snsfake serves CreateTopic and Publish).", op)
}

var topicName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}(\.fifo)?$`)

func (s *Server) createTopicAction(form url.Values) (func(string) any, *awsfake.Error) {
	name := form.Get("Name")
	if !topicName.MatchString(name) || len(name) > 256 {
		return nil, awsfake.Errorf("InvalidParameter", "Invalid parameter: Topic Name")
	}
	t := s.createTopic(name)
	return func(id string) any {
		return createTopicResponse{Xmlns: xmlns, ARN: t.arn, Metadata: responseMetadata{RequestID: id}}
	}, nil
}

var attributeName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)

func (s *Server) publish(form url.Values, seq int) (func(string) any, *awsfake.Error) {
	arn := form.Get("TopicArn")
	if arn == "" {
		arn = form.Get("TargetArn")
	}
	if arn == "" {
		return nil, awsfake.Errorf("InvalidParameter", "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter")
	}
	t, ok := s.topics[arn]
	if !ok {
		return nil, &awsfake.Error{Status: http.StatusNotFound, Type: "NotFound", Message: "Topic does not exist"}
	}
	m := Message{
		TopicARN: arn, Subject: form.Get("Subject"), Message: form.Get("Message"), MessageStructure: form.Get("MessageStructure"),
		MessageGroupID: form.Get("MessageGroupId"), MessageDeduplicationID: form.Get("MessageDeduplicationId"),
		Attributes: map[string]Attribute{}, At: s.now(),
	}
	if m.Message == "" {
		return nil, awsfake.Errorf("InvalidParameter", "Invalid parameter: Empty message")
	}
	if _, set := form["Subject"]; set && !validSubject(m.Subject) {
		return nil, awsfake.Errorf("InvalidParameter", "Invalid parameter: Subject")
	}
	size := len(m.Message)
	for i := 1; ; i++ {
		prefix := "MessageAttributes.entry." + strconv.Itoa(i) + "."
		name, ok := form[prefix+"Name"]
		if !ok {
			break
		}
		if i > 10 {
			return nil, awsfake.Errorf("InvalidParameter", "Invalid parameter: Number of message attributes [%d] exceeds the allowed maximum [10].", i)
		}
		a := Attribute{DataType: form.Get(prefix + "Value.DataType"), StringValue: form.Get(prefix + "Value.StringValue")}
		if !attributeName.MatchString(name[0]) || strings.HasPrefix(strings.ToLower(name[0]), "aws.") {
			return nil, awsfake.Errorf("InvalidParameterValue", "The message attribute name '%s' is invalid.", name[0])
		}
		if aerr := checkAttribute(name[0], &a, form.Get(prefix+"Value.BinaryValue")); aerr != nil {
			return nil, aerr
		}
		m.Attributes[name[0]] = a
		size += len(name[0]) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
	}
	if size > maxMessage {
		return nil, awsfake.Errorf("InvalidParameter", "Invalid parameter: Message too long")
	}
	if t.fifo {
		if m.MessageGroupID == "" {
			return nil, awsfake.Errorf("InvalidParameter", "Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
		}
		if m.MessageDeduplicationID == "" {
			return nil, awsfake.Errorf("InvalidParameter", "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
		}
		if prev, ok := t.dedup[m.MessageDeduplicationID]; ok && m.At.Sub(prev.At) < dedupWindow {
			return publishAnswer(prev.ID, t.fifo, seq), nil
		}
	} else if m.MessageDeduplicationID != "" {
		return nil, awsfake.Errorf("InvalidParameter", "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type")
	}
	m.ID = fmt.Sprintf("00000000-0000-4000-8000-%012d", seq)
	t.messages = append(t.messages, m)
	if t.fifo {
		t.dedup[m.MessageDeduplicationID] = m
	}
	return publishAnswer(m.ID, t.fifo, seq), nil
}

func publishAnswer(id string, fifo bool, seq int) func(string) any {
	return func(requestID string) any {
		res := publishResponse{Xmlns: xmlns, MessageID: id, Metadata: responseMetadata{RequestID: requestID}}
		if fifo {
			res.SequenceNumber = fmt.Sprintf("%020d", seq)
		}
		return res
	}
}

// validSubject: at most 100 printable ASCII characters, starting with a letter, number or punctuation mark.
func validSubject(s string) bool {
	if s == "" || len(s) > 100 || s[0] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func checkAttribute(name string, a *Attribute, binary string) *awsfake.Error {
	base, _, _ := strings.Cut(a.DataType, ".")
	switch base {
	case "String":
		if a.StringValue == "" {
			return awsfake.Errorf("ParameterValueInvalid", "The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, a.DataType)
		}
	case "Number":
		if _, err := strconv.ParseFloat(a.StringValue, 64); err != nil {
			return awsfake.Errorf("ParameterValueInvalid", "Could not cast message attribute '%s' value to number.", name)
		}
	case "Binary":
		b, err := base64.StdEncoding.DecodeString(binary)
		if err != nil || len(b) == 0 {
			return awsfake.Errorf("ParameterValueInvalid", "The message attribute '%s' must contain non-empty message attribute value for message attribute type 'Binary'.", name)
		}
		a.BinaryValue = b
	default:
		return awsfake.Errorf("ParameterValueInvalid", "The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
	}
	return nil
}

type errorBody struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

type errorResponse struct {
	XMLName   xml.Name  `xml:"ErrorResponse"`
	Xmlns     string    `xml:"xmlns,attr"`
	Error     errorBody `xml:"Error"`
	RequestID string    `xml:"RequestId"`
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

type publishResponse struct {
	XMLName        xml.Name         `xml:"PublishResponse"`
	Xmlns          string           `xml:"xmlns,attr"`
	MessageID      string           `xml:"PublishResult>MessageId"`
	SequenceNumber string           `xml:"PublishResult>SequenceNumber,omitempty"`
	Metadata       responseMetadata `xml:"ResponseMetadata"`
}

type createTopicResponse struct {
	XMLName  xml.Name         `xml:"CreateTopicResponse"`
	Xmlns    string           `xml:"xmlns,attr"`
	ARN      string           `xml:"CreateTopicResult>TopicArn"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

func writeXML(w io.Writer, v any) {
	_, _ = io.WriteString(w, xml.Header)
	_ = xml.NewEncoder(w).Encode(v)
}
