package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Groups the admin API authorizes by (the cognito:groups claim). Their names are the API's contract, not
// physical resource names.
const (
	groupAdmin  = "admin"
	groupViewer = "viewer"
)

// auth is the Cognito user pool of the admin UI and the SPA's app client.
type auth struct {
	pool   awscognito.UserPool
	client awscognito.UserPoolClient
}

// newAuth builds the user pool: administrators create users (no self sign-up), sign-in by email, a
// 14-character password with every character class, TOTP MFA required (no SMS: no SMS role and no SMS
// cost), Plus feature plan with full threat protection ($0.02 per monthly active user; nothing when idle).
// The SPA client has no secret and uses SRP; there is no hosted UI domain (it would need a globally unique
// name).
func newAuth(scope constructs.Construct) *auth {
	pool := awscognito.NewUserPool(scope, jsii.String("Users"), &awscognito.UserPoolProps{
		SelfSignUpEnabled:   jsii.Bool(false),
		SignInAliases:       &awscognito.SignInAliases{Email: jsii.Bool(true)},
		SignInCaseSensitive: jsii.Bool(false),
		AutoVerify:          &awscognito.AutoVerifiedAttrs{Email: jsii.Bool(true)},
		StandardAttributes: &awscognito.StandardAttributes{
			Email: &awscognito.StandardAttribute{Required: jsii.Bool(true), Mutable: jsii.Bool(true)},
		},
		PasswordPolicy: &awscognito.PasswordPolicy{
			MinLength:            jsii.Number(14),
			RequireLowercase:     jsii.Bool(true),
			RequireUppercase:     jsii.Bool(true),
			RequireDigits:        jsii.Bool(true),
			RequireSymbols:       jsii.Bool(true),
			TempPasswordValidity: awscdk.Duration_Days(jsii.Number(3)),
		},
		Mfa:                          awscognito.Mfa_REQUIRED,
		MfaSecondFactor:              &awscognito.MfaSecondFactor{Otp: jsii.Bool(true), Sms: jsii.Bool(false)},
		AccountRecovery:              awscognito.AccountRecovery_EMAIL_ONLY,
		FeaturePlan:                  awscognito.FeaturePlan_PLUS,
		StandardThreatProtectionMode: awscognito.StandardThreatProtectionMode_FULL_FUNCTION,
		DeletionProtection:           jsii.Bool(true),
		RemovalPolicy:                awscdk.RemovalPolicy_RETAIN,
		UserInvitation: &awscognito.UserInvitationConfig{
			EmailSubject: jsii.String("Your Open-SSPM account"),
			EmailBody: jsii.String("You have an Open-SSPM account. Sign in as {username} with the temporary " +
				"password {####} and set up an authenticator app when asked."),
		},
	})
	for _, g := range []struct{ id, name, doc string }{
		{"AdminGroup", groupAdmin, "Open-SSPM administrators: may change connectors, rules and users"},
		{"ViewerGroup", groupViewer, "Open-SSPM viewers: read only"},
	} {
		awscognito.NewUserPoolGroup(scope, jsii.String(g.id), &awscognito.UserPoolGroupProps{
			UserPool:    pool,
			GroupName:   jsii.String(g.name),
			Description: jsii.String(g.doc),
		})
	}
	client := pool.AddClient(jsii.String("Spa"), &awscognito.UserPoolClientOptions{
		GenerateSecret:             jsii.Bool(false),
		AuthFlows:                  &awscognito.AuthFlow{UserSrp: jsii.Bool(true)},
		DisableOAuth:               jsii.Bool(true),
		PreventUserExistenceErrors: jsii.Bool(true),
		EnableTokenRevocation:      jsii.Bool(true),
		AccessTokenValidity:        awscdk.Duration_Hours(jsii.Number(1)),
		IdTokenValidity:            awscdk.Duration_Hours(jsii.Number(1)),
		RefreshTokenValidity:       awscdk.Duration_Hours(jsii.Number(12)),
	})
	return &auth{pool: pool, client: client}
}
