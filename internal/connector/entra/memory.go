package entra

// memory is what a Source learned in this invocation; a new Source rebuilds it from Graph when needed.
type memory struct {
	// admins holds the principals (user ids and "sp:" ids) with a directory role, directly or through a
	// role-assignable group; adminsKnown says it was read, adminsErr why it could not be.
	admins      map[string]bool
	adminsKnown bool
	adminsErr   error
	roles       []roleRead
	// spByAppID and spByID are the tenant's service principals (loadSPs).
	spByAppID, spByID map[string]spInfo
	// grantScopes are the delegated grants' scopes by client and user (discovery.go).
	grantScopes    map[string][]string
	grantScopesErr error
	// page is the parent page being walked.
	page *parentPage
}

func newMemory() memory { return memory{} }
