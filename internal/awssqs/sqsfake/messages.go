package sqsfake

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/open-sspm/open-sspm/internal/awsfake"
)

// message is one message of a queue. receipt is the handle of its latest receive; a delete with an older
// handle succeeds without deleting, as in SQS.
type message struct {
	id           string
	body         string
	md5          string
	sentAt       time.Time
	firstReceive time.Time
	visibleAt    time.Time
	receives     int
	receipt      string
	deleted      bool
}

// receipt is what a receipt handle points at.
type receipt struct {
	q *queue
	m *message
}

var batchIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// validBody reports whether SQS accepts body: UTF-8 of #x9, #xA, #xD, #x20-#xD7FF, #xE000-#xFFFD and
// #x10000-#x10FFFF.
func validBody(body string) bool {
	if body == "" || !utf8.ValidString(body) {
		return false
	}
	for _, r := range body {
		switch {
		case r == 0x9 || r == 0xA || r == 0xD:
		case r >= 0x20 && r <= 0xD7FF:
		case r >= 0xE000 && r <= 0xFFFD:
		case r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func newReceipt() string {
	b := make([]byte, 48)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// enqueue appends a message to q after checking its body. The caller holds s.mu.
func (s *Server) enqueue(q *queue, body string) (*message, *awsfake.Error) {
	if !validBody(body) {
		return nil, awsfake.Errorf("InvalidMessageContents", "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF")
	}
	if len(body) > q.maxSize {
		return nil, awsfake.Errorf("InvalidParameterValue", "One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", q.maxSize)
	}
	now := s.now()
	m := &message{id: newID(), body: body, md5: md5Hex(body), sentAt: now, visibleAt: now}
	q.messages = append(q.messages, m)
	return m, nil
}

type sendMessageIn struct {
	QueueUrl    string
	MessageBody string
}

func (s *Server) sendMessage(in sendMessageIn) (any, *awsfake.Error) {
	q, aerr := s.lookup(in.QueueUrl)
	if aerr != nil {
		return nil, aerr
	}
	m, aerr := s.enqueue(q, in.MessageBody)
	if aerr != nil {
		return nil, aerr
	}
	return map[string]string{"MessageId": m.id, "MD5OfMessageBody": m.md5}, nil
}

type sendBatchIn struct {
	QueueUrl string
	Entries  []struct {
		Id          string
		MessageBody string
	}
}

type batchFailure struct {
	Id          string
	Code        string
	Message     string
	SenderFault bool
}

// checkBatch validates a batch's entry count and ids, as SQS does before looking at any entry.
func checkBatch(ids []string) *awsfake.Error {
	if len(ids) == 0 {
		return awsfake.Errorf("EmptyBatchRequest", "There should be at least one entry in the request.")
	}
	if len(ids) > 10 {
		return awsfake.Errorf("TooManyEntriesInBatchRequest", "Maximum number of entries per request are 10. You have sent %d.", len(ids))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if !batchIDPattern.MatchString(id) {
			return awsfake.Errorf("InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[id] {
			return awsfake.Errorf("BatchEntryIdsNotDistinct", "Id %s repeated.", id)
		}
		seen[id] = true
	}
	return nil
}

func (s *Server) sendMessageBatch(in sendBatchIn) (any, *awsfake.Error) {
	q, aerr := s.lookup(in.QueueUrl)
	if aerr != nil {
		return nil, aerr
	}
	ids := make([]string, len(in.Entries))
	total := 0
	for i, e := range in.Entries {
		ids[i] = e.Id
		total += len(e.MessageBody)
	}
	if aerr := checkBatch(ids); aerr != nil {
		return nil, aerr
	}
	if total > q.maxSize {
		return nil, awsfake.Errorf("BatchRequestTooLong", "Batch requests cannot be longer than %d bytes. You have sent %d bytes.", q.maxSize, total)
	}
	type success struct {
		Id               string
		MessageId        string
		MD5OfMessageBody string
	}
	out := struct {
		Successful []success
		Failed     []batchFailure
	}{Successful: []success{}, Failed: []batchFailure{}}
	for _, e := range in.Entries {
		if f, ok := s.nextEntryFault("SendMessageBatch"); ok {
			out.Failed = append(out.Failed, batchFailure{Id: e.Id, Code: f.Code, Message: "injected by sqsfake", SenderFault: f.SenderFault})
			continue
		}
		m, aerr := s.enqueue(q, e.MessageBody)
		if aerr != nil {
			out.Failed = append(out.Failed, batchFailure{Id: e.Id, Code: aerr.Type, Message: aerr.Message, SenderFault: true})
			continue
		}
		out.Successful = append(out.Successful, success{Id: e.Id, MessageId: m.id, MD5OfMessageBody: m.md5})
	}
	return out, nil
}

type receiveIn struct {
	QueueUrl                    string
	MaxNumberOfMessages         *int
	VisibilityTimeout           *int
	WaitTimeSeconds             *int
	AttributeNames              []string
	MessageSystemAttributeNames []string
}

type receivedMessage struct {
	MessageId     string
	ReceiptHandle string
	MD5OfBody     string
	Body          string
	Attributes    map[string]string `json:",omitempty"`
}

// receiveMessage hands out up to MaxNumberOfMessages visible messages, oldest first, each hidden for the
// visibility timeout. A message whose receives reached the redrive policy's maxReceiveCount moves to the
// dead-letter queue instead of being received again.
func (s *Server) receiveMessage(in receiveIn) (any, *awsfake.Error) {
	q, aerr := s.lookup(in.QueueUrl)
	if aerr != nil {
		return nil, aerr
	}
	max := 1
	if in.MaxNumberOfMessages != nil {
		max = *in.MaxNumberOfMessages
	}
	if max < 1 || max > 10 {
		return nil, awsfake.Errorf("InvalidParameterValue", "Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", max)
	}
	visibility := q.visibility
	if in.VisibilityTimeout != nil {
		visibility = time.Duration(*in.VisibilityTimeout) * time.Second
		if visibility < 0 || visibility > maxVisibility {
			return nil, awsfake.Errorf("InvalidParameterValue", "Value %d for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.", *in.VisibilityTimeout)
		}
	}
	if in.WaitTimeSeconds != nil && (*in.WaitTimeSeconds < 0 || *in.WaitTimeSeconds > 20) {
		return nil, awsfake.Errorf("InvalidParameterValue", "Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.", *in.WaitTimeSeconds)
	}
	wanted := append(slices.Clone(in.AttributeNames), in.MessageSystemAttributeNames...)
	now := s.now()
	var dlq *queue
	if q.redrive != nil {
		dlq = s.byARN(q.redrive.target)
	}
	out := []receivedMessage{}
	kept := q.messages[:0]
	for _, m := range q.messages {
		switch {
		case len(out) == max || m.visibleAt.After(now):
		case dlq != nil && m.receives >= q.redrive.maxReceiveCount:
			m.receives, m.receipt, m.visibleAt = 0, "", now
			dlq.messages = append(dlq.messages, m)
			continue
		default:
			m.receives++
			if m.receives == 1 {
				m.firstReceive = now
			}
			m.receipt = newReceipt()
			m.visibleAt = now.Add(visibility)
			s.receipts[m.receipt] = receipt{q: q, m: m}
			out = append(out, receivedMessage{MessageId: m.id, ReceiptHandle: m.receipt, MD5OfBody: m.md5, Body: m.body, Attributes: m.attributes(wanted)})
		}
		kept = append(kept, m)
	}
	clear(q.messages[len(kept):])
	q.messages = kept
	if len(out) == 0 {
		return struct{}{}, nil
	}
	return map[string]any{"Messages": out}, nil
}

// attributes returns the message system attributes named in wanted ("All" for every one).
func (m *message) attributes(wanted []string) map[string]string {
	all := map[string]string{
		"ApproximateReceiveCount":          strconv.Itoa(m.receives),
		"SentTimestamp":                    strconv.FormatInt(m.sentAt.UnixMilli(), 10),
		"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.firstReceive.UnixMilli(), 10),
		"SenderId":                         "AIDASQSFAKE",
	}
	out := map[string]string{}
	for _, w := range wanted {
		if w == "All" {
			return all
		}
		if v, ok := all[w]; ok {
			out[w] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// resolve finds what a receipt handle points at. The caller holds s.mu.
func (s *Server) resolve(q *queue, handle string) (receipt, *awsfake.Error) {
	r, ok := s.receipts[handle]
	if !ok || r.q != q {
		return receipt{}, awsfake.Errorf("ReceiptHandleIsInvalid", "The input receipt handle %q is not a valid receipt handle.", handle)
	}
	return r, nil
}

// remove deletes the message a current receipt handle points at; a stale handle deletes nothing and a message
// already deleted stays deleted, both without error. The caller holds s.mu.
func (s *Server) remove(r receipt, handle string) {
	if r.m.deleted || r.m.receipt != handle {
		return
	}
	r.m.deleted = true
	r.q.messages = slices.DeleteFunc(r.q.messages, func(m *message) bool { return m == r.m })
}

type deleteIn struct {
	QueueUrl      string
	ReceiptHandle string
}

func (s *Server) deleteMessage(in deleteIn) (any, *awsfake.Error) {
	q, aerr := s.lookup(in.QueueUrl)
	if aerr != nil {
		return nil, aerr
	}
	r, aerr := s.resolve(q, in.ReceiptHandle)
	if aerr != nil {
		return nil, aerr
	}
	s.remove(r, in.ReceiptHandle)
	return struct{}{}, nil
}

type deleteBatchIn struct {
	QueueUrl string
	Entries  []struct {
		Id            string
		ReceiptHandle string
	}
}

func (s *Server) deleteMessageBatch(in deleteBatchIn) (any, *awsfake.Error) {
	q, aerr := s.lookup(in.QueueUrl)
	if aerr != nil {
		return nil, aerr
	}
	ids := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		ids[i] = e.Id
	}
	if aerr := checkBatch(ids); aerr != nil {
		return nil, aerr
	}
	type success struct{ Id string }
	out := struct {
		Successful []success
		Failed     []batchFailure
	}{Successful: []success{}, Failed: []batchFailure{}}
	for _, e := range in.Entries {
		if f, ok := s.nextEntryFault("DeleteMessageBatch"); ok {
			out.Failed = append(out.Failed, batchFailure{Id: e.Id, Code: f.Code, Message: "injected by sqsfake", SenderFault: f.SenderFault})
			continue
		}
		r, aerr := s.resolve(q, e.ReceiptHandle)
		if aerr != nil {
			out.Failed = append(out.Failed, batchFailure{Id: e.Id, Code: aerr.Type, Message: aerr.Message, SenderFault: true})
			continue
		}
		s.remove(r, e.ReceiptHandle)
		out.Successful = append(out.Successful, success{Id: e.Id})
	}
	return out, nil
}

type changeVisibilityIn struct {
	QueueUrl          string
	ReceiptHandle     string
	VisibilityTimeout int
}

// changeMessageVisibility hides an in-flight message for VisibilityTimeout seconds from now (0: visible at once).
func (s *Server) changeMessageVisibility(in changeVisibilityIn) (any, *awsfake.Error) {
	q, aerr := s.lookup(in.QueueUrl)
	if aerr != nil {
		return nil, aerr
	}
	timeout := time.Duration(in.VisibilityTimeout) * time.Second
	if timeout < 0 || timeout > maxVisibility {
		return nil, awsfake.Errorf("InvalidParameterValue", "Value %d for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.", in.VisibilityTimeout)
	}
	r, aerr := s.resolve(q, in.ReceiptHandle)
	if aerr != nil {
		return nil, aerr
	}
	now := s.now()
	if r.m.deleted || r.m.receipt != in.ReceiptHandle || !r.m.visibleAt.After(now) {
		return nil, awsfake.Errorf("MessageNotInflight", "The message referred to is not in flight.")
	}
	r.m.visibleAt = now.Add(timeout)
	return struct{}{}, nil
}
