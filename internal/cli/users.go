package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"strings"

	"github.com/open-sspm/open-sspm/internal/api"
	"github.com/open-sspm/open-sspm/internal/auth"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// users manages local admin UI users: `users bootstrap-admin --email E [--password-file F]` and
// `users reset-password --email E`.
func (c *command) users(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("users: want bootstrap-admin or reset-password")
	}
	switch args[0] {
	case "bootstrap-admin":
		return c.bootstrapAdmin(ctx, args[1:])
	case "reset-password":
		return c.resetPassword(ctx, args[1:])
	}
	return fmt.Errorf("users: unknown command %q (want bootstrap-admin or reset-password)", args[0])
}

func (c *command) bootstrapAdmin(ctx context.Context, args []string) error {
	fs := c.flags("users bootstrap-admin")
	email := fs.String("email", "", "the admin's email (the sign-in name)")
	passwordFile := fs.String("password-file", "", "file holding the password (default: generate one and write it to "+
		"a file in the data folder that only its owner can read)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := checkEmail(*email); err != nil {
		return err
	}
	generated := *passwordFile == ""
	var password, hash string
	if generated {
		p, h, err := newPassword()
		if err != nil {
			return err
		}
		password, hash = p, h
	} else {
		b, err := os.ReadFile(*passwordFile)
		if err != nil {
			return fmt.Errorf("read password file: %w", err)
		}
		password = strings.TrimRight(string(b), "\r\n")
		if hash, err = auth.HashPassword(password); err != nil {
			return fmt.Errorf("password: %w", err)
		}
	}
	rt, err := open(ctx, c.env, c.log, c.kinds, openOpts{})
	if err != nil {
		return err
	}
	defer rt.close()
	u, err := rt.db.CreateFirstAdmin(ctx, *email, hash, "cli:users bootstrap-admin")
	if sspm.ErrorCode(err) == sspm.CodeConflict {
		return errors.New("an admin already exists; sign in as that admin instead")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "admin %s created\n", u.Email)
	if generated {
		return c.writePassword(u.Email, password)
	}
	return nil
}

// resetPassword gives a local user a new generated password (written like the first admin's) and ends the user's
// sessions: the way back in for an admin who lost the password.
func (c *command) resetPassword(ctx context.Context, args []string) error {
	fs := c.flags("users reset-password")
	email := fs.String("email", "", "the user's email (the sign-in name)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := checkEmail(*email); err != nil {
		return err
	}
	password, hash, err := newPassword()
	if err != nil {
		return err
	}
	rt, err := open(ctx, c.env, c.log, c.kinds, openOpts{})
	if err != nil {
		return err
	}
	defer rt.close()
	u, err := rt.db.SetUserPassword(ctx, *email, hash, "cli:users reset-password")
	if sspm.ErrorCode(err) == sspm.CodeNotFound {
		return fmt.Errorf("no local user %s", strings.ToLower(*email))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "password of %s reset; the user's sessions are ended\n", u.Email)
	return c.writePassword(u.Email, password)
}

func checkEmail(email string) error {
	if _, err := mail.ParseAddress(email); err != nil || strings.ContainsAny(email, "<> ") {
		return fmt.Errorf("--email %q is not an email address", email)
	}
	return nil
}

// ensureAdmin creates the first admin of a fresh local runtime (dev) with a generated password, written to a file
// only its owner can read.
func (c *command) ensureAdmin(ctx context.Context, rt *runtime) error {
	email := strings.ToLower(getenv("OPEN_SSPM_ADMIN_EMAIL", "admin@localhost"))
	password, hash, err := newPassword()
	if err != nil {
		return err
	}
	u, err := rt.db.CreateFirstAdmin(ctx, email, hash, "open-sspm dev")
	if sspm.ErrorCode(err) == sspm.CodeConflict {
		return nil
	}
	if err != nil {
		return err
	}
	return c.writePassword(u.Email, password)
}

