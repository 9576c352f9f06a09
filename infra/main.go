// Command infra synthesizes the Open-SSPM AWS stack (cdk.json runs it: `cdk synth`, `cdk deploy`). It
// applies the cdk-nag AwsSolutions checks to the app; their findings are error annotations that fail
// `cdk synth`.
package main

//lint:file-ignore SA1019 cxapi's synthesis messages moved to @aws-cdk/cloud-assembly-api, which has no Go binding yet.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/open-sspm/open-sspm/infra/stack"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "infra:", err)
		os.Exit(1)
	}
}

func run() error {
	defer jsii.Close()
	root, err := repoRoot()
	if err != nil {
		return err
	}
	// The CDK CLI tells the app where to write (CDK_OUTDIR, from cdk.json "output"); `go run ./infra` on its
	// own writes to the same folder instead of a temporary one.
	props := &awscdk.AppProps{}
	if os.Getenv("CDK_OUTDIR") == "" {
		props.Outdir = jsii.String(filepath.Join(root, "infra", "cdk.out"))
	}
	// Likewise the CLI passes cdk.json's context (CDK_CONTEXT_JSON); without the CLI, read it here, so that
	// both ways synthesize the same template.
	if os.Getenv("CDK_CONTEXT_JSON") == "" {
		ctx, err := stack.ReadContext(filepath.Join(root, "cdk.json"))
		if err != nil {
			return err
		}
		props.Context = &ctx
	}
	app := awscdk.NewApp(props)
	stack.NewStack(app, "OpenSspm", &stack.Props{
		StackProps: awscdk.StackProps{
			Description: jsii.String("Open-SSPM: SaaS security posture management (serverless)"),
			// Environment-agnostic on purpose: synthesis needs no AWS credentials and no lookups.
		},
		LambdaDir:   filepath.Join(root, "bin", "lambda"),
		FrontendDir: filepath.Join(root, "frontend", "dist"),
	})
	if on, err := stack.WafEnabled(app); err != nil {
		return err
	} else if on {
		stack.NewWafStack(app, stack.WafStackID, nil)
	}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	assembly := app.Synth(nil)
	if os.Getenv("CDK_OUTDIR") != "" {
		return nil // the CLI reports the annotations and fails on errors itself
	}
	return report(assembly)
}

// report prints the stacks' warnings and errors (cdk-nag findings among them) as the CLI would, and fails
// when there is an error, so that `go run ./infra` alone is a complete offline synth check.
func report(assembly cxapi.CloudAssembly) error {
	errs := 0
	for _, s := range *assembly.Stacks() {
		for _, m := range *s.Messages() {
			if m.Level == cxapi.SynthesisMessageLevel_INFO {
				continue
			}
			if m.Level == cxapi.SynthesisMessageLevel_ERROR {
				errs++
			}
			fmt.Fprintf(os.Stderr, "%s %s: %v\n", m.Level, *m.Id, m.Entry.Data)
		}
	}
	if errs > 0 {
		return fmt.Errorf("synthesis reported %d errors", errs)
	}
	return nil
}

// repoRoot returns the nearest folder at or above the current one that holds cdk.json.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find cdk.json: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "cdk.json")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find cdk.json: not in this folder or above")
		}
		dir = parent
	}
}
