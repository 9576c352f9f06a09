package entrasim

import (
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// Reports (audit logs) paging and retention.
var reportPaging = paging{1000, 1000}

const (
	// retentionP1 and retentionFree are how far back audit logs reach.
	retentionP1   = 30 * 24 * time.Hour
	retentionFree = 7 * 24 * time.Hour
	kindSignIn    = uint64(200)
	kindAudit     = uint64(201)
)

// auditLog holds the sign-ins and directory audits, oldest first; they are served newest first.
type auditLog struct {
	signIns []record
	audits  []record
	n       uint64 // audits recorded at run time
}

// buildAuditLog turns the company's sign-ins recorded by Entra into signIns, and its history into directory
// audits: users created within the retention window ("Add user"), consents through Entra ("Consent to
// application").
func buildAuditLog(c *providersim.Company, d *directory, a *appsDir) *auditLog {
	l := &auditLog{}
	for k, si := range c.SignIns {
		if si.Provider != providersim.Entra {
			continue
		}
		u := d.byPerson[si.Person]
		if u == nil {
			continue
		}
		sp := a.shadowSP(c, d, si.App, si.At)
		status := map[string]any{"errorCode": 0, "failureReason": "Other.", "additionalDetails": nil}
		if !si.Success {
			status = map[string]any{"errorCode": 50126, "failureReason": "Error validating credentials due to invalid username or password.", "additionalDetails": nil}
		}
		l.signIns = append(l.signIns, record{"id": guid(d.seed, kindSignIn, uint64(k)), "createdDateTime": timeJSON(si.At),
			"userId": u.id, "userPrincipalName": u.upn, "userDisplayName": u.displayName, "appId": sp["appId"],
			"appDisplayName": sp["displayName"], "resourceId": graphAppID, "resourceDisplayName": "Microsoft Graph",
			"ipAddress": si.IP, "clientAppUsed": "Browser", "isInteractive": true, "conditionalAccessStatus": "notApplied",
			"correlationId": guid(d.seed, kindSignIn, uint64(k)+1<<32), "riskLevelDuringSignIn": "none", "riskState": "none",
			"status": status, "location": map[string]any{"city": nil, "state": nil, "countryOrRegion": nil},
			"deviceDetail": map[string]any{"browser": si.UserAgent, "operatingSystem": nil, "deviceId": "", "isCompliant": false, "isManaged": false}})
	}
	since := c.Now.Add(-retentionP1)
	var entries []record
	for _, u := range d.users {
		if u.created.After(since) {
			entries = append(entries, auditRecord(d, 0, u.created, "Add user", "UserManagement", "Core Directory", "User", u.id, u.displayName, u.upn))
		}
	}
	for _, g := range c.OAuthGrants {
		if g.Provider != providersim.Entra || g.Managed || !g.At.After(since) {
			continue
		}
		sp := a.shadowSP(c, d, g.App, g.At)
		if u := d.byPerson[g.Person]; u != nil {
			entries = append(entries, auditRecord(d, 0, g.At, "Consent to application", "ApplicationManagement", "Core Directory", "ServicePrincipal", sp["id"].(string), sp["displayName"].(string), ""))
			entries[len(entries)-1]["initiatedBy"] = map[string]any{"user": map[string]any{"id": u.id, "userPrincipalName": u.upn, "displayName": nil, "ipAddress": nil}, "app": nil}
		}
	}
	sortByTime(entries, "activityDateTime")
	for i := range entries {
		entries[i]["id"] = "Directory_" + guid(d.seed, kindAudit, uint64(i))
	}
	l.audits = entries
	return l
}

// auditRecord builds a directoryAudit initiated by the tenant's first Global or Privileged Role administrator
// (or by the directory when the id is set later).
func auditRecord(d *directory, _ uint64, at time.Time, activity, category, service, targetType, targetID, targetName, upn string) record {
	var target any = map[string]any{"id": targetID, "displayName": targetName, "type": targetType, "userPrincipalName": nilIfEmpty(upn), "modifiedProperties": []any{}, "groupType": nil}
	return record{"id": "", "activityDateTime": timeJSON(at), "activityDisplayName": activity, "category": category,
		"correlationId": guid(d.seed, kindAudit, uint64(at.UnixNano())), "loggedByService": service, "operationType": operationOf(activity),
		"result": "success", "resultReason": "", "additionalDetails": []any{},
		"initiatedBy":     map[string]any{"user": nil, "app": map[string]any{"appId": nil, "displayName": "Microsoft Azure AD Internal - Jit Provisioning", "servicePrincipalId": nil, "servicePrincipalName": nil}},
		"targetResources": []any{target}}
}

func operationOf(activity string) string {
	switch activity {
	case "Add user", "Add member to group", "Consent to application":
		return "Add"
	case "Delete user", "Remove member from group":
		return "Delete"
	}
	return "Update"
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// sortByTime sorts records ascending by a date-time property (stable).
func sortByTime(rs []record, prop string) {
	sort.SliceStable(rs, func(i, j int) bool { return rs[i][prop].(string) < rs[j][prop].(string) })
}

// record appends a directory audit for a change made through the mutation methods; the caller holds s.mu.
func (s *Server) audit(activity, category, targetType, targetID, targetName, upn string) {
	l := s.log
	l.n++
	r := auditRecord(s.dir, 0, s.now(), activity, category, "Core Directory", targetType, targetID, targetName, upn)
	r["id"] = "Directory_" + guid(s.dir.seed, kindAudit, 1<<40+l.n)
	l.audits = append(l.audits, r)
	s.notifyChange(targetType, targetID, activity)
}

// newestFirst pages rs from the newest, within the retention window.
func (s *Server) newestFirst(res, entity string, rs []record, filterable, ranged map[string]bool, timeProp string, retention time.Duration) listing {
	l := recordListing(res, entity, rs, filterable)
	l.paging, l.ranged = reportPaging, ranged
	cutoff := timeJSON(s.now().Add(-retention))
	n := len(rs)
	l.at = func(i int) (item, string, bool) {
		r := rs[n-1-i]
		return r, "", r[timeProp].(string) >= cutoff
	}
	return l
}

func (s *Server) listSignIns(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	s.serveList(w, r, c, s.newestFirst("auditLogs/signIns", "SignIn", s.log.signIns,
		setOf("id", "userId", "appId", "userPrincipalName", "appDisplayName"), setOf("createdDateTime"), "createdDateTime", retentionP1))
}

func (s *Server) listDirectoryAudits(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	retention := retentionP1
	if s.opts.WithoutP1 {
		retention = retentionFree
	}
	s.serveList(w, r, c, s.newestFirst("auditLogs/directoryAudits", "DirectoryAudit", s.log.audits,
		setOf("id", "category", "activityDisplayName", "loggedByService", "result"), setOf("activityDateTime"), "activityDateTime", retention))
}

// shadowSP returns the third-party service principal of a shadow app, creating it on first use.
func (a *appsDir) shadowSP(c *providersim.Company, d *directory, key string, at time.Time) record {
	if sp := a.shadow[key]; sp != nil {
		return sp
	}
	k := uint64(len(a.shadow))
	shadow := providersim.SaaSApp{Key: key, Name: key, Domain: key + ".example"}
	for _, s := range c.ShadowApps {
		if s.Key == key {
			shadow = s
		}
	}
	sp := record{"id": guid(d.seed, kindShadowSP, k), "appId": guid(d.seed, kindShadowSP, k+1<<32), "displayName": shadow.Name,
		"appOwnerOrganizationId": guid(d.seed, kindPublisher, k), "publisherName": shadow.Name + " Inc.",
		"servicePrincipalType": "Application", "accountEnabled": true, "appRoleAssignmentRequired": false,
		"homepage": "https://" + shadow.Domain + "/", "replyUrls": []string{"https://" + shadow.Domain + "/oauth/callback"},
		"tags": []string{"WindowsAzureActiveDirectoryIntegratedApp"}, "passwordCredentials": []any{}, "keyCredentials": []any{},
		"createdDateTime": timeJSON(at), "preferredSingleSignOnMode": nil,
		"verifiedPublisher": map[string]any{"displayName": nil, "verifiedPublisherId": nil, "addedDateTime": nil}}
	if k%2 == 0 {
		sp["verifiedPublisher"] = map[string]any{"displayName": shadow.Name + " Inc.", "verifiedPublisherId": strconv.Itoa(5000000 + int(k)), "addedDateTime": timeJSON(at)}
	}
	a.shadow[key] = sp
	a.sps = append(a.sps, sp)
	return sp
}
