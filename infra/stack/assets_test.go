package stack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
)

func TestCode(t *testing.T) {
	dir := t.TempDir()
	built := filepath.Join(dir, "bin", fnDispatch)
	if err := os.MkdirAll(built, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(built, "bootstrap"), []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(filepath.Join(dir, "out"))})
	b := &builder{stack: awscdk.NewStack(app, jsii.String("Code"), nil), props: Props{LambdaDir: filepath.Join(dir, "bin")}}

	if got := *b.code(fnDispatch).(awslambda.AssetCode).Path(); got != built {
		t.Errorf("dispatch code from %s, want the built %s", got, built)
	}
	placeholder := *b.code(fnFull).(awslambda.AssetCode).Path()
	if !strings.HasPrefix(placeholder, filepath.Join(dir, "out")) {
		t.Errorf("placeholder in %s, want under the output directory", placeholder)
	}
	info, err := os.Stat(filepath.Join(placeholder, "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm()&0o111 == 0 {
		t.Errorf("placeholder bootstrap mode %v, want executable", info.Mode())
	}
	if got := *b.code(fnTail).(awslambda.AssetCode).Path(); got != placeholder {
		t.Errorf("tail placeholder %s, want the same folder %s", got, placeholder)
	}
}

func TestFrontendMissing(t *testing.T) {
	dir := t.TempDir()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(filepath.Join(dir, "out"))})
	stack := awscdk.NewStack(app, jsii.String("Frontend"), nil)
	b := &builder{stack: stack, props: Props{FrontendDir: filepath.Join(dir, "frontend", "dist")}}
	s := newSite(stack)
	s.deployFiles(b, nil, nil) // the API and user pool are not needed when there is nothing to deploy
	if child := stack.Node().TryFindChild(jsii.String("UiFiles")); child != nil {
		t.Errorf("a BucketDeployment without frontend/dist: %s", *child.Node().Path())
	}
}

func TestRequireLambdaBinaries(t *testing.T) {
	dir := t.TempDir()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(filepath.Join(dir, "out"))})
	stack := awscdk.NewStack(app, jsii.String("Require"), nil)
	b := &builder{stack: stack, cfg: config{requireBinaries: true}, props: Props{LambdaDir: filepath.Join(dir, "bin")}}
	b.code(fnFull)
	b.code(fnTail)
	b.reportPlaceholders()
	must(t, "an error naming the missing binaries", func() {
		assertions.Annotations_FromStack(stack).HasError(jsii.String("*"),
			assertions.Match_StringLikeRegexp(jsii.String("full, tail: these functions get a placeholder")))
	})
}
