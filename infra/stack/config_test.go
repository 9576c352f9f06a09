package stack

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestReadConfig(t *testing.T) {
	defaults := config{auroraMaxCapacity: 4, autoPauseSeconds: 300, syncInterval: 15, schedulesEnabled: true}
	tests := []struct {
		name    string
		give    map[string]any
		want    config
		wantErr string
	}{
		{name: "defaults", give: nil, want: defaults},
		{name: "cdk.json types", give: map[string]any{CtxNatGateway: true, CtxAuroraMinCapacity: 0.5, CtxSyncIntervalMinutes: 30.0},
			want: config{natGateway: true, auroraMinCapacity: 0.5, auroraMaxCapacity: 4, autoPauseSeconds: 300, syncInterval: 30, schedulesEnabled: true}},
		{name: "schedules off", give: map[string]any{CtxSchedulesEnabled: false},
			want: config{auroraMaxCapacity: 4, autoPauseSeconds: 300, syncInterval: 15}},
		{name: "command line strings", give: map[string]any{CtxNatGateway: "true", CtxAuroraMinCapacity: "1", CtxRequireLambdaBinaries: "true", CtxDeployNonce: "1700000000"},
			want: config{natGateway: true, auroraMinCapacity: 1, auroraMaxCapacity: 4, autoPauseSeconds: 300, syncInterval: 15, schedulesEnabled: true, requireBinaries: true, deployNonce: "1700000000"}},
		{name: "min capacity not offered", give: map[string]any{CtxAuroraMinCapacity: 3.0}, wantErr: CtxAuroraMinCapacity},
		{name: "max capacity at the min", give: map[string]any{CtxAuroraMaxCapacity: 2.0}, wantErr: CtxAuroraMaxCapacity},
		{name: "auto-pause too short", give: map[string]any{CtxAutoPauseSeconds: 60.0}, wantErr: CtxAutoPauseSeconds},
		{name: "interval not dividing the hour", give: map[string]any{CtxSyncIntervalMinutes: 7.0}, wantErr: CtxSyncIntervalMinutes},
		{name: "not a boolean", give: map[string]any{CtxNatGateway: "sometimes"}, wantErr: CtxNatGateway},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := awscdk.NewApp(&awscdk.AppProps{Context: &tt.give})
			got, err := readConfig(app)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one about %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("config %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestInvalidContextFailsSynth(t *testing.T) {
	ctx := map[string]any{CtxSyncIntervalMinutes: "7"}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(t.TempDir())})
	stack := NewStack(app, "Invalid", nil)
	must(t, "an error annotation", func() {
		assertions.Annotations_FromStack(stack).HasError(jsii.String("*"),
			assertions.Match_StringLikeRegexp(jsii.String(CtxSyncIntervalMinutes)))
	})
}
