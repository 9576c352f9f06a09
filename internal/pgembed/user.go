package pgembed

import (
	"fmt"
	"io/fs"
	"os/user"
	"strconv"
)

// osUser is the unprivileged account PostgreSQL runs as when the process is
// root. Its only group is gid: supplementary groups are dropped.
type osUser struct {
	name string
	uid  uint32
	gid  uint32
}

// unprivilegedUser returns the account "postgres", else "nobody".
func unprivilegedUser() (*osUser, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil || uid == 0 {
			continue
		}
		return &osUser{name: name, uid: uint32(uid), gid: uint32(gid)}, nil
	}
	return nil, fmt.Errorf("pgembed: running as root needs an unprivileged account named postgres or nobody")
}

// ownerOf returns the account owning fi, or nil when fi is owned by root or
// its owner is unknown.
func ownerOf(fi fs.FileInfo) *osUser {
	uid, gid, ok := fileOwner(fi)
	if !ok || uid == 0 {
		return nil
	}
	u := &osUser{name: strconv.FormatUint(uint64(uid), 10), uid: uid, gid: gid}
	if found, err := user.LookupId(u.name); err == nil {
		u.name = found.Username
	}
	return u
}

// permits reports whether u may access fi with every bit in want (4 read,
// 2 write, 1 execute) by the classic owner/group/other bits. ACLs are
// ignored, so the answer errs on the side of "no". With unknown ownership it
// answers yes.
func permits(fi fs.FileInfo, u *osUser, want fs.FileMode) bool {
	uid, gid, ok := fileOwner(fi)
	if !ok {
		return true
	}
	mode := fi.Mode().Perm()
	switch {
	case uid == u.uid:
		mode >>= 6
	case gid == u.gid:
		mode >>= 3
	}
	return mode&want == want
}
