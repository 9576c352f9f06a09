package awssim

import (
	"net/http"
	"time"
)

// LookupEvents answers at most 50 events a page and looks back 90 days.
const (
	lookupMax     = 50
	lookupHistory = 90 * 24 * time.Hour
)

func (s *Server) cloudTrail(c *call, op string) (any, *apiError) {
	if op != "LookupEvents" {
		return nil, &apiError{status: http.StatusBadRequest, code: "UnknownOperationException", msg: "unknown operation " + c.op}
	}
	now := s.clock()
	if !s.lookup.take(now) {
		return nil, &apiError{status: http.StatusBadRequest, code: "ThrottlingException", msg: "Rate exceeded"}
	}
	var in struct {
		LookupAttributes []struct{ AttributeKey, AttributeValue string }
		StartTime        *float64
		EndTime          *float64
		NextToken        string
	}
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if len(in.LookupAttributes) > 1 {
		return nil, &apiError{status: http.StatusBadRequest, code: "InvalidLookupAttributesException", msg: "You cannot specify more than one lookup attribute"}
	}
	var key, value string
	if len(in.LookupAttributes) == 1 {
		key, value = in.LookupAttributes[0].AttributeKey, in.LookupAttributes[0].AttributeValue
		switch key {
		case "EventSource", "EventName", "EventId", "Username", "ResourceName", "ResourceType":
		default:
			return nil, &apiError{status: http.StatusBadRequest, code: "InvalidLookupAttributesException", msg: "Unsupported lookup attribute " + key}
		}
	}
	end := now
	if in.EndTime != nil {
		end = fromEpoch(*in.EndTime)
	}
	if in.NextToken != "" {
		if t, ok := decodeToken(in.NextToken); ok && t.End != 0 {
			end = time.Unix(t.End, 0)
		}
	}
	start := now.Add(-lookupHistory)
	if in.StartTime != nil {
		if st := fromEpoch(*in.StartTime); st.After(start) {
			start = st
		}
	}
	if in.StartTime != nil && in.EndTime != nil && fromEpoch(*in.StartTime).After(fromEpoch(*in.EndTime)) {
		return nil, &apiError{status: http.StatusBadRequest, code: "InvalidTimeRangeException", msg: "Start time must be before end time"}
	}
	s.mu.RLock()
	var match []*Event
	for i := len(s.org.events) - 1; i >= 0; i-- { // newest first
		e := s.org.events[i]
		if e.Time.After(end) {
			continue
		}
		if e.Time.Before(start) {
			break
		}
		if key == "" || attrMatches(e, key, value) {
			match = append(match, e)
		}
	}
	s.mu.RUnlock()
	p, err := s.paginate(c, len(match), lookupMax, lookupMax, "InvalidNextTokenException")
	if err != nil {
		return nil, err
	}
	if p.next != "" { // bind the listing's end, so that new events do not shift the pages
		t, _ := decodeToken(p.next)
		t.End = end.Unix()
		p.next = encodeToken(t)
	}
	out := make([]map[string]any, 0, p.end-p.start)
	for _, e := range match[p.start:p.end] {
		res := make([]map[string]string, 0, len(e.Resources))
		for _, r := range e.Resources {
			res = append(res, map[string]string{"ResourceType": r.Type, "ResourceName": r.Name})
		}
		out = append(out, map[string]any{"EventId": e.ID, "EventName": e.Name, "EventSource": e.Source, "ReadOnly": "false",
			"EventTime": epoch(e.Time), "Username": e.Username, "Resources": res, "CloudTrailEvent": string(e.Detail)})
	}
	return withToken(map[string]any{"Events": out}, p.next), nil
}

func attrMatches(e *Event, key, value string) bool {
	switch key {
	case "EventSource":
		return e.Source == value
	case "EventName":
		return e.Name == value
	case "EventId":
		return e.ID == value
	case "Username":
		return e.Username == value
	}
	for _, r := range e.Resources {
		if key == "ResourceName" && r.Name == value || key == "ResourceType" && r.Type == value {
			return true
		}
	}
	return false
}

func fromEpoch(f float64) time.Time {
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC()
}