// writePassword writes a generated password to <data folder>/admin-password (mode 0600, replacing an earlier one)
// and prints where it is, never the password: a terminal's scrollback and a service's log keep what is printed.
func (c *command) writePassword(email, password string) error {
	path, err := writeSecretFile(c.env.DataDir, "admin-password", email+"\n"+password+"\n")
	if err != nil {
		return fmt.Errorf("write the password of %s: %w", email, err)
	}
	fmt.Fprintf(c.stdout, "\nSign in as %s with the password in %s (readable by you only; delete it once you have "+
		"signed in and kept the password safe).\n\n", email, path)
	return nil
}

// writeSecretFile writes content to dir/name, readable by its owner only: a new file is written (0600) and
// renamed over the old one, so the content is never readable by others, not even for a moment.
func writeSecretFile(dir, name, content string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, "."+name+"-*")
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename, nothing is there
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return "", err
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	if err := os.Rename(tmp, path); err != nil {
		return "", err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return path, nil
	}
	return abs, nil
}

// newPassword generates a password of 20 random URL-safe characters (120 bits) and returns it with its hash.
func newPassword() (password, hash string, err error) {
	b := make([]byte, 15)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("generate password: %w", err)
	}
	password = base64.RawURLEncoding.EncodeToString(b)
	if hash, err = auth.HashPassword(password); err != nil {
		return "", "", fmt.Errorf("hash the generated password: %w", err)
	}
	return password, hash, nil
}

// Local sign-in: the issuer and audience of locally issued tokens.
const (
	localIssuer   = "open-sspm-local"
	localAudience = "open-sspm-api"
)

// authConfig is how the local runtime verifies admin API tokens: by default it issues them itself (a key in the
// data folder, password sign-in at /auth/login); with AUTH_ISSUER, AUTH_AUDIENCE and AUTH_JWKS_URL it verifies an
// external issuer's tokens instead (a Cognito user pool) and password sign-in is off.
type authConfig struct {
	Issuer, Audience, JWKSURL string
}

func authConfigFromOS() authConfig {
	return authConfig{Issuer: os.Getenv("AUTH_ISSUER"), Audience: os.Getenv("AUTH_AUDIENCE"), JWKSURL: os.Getenv("AUTH_JWKS_URL")}
}

// adminAPI wires the admin API of the local runtime. The local signing key is created on first use: a new key
// only means signing in again.
func (c *command) adminAPI(rt *runtime) (*api.Admin, error) {
	a := &api.Admin{Store: rt.db, Registry: rt.app.Registry, Sealer: rt.app.Sealer, WebhookSealer: rt.app.WebhookSealer(), KeyID: rt.app.Keys.KeyID,
		Invoker: rt.app.Invoker(), PushHooks: rt.app, Rules: rt.app.RuleControls(), Inbox: rt.inbox(), DiscoveryEnabled: rt.app.DiscoveryEnabled(), Logger: c.log}
	ac := authConfigFromOS()
	if ac.Issuer != "" || ac.Audience != "" || ac.JWKSURL != "" {
		if ac.Issuer == "" || ac.Audience == "" || ac.JWKSURL == "" {
			return nil, errors.New("set all of AUTH_ISSUER, AUTH_AUDIENCE and AUTH_JWKS_URL, or none")
		}
		a.Auth = &auth.Verifier{Issuer: ac.Issuer, Audience: ac.Audience, Keys: auth.NewRemoteKeys(ac.JWKSURL, auth.RemoteKeysOptions{})}
		return a, nil
	}
	key, err := auth.LoadOrCreateKey(filepath.Join(c.env.DataDir, "auth-signing-key.pem"), true)
	if err != nil {
		return nil, err
	}
	iss, err := auth.NewIssuer(key, localIssuer, localAudience, auth.IssuerOptions{})
	if err != nil {
		return nil, err
	}
	users := postgres.AuthUsers{DB: rt.db}
	login, err := auth.NewLogin(users, users, iss, auth.LoginOptions{Logger: c.log})
	if err != nil {
		return nil, err
	}
	a.Auth, a.Login, a.JWKS = login.Verifier(), login, iss.JWKSHandler()
	return a, nil
}
