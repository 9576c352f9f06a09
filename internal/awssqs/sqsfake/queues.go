package sqsfake

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/awsfake"
)

const (
	arnPrefix         = "arn:aws:sqs:" + awsfake.Region + ":" + awsfake.Account + ":"
	defaultVisibility = 30 * time.Second
	maxVisibility     = 12 * time.Hour
	defaultMaxSize    = 1 << 20 // MaximumMessageSize: 1 MiB, SQS's default and ceiling
)

var queueNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// queue is one standard queue. messages are in the order they were sent (or moved here).
type queue struct {
	name       string
	url        string
	visibility time.Duration
	maxSize    int
	redrive    *redrive
	rawRedrive string
	created    time.Time
	messages   []*message
}

// redrive is a queue's RedrivePolicy: after maxReceiveCount receives a message moves to the queue target names.
type redrive struct {
	target          string // the dead-letter queue's ARN
	maxReceiveCount int
}

func (q *queue) arn() string { return arnPrefix + q.name }

// CreateQueue creates a standard queue and returns its URL. attrs are SQS queue attributes: VisibilityTimeout
// (seconds), MaximumMessageSize (bytes) and RedrivePolicy ({"deadLetterTargetArn": ..., "maxReceiveCount": n})
// are honoured, others are ignored.
func (s *Server) CreateQueue(name string, attrs map[string]string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, aerr := s.newQueue(name, attrs)
	if aerr != nil {
		return "", fmt.Errorf("sqsfake create queue %s: %s", name, aerr.Message)
	}
	return q.url, nil
}

// CreateQueueWithDLQ creates a queue named name and its dead-letter queue name+"-dlq", with a redrive policy of
// maxReceiveCount receives, and returns both URLs.
func (s *Server) CreateQueueWithDLQ(name string, maxReceiveCount int) (queueURL, dlqURL string, err error) {
	dlqURL, err = s.CreateQueue(name+"-dlq", nil)
	if err != nil {
		return "", "", err
	}
	policy := fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"%d"}`, arnPrefix+name+"-dlq", maxReceiveCount)
	queueURL, err = s.CreateQueue(name, map[string]string{"RedrivePolicy": policy})
	return queueURL, dlqURL, err
}

// Depth returns the number of visible and of in-flight messages in the queue at queueURL.
func (s *Server) Depth(queueURL string) (visible, inFlight int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, aerr := s.lookup(queueURL)
	if aerr != nil {
		return 0, 0, fmt.Errorf("sqsfake depth: %s", aerr.Message)
	}
	visible, inFlight = q.depth(s.now())
	return visible, inFlight, nil
}

// Bodies returns the bodies of every message in the queue at queueURL, visible or not, in queue order.
func (s *Server) Bodies(queueURL string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, aerr := s.lookup(queueURL)
	if aerr != nil {
		return nil, fmt.Errorf("sqsfake bodies: %s", aerr.Message)
	}
	out := make([]string, len(q.messages))
	for i, m := range q.messages {
		out[i] = m.body
	}
	return out, nil
}

func (q *queue) depth(now time.Time) (visible, inFlight int) {
	for _, m := range q.messages {
		if m.visibleAt.After(now) {
			inFlight++
		} else {
			visible++
		}
	}
	return visible, inFlight
}

// newQueue creates a queue, or returns the existing one when its attributes match. The caller holds s.mu.
func (s *Server) newQueue(name string, attrs map[string]string) (*queue, *awsfake.Error) {
	if !queueNamePattern.MatchString(name) {
		return nil, awsfake.Errorf("InvalidParameterValue", "queue name %q: use 1-80 letters, digits, dashes and underscores", name)
	}
	q := &queue{
		name:       name,
		url:        s.URL + "/" + awsfake.Account + "/" + name,
		visibility: defaultVisibility,
		maxSize:    defaultMaxSize,
		created:    s.now(),
	}
	for k, v := range attrs {
		switch k {
		case "VisibilityTimeout":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || time.Duration(n)*time.Second > maxVisibility {
				return nil, awsfake.Errorf("InvalidAttributeValue", "VisibilityTimeout %q: want 0 to 43200 seconds", v)
			}
			q.visibility = time.Duration(n) * time.Second
		case "MaximumMessageSize":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1024 || n > defaultMaxSize {
				return nil, awsfake.Errorf("InvalidAttributeValue", "MaximumMessageSize %q: want 1024 to %d bytes", v, defaultMaxSize)
			}
			q.maxSize = n
		case "RedrivePolicy":
			r, aerr := parseRedrive(v)
			if aerr != nil {
				return nil, aerr
			}
			q.redrive, q.rawRedrive = r, v
		}
	}
	if old, ok := s.queues[name]; ok {
		if old.visibility != q.visibility || old.maxSize != q.maxSize || old.rawRedrive != q.rawRedrive {
			return nil, awsfake.Errorf("QueueNameExists", "a queue named %s already exists with different attributes", name)
		}
		return old, nil
	}
	s.queues[name] = q
	return q, nil
}

func parseRedrive(v string) (*redrive, *awsfake.Error) {
	var p struct {
		Target string          `json:"deadLetterTargetArn"`
		Max    json.RawMessage `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return nil, awsfake.Errorf("InvalidAttributeValue", "RedrivePolicy is not valid JSON: %v", err)
	}
	n, err := strconv.Atoi(strings.Trim(string(p.Max), `"`))
	if err != nil || n < 1 || n > 1000 || !strings.HasPrefix(p.Target, arnPrefix) {
		return nil, awsfake.Errorf("InvalidAttributeValue", "RedrivePolicy %s: want a deadLetterTargetArn in %s and a maxReceiveCount of 1 to 1000", v, arnPrefix)
	}
	return &redrive{target: p.Target, maxReceiveCount: n}, nil
}

