package stack

import (
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// database is the Aurora cluster and its connection facts.
type database struct {
	cluster awsrds.DatabaseCluster
}

// newDatabase builds an Aurora PostgreSQL 17 Serverless v2 cluster with one writer in the isolated subnets.
// Its master password is generated, stored and rotated (every 7 days) by RDS in Secrets Manager, with no
// rotation Lambda; the functions read that secret (internal/awsrun: DATABASE_SECRET_ARN with DATABASE_HOST,
// since an RDS-managed secret holds only username and password) and use the default "postgres" database.
// IAM database authentication is enabled for operators; no function uses it yet. Minimum capacity comes
// from the AuroraMinCapacity deploy parameter: at 0 the cluster pauses after the configured idle time and
// costs only storage while paused; resuming takes about 15 seconds on the first connection.
func newDatabase(scope constructs.Construct, cfg config, net *network) *database {
	allowed := make([]*string, len(minCapacities))
	for i, c := range minCapacities {
		allowed[i] = jsii.String(strconv.FormatFloat(c, 'f', -1, 64))
	}
	minCapacity := awscdk.NewCfnParameter(scope, jsii.String("AuroraMinCapacity"), &awscdk.CfnParameterProps{
		Type: jsii.String("Number"),
		// A string, as AllowedValues are: CloudFormation compares the two as strings, and cfn-lint (E2015)
		// wants the Default among the AllowedValues as written.
		Default:       jsii.String(strconv.FormatFloat(cfg.auroraMinCapacity, 'f', -1, 64)),
		AllowedValues: &allowed,
		Description: jsii.String("Aurora Serverless v2 minimum capacity in ACU. 0 lets the database pause when " +
			"idle (storage cost only; the first connection after a pause waits about 15 s)."),
	})
	engine := awsrds.DatabaseClusterEngine_AuroraPostgres(&awsrds.AuroraPostgresClusterEngineProps{
		Version: awsrds.AuroraPostgresEngineVersion_VER_17_9(),
	})
	cluster := awsrds.NewDatabaseCluster(scope, jsii.String("Database"), &awsrds.DatabaseClusterProps{
		Engine: engine,
		Writer: awsrds.ClusterInstance_ServerlessV2(jsii.String("Writer"), &awsrds.ServerlessV2ClusterInstanceProps{
			PubliclyAccessible:      jsii.Bool(false),
			AutoMinorVersionUpgrade: jsii.Bool(true),
		}),
		ServerlessV2MinCapacity:       minCapacity.ValueAsNumber(),
		ServerlessV2MaxCapacity:       jsii.Number(cfg.auroraMaxCapacity),
		ServerlessV2AutoPauseDuration: awscdk.Duration_Seconds(jsii.Number(cfg.autoPauseSeconds)),
		Vpc:                           net.vpc,
		VpcSubnets:                    databaseSubnets(),
		SecurityGroups:                &[]awsec2.ISecurityGroup{net.databaseSG},
		Credentials:                   awsrds.Credentials_FromUsername(jsii.String("postgres"), nil),
		ManageMasterUserPassword:      jsii.Bool(true),
		IamAuthentication:             jsii.Bool(true),
		StorageEncrypted:              jsii.Bool(true),
		DeletionProtection:            jsii.Bool(true),
		RemovalPolicy:                 awscdk.RemovalPolicy_SNAPSHOT,
		CopyTagsToSnapshot:            jsii.Bool(true),
		Backup:                        &awsrds.BackupProps{Retention: awscdk.Duration_Days(jsii.Number(7))},
		CloudwatchLogsExports:         jsii.Strings("postgresql"),
		CloudwatchLogsRetention:       awslogs.RetentionDays_ONE_MONTH,
		Parameters: &map[string]*string{
			"rds.force_ssl": jsii.String("1"),
		},
	})
	return &database{cluster: cluster}
}
