package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// network is the VPC and the security groups of the functions and the database.
type network struct {
	vpc        awsec2.Vpc
	functionSG awsec2.SecurityGroup
	databaseSG awsec2.SecurityGroup
	// natInstances are the NAT instances (nil with a NAT gateway).
	natInstances []awsec2.Instance
}

// Subnet groups. The functions run in "Lambda" (private, egress through NAT: they call provider APIs on the
// internet and the AWS APIs of SQS, KMS, Lambda, Step Functions and Secrets Manager); Aurora runs in
// "Database" (isolated: no route out at all).
const (
	subnetPublic   = "Public"
	subnetLambda   = "Lambda"
	subnetDatabase = "Database"
)

// newNetwork builds a two-AZ VPC with one NAT for both AZs.
//
// Why NAT and not interface endpoints: the sync lanes must reach the providers' APIs (Okta, GitHub, Graph,
// Google, Datadog) on the internet, which no VPC endpoint offers, so egress is needed anyway; and six
// interface endpoints (SQS, KMS, Secrets Manager, Lambda, Step Functions, Logs) in two AZs would cost about
// 6 × 2 × $7.30 = $88/month idle. One NAT instance (t4g.nano) costs about $7.35/month with its disk and its
// public IPv4 address; it is a single point of failure for egress (not for the database or the API) and is
// patched by replacing it. Set context openSspm:natGateway=true for a managed NAT gateway (about
// $36.50/month idle with its address, plus $0.045/GB).
func newNetwork(scope constructs.Construct, cfg config) *network {
	var nat awsec2.NatProvider
	var natInstance awsec2.NatInstanceProviderV2
	if cfg.natGateway {
		nat = awsec2.NatProvider_Gateway(nil)
	} else {
		natInstance = awsec2.NatProvider_InstanceV2(&awsec2.NatInstanceProps{
			InstanceType: awsec2.InstanceType_Of(awsec2.InstanceClass_BURSTABLE4_GRAVITON, awsec2.InstanceSize_NANO),
			MachineImage: awsec2.MachineImage_LatestAmazonLinux2023(&awsec2.AmazonLinux2023ImageSsmParameterProps{
				CpuType: awsec2.AmazonLinuxCpuType_ARM_64,
			}),
			DefaultAllowedTraffic: awsec2.NatTrafficDirection_OUTBOUND_ONLY,
		})
		nat = natInstance
	}

	flowLogs := awslogs.NewLogGroup(scope, jsii.String("VpcFlowLogs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_ONE_MONTH,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	vpc := awsec2.NewVpc(scope, jsii.String("Vpc"), &awsec2.VpcProps{
		IpAddresses:                  awsec2.IpAddresses_Cidr(jsii.String("10.40.0.0/16")),
		MaxAzs:                       jsii.Number(2),
		NatGateways:                  jsii.Number(1),
		NatGatewayProvider:           nat,
		RestrictDefaultSecurityGroup: jsii.Bool(true),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String(subnetPublic), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(24)},
			{Name: jsii.String(subnetLambda), SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS, CidrMask: jsii.Number(22)},
			{Name: jsii.String(subnetDatabase), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED, CidrMask: jsii.Number(24)},
		},
		// Rejected traffic only: enough to investigate blocked connections, cheap when idle.
		FlowLogs: &map[string]*awsec2.FlowLogOptions{
			"Rejected": {
				TrafficType: awsec2.FlowLogTrafficType_REJECT,
				Destination: awsec2.FlowLogDestination_ToCloudWatchLogs(flowLogs, nil),
			},
		},
	})

	functionSG := awsec2.NewSecurityGroup(scope, jsii.String("FunctionSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              vpc,
		Description:      jsii.String("Open-SSPM functions: HTTPS out, PostgreSQL to Aurora"),
		AllowAllOutbound: jsii.Bool(false),
	})
	functionSG.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(443)),
		jsii.String("HTTPS to provider APIs and AWS APIs through NAT"), nil)
	databaseSG := awsec2.NewSecurityGroup(scope, jsii.String("DatabaseSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              vpc,
		Description:      jsii.String("Open-SSPM Aurora: PostgreSQL from the functions only"),
		AllowAllOutbound: jsii.Bool(false),
	})
	databaseSG.AddIngressRule(functionSG, awsec2.Port_Tcp(jsii.Number(5432)),
		jsii.String("PostgreSQL from the functions"), nil)
	functionSG.AddEgressRule(databaseSG, awsec2.Port_Tcp(jsii.Number(5432)),
		jsii.String("PostgreSQL to Aurora"), nil)

	n := &network{vpc: vpc, functionSG: functionSG, databaseSG: databaseSG}
	if natInstance != nil {
		// The NAT instance forwards only what the functions send (HTTPS).
		natInstance.Connections().AllowFrom(functionSG, awsec2.Port_Tcp(jsii.Number(443)),
			jsii.String("HTTPS from the functions"))
		for _, subnet := range *vpc.PublicSubnets() {
			child := subnet.Node().TryFindChild(jsii.String("NatInstance"))
			instance, ok := child.(awsec2.Instance)
			if !ok {
				continue
			}
			encryptRootVolume(instance)
			n.natInstances = append(n.natInstances, instance)
		}
	}
	return n
}

// encryptRootVolume launches the NAT instance with an encrypted gp3 root volume (the AMI's snapshot is not
// encrypted; EC2 encrypts the copy at launch).
func encryptRootVolume(instance awsec2.Instance) {
	instance.Instance().SetBlockDeviceMappings(&[]any{&awsec2.CfnInstance_BlockDeviceMappingProperty{
		DeviceName: jsii.String("/dev/xvda"),
		Ebs: &awsec2.CfnInstance_EbsProperty{
			Encrypted:           jsii.Bool(true),
			VolumeType:          jsii.String("gp3"),
			DeleteOnTermination: jsii.Bool(true),
		},
	}})
	instance.Instance().SetMonitoring(jsii.Bool(false))
}

// lambdaSubnets selects the subnets the functions run in.
func lambdaSubnets() *awsec2.SubnetSelection {
	return &awsec2.SubnetSelection{SubnetGroupName: jsii.String(subnetLambda)}
}

// databaseSubnets selects the isolated subnets of Aurora.
func databaseSubnets() *awsec2.SubnetSelection {
	return &awsec2.SubnetSelection{SubnetGroupName: jsii.String(subnetDatabase)}
}