// lookup finds a queue by its URL (the last path segment names it). The caller holds s.mu.
func (s *Server) lookup(queueURL string) (*queue, *awsfake.Error) {
	i := strings.LastIndexByte(queueURL, '/')
	if q, ok := s.queues[queueURL[i+1:]]; ok && queueURL != "" {
		return q, nil
	}
	return nil, awsfake.Errorf("QueueDoesNotExist", "The specified queue does not exist.")
}

// byARN finds a queue by its ARN. The caller holds s.mu.
func (s *Server) byARN(arn string) *queue {
	name, ok := strings.CutPrefix(arn, arnPrefix)
	if !ok {
		return nil
	}
	return s.queues[name]
}

type createQueueIn struct {
	QueueName  string
	Attributes map[string]string
}

func (s *Server) createQueue(in createQueueIn) (any, *awsfake.Error) {
	q, aerr := s.newQueue(in.QueueName, in.Attributes)
	if aerr != nil {
		return nil, aerr
	}
	return map[string]string{"QueueUrl": q.url}, nil
}

type getQueueURLIn struct {
	QueueName string
}

func (s *Server) getQueueURL(in getQueueURLIn) (any, *awsfake.Error) {
	q, ok := s.queues[in.QueueName]
	if !ok {
		return nil, awsfake.Errorf("QueueDoesNotExist", "The specified queue does not exist.")
	}
	return map[string]string{"QueueUrl": q.url}, nil
}

type queueAttributesIn struct {
	QueueUrl       string
	AttributeNames []string
}

func (s *Server) getQueueAttributes(in queueAttributesIn) (any, *awsfake.Error) {
	q, aerr := s.lookup(in.QueueUrl)
	if aerr != nil {
		return nil, aerr
	}
	visible, inFlight := q.depth(s.now())
	all := map[string]string{
		"QueueArn":                              q.arn(),
		"ApproximateNumberOfMessages":           strconv.Itoa(visible),
		"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(inFlight),
		"ApproximateNumberOfMessagesDelayed":    "0",
		"VisibilityTimeout":                     strconv.Itoa(int(q.visibility / time.Second)),
		"MaximumMessageSize":                    strconv.Itoa(q.maxSize),
		"CreatedTimestamp":                      strconv.FormatInt(q.created.Unix(), 10),
	}
	if q.redrive != nil {
		all["RedrivePolicy"] = q.rawRedrive
	}
	out := map[string]string{}
	for _, name := range in.AttributeNames {
		if name == "All" {
			out = all
			break
		}
		if v, ok := all[name]; ok {
			out[name] = v
		}
	}
	return map[string]any{"Attributes": out}, nil
}

type queueURLIn struct {
	QueueUrl string
}

func (s *Server) purgeQueue(in queueURLIn) (any, *awsfake.Error) {
	q, aerr := s.lookup(in.QueueUrl)
	if aerr != nil {
		return nil, aerr
	}
	for _, m := range q.messages {
		m.deleted = true
	}
	q.messages = nil
	return struct{}{}, nil
}
