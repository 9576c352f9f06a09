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

// users manages local admin UI users: `users bootstrap-admin --email E [--password-file F]`.
func (c *command) users(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "bootstrap-admin" {
		return errors.New("users: want bootstrap-admin")
	}
	fs := c.flags("users bootstrap-admin")
	email := fs.String("email", "", "the admin's email (the sign-in name)")
	passwordFile := fs.String("password-file", "", "file holding the password (default: generate one and print it once)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if _, err := mail.ParseAddress(*email); err != nil || strings.ContainsAny(*email, "<> ") {
		return fmt.Errorf("--email %q is not an email address", *email)
	}
	password, generated := "", false
	if *passwordFile != "" {
		b, err := os.ReadFile(*passwordFile)
		if err != nil {
			return fmt.Errorf("read password file: %w", err)
		}
		password = strings.TrimRight(string(b), "\r\n")
	} else {
		p, err := generatePassword()
		if err != nil {
			return err
		}
		password, generated = p, true
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return fmt.Errorf("password: %w", err)
	}
	rt, err := open(ctx, c.env, c.log, c.reg, openOpts{})
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
		fmt.Fprintf(c.stdout, "password (shown once, keep it safe): %s\n", password)
	}
	return nil
}

// ensureAdmin creates the first admin of a fresh local runtime (dev) and prints its generated password once.
func (c *command) ensureAdmin(ctx context.Context, rt *runtime) error {
	email := strings.ToLower(getenv("OPEN_SSPM_ADMIN_EMAIL", "admin@localhost"))
	password, err := generatePassword()
	if err != nil {
		return err
	}
	hash, err := auth.HashPassword(password)
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
	fmt.Fprintf(c.stdout, "\nSign in as %s with password %s (shown once; keep it safe).\n\n", u.Email, password)
	return nil
}

// generatePassword returns 20 random URL-safe characters (120 bits).
func generatePassword() (string, error) {
	b := make([]byte, 15)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
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
	a := &api.Admin{Store: rt.db, Registry: rt.app.Registry, Sealer: rt.app.Sealer, KeyID: rt.app.Keys.KeyID,
		Invoker: rt.app.Invoker, Rules: rt.app.RuleControls(), Inbox: rt.inbox(), DiscoveryEnabled: rt.app.DiscoveryEnabled, Logger: c.log}
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
	login, err := auth.NewLogin(localUsers{rt.db}, iss, auth.NewLimiter(auth.LimiterOptions{}), c.log)
	if err != nil {
		return nil, err
	}
	a.Auth, a.Login, a.JWKS = iss.Verifier(), login, iss.JWKSHandler()
	return a, nil
}

// localUsers adapts the store's users to the sign-in.
type localUsers struct{ db *postgres.DB }

func (u localUsers) UserByEmail(ctx context.Context, email string) (auth.User, error) {
	x, err := u.db.UserByEmail(ctx, email)
	if err != nil {
		return auth.User{}, err
	}
	return auth.User{ID: x.ID, Email: x.Email, PasswordHash: x.PasswordHash, Role: auth.ParseRole(x.Role), Disabled: x.Disabled}, nil
}

func (u localUsers) TouchLogin(ctx context.Context, id int64) error { return u.db.TouchLogin(ctx, id) }
