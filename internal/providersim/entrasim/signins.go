package entrasim

import "fmt"

// RecordSignIn records a successful interactive sign-in of the user to the app (a service principal's id) at the
// server's clock, as Entra logs one: auditLogs/signIns lists it from now on.
func (s *Server) RecordSignIn(userID, spID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.dir.userByID[userID]
	sp := findRecord(s.apps.sps, spID)
	if u == nil || u.deleted != "" || sp == nil {
		return fmt.Errorf("entrasim record sign-in: no user %s or service principal %s", userID, spID)
	}
	l := s.log
	l.n++
	at := s.now()
	l.signIns = append(l.signIns, record{"id": guid(s.dir.seed, kindSignIn, 1<<40+l.n), "createdDateTime": timeJSON(at),
		"userId": u.id, "userPrincipalName": u.upn, "userDisplayName": u.displayName, "appId": sp["appId"],
		"appDisplayName": sp["displayName"], "resourceId": graphAppID, "resourceDisplayName": "Microsoft Graph",
		"ipAddress": "203.0.113.10", "clientAppUsed": "Browser", "isInteractive": true, "conditionalAccessStatus": "notApplied",
		"correlationId": guid(s.dir.seed, kindSignIn, 1<<41+l.n), "riskLevelDuringSignIn": "none", "riskState": "none",
		"status":       map[string]any{"errorCode": 0, "failureReason": "Other.", "additionalDetails": nil},
		"location":     map[string]any{"city": nil, "state": nil, "countryOrRegion": nil},
		"deviceDetail": map[string]any{"browser": "Chrome", "operatingSystem": nil, "deviceId": "", "isCompliant": false, "isManaged": false}})
	return nil
}

// ServicePrincipalIDs lists the service principals' ids (the company's apps, Microsoft Graph, and third-party
// apps people consented to).
func (s *Server) ServicePrincipalIDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.apps.sps))
	for _, sp := range s.apps.sps {
		if !s.apps.isDeleted(sp) {
			out = append(out, sp["id"].(string))
		}
	}
	return out
}
