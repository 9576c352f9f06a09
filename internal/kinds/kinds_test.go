package kinds_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/kinds"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

const module = "github.com/open-sspm/open-sspm/"

// goPackages maps each package directory of the module (relative, slash-separated) to its non-test files.
func goPackages(t *testing.T) (root string, pkgs map[string][]*ast.File) {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	pkgs = map[string][]*ast.File{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == "node_modules" || name == "frontend" || name == "cdk.out" || strings.HasPrefix(name, ".") && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkgs[filepath.ToSlash(rel)] = append(pkgs[filepath.ToSlash(rel)], f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return root, pkgs
}

func imports(f *ast.File) []string {
	var out []string
	for _, s := range f.Imports {
		p, _ := strconv.Unquote(s.Path.Value)
		if rel, ok := strings.CutPrefix(p, module); ok {
			out = append(out, rel)
		}
	}
	return out
}

// kindPackages are the connector kind packages: those that declare NewKind.
func kindPackages(pkgs map[string][]*ast.File) map[string]bool {
	out := map[string]bool{}
	for dir, files := range pkgs {
		for _, f := range files {
			for _, d := range f.Decls {
				if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "NewKind" {
					out[dir] = true
				}
			}
		}
	}
	return out
}

// The kinds are listed once: outside this package (and the kinds' own packages), no code builds a connector kind,
// and the entrypoints and runtimes reach the kinds only through this package. The demo imports the kinds it
// simulates for their config types.
func TestKindsAreListedOnlyHere(t *testing.T) {
	_, pkgs := goPackages(t)
	kindPkgs := kindPackages(pkgs)
	if !kindPkgs["internal/connector/okta"] || !kindPkgs["internal/connector/github"] {
		t.Fatalf("kind packages found: %v", kindPkgs)
	}
	mayImport := map[string]bool{"internal/kinds": true, "internal/demo": true}
	for dir, files := range pkgs {
		for _, f := range files {
			for _, imp := range imports(f) {
				if kindPkgs[imp] && !mayImport[dir] && !strings.HasPrefix(dir, imp) {
					t.Errorf("%s imports the kind package %s: build the registry with internal/kinds", dir, imp)
				}
			}
			if dir == "internal/kinds" || kindPkgs[dir] {
				continue
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "NewKind" {
					t.Errorf("%s builds a connector kind (%s.NewKind): list it in internal/kinds", dir, sel.X)
				}
				return true
			})
		}
	}
}

// The functions that never call a provider do not link the connectors (and their SDKs): their transitive
// imports within the module reach neither this package nor a kind package.
func TestEvaluatorAndMigrateLinkNoConnector(t *testing.T) {
	_, pkgs := goPackages(t)
	kindPkgs := kindPackages(pkgs)
	for _, fn := range []string{"functions/evaluator", "functions/migrate"} {
		seen := map[string]string{fn: ""}
		queue := []string{fn}
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			if p == "internal/kinds" || kindPkgs[p] {
				chain := []string{p}
				for q := seen[p]; q != ""; q = seen[q] {
					chain = append([]string{q}, chain...)
				}
				t.Errorf("%s links %s through %s", fn, p, strings.Join(chain, " → "))
				continue
			}
			for _, f := range pkgs[p] {
				for _, imp := range imports(f) {
					if _, ok := seen[imp]; !ok {
						seen[imp] = p
						queue = append(queue, imp)
					}
				}
			}
		}
	}
}

// Every kind is in the list once, and loopback endpoints are allowed only when the options say so.
func TestListHasEveryKind(t *testing.T) {
	got := map[sspm.Kind]bool{}
	for _, k := range kinds.List(kinds.Options{}) {
		if got[k.Kind] {
			t.Errorf("kind %s listed twice", k.Kind)
		}
		got[k.Kind] = true
	}
	for _, want := range []sspm.Kind{sspm.KindOkta, sspm.KindGitHub, sspm.KindGoogle, sspm.KindEntra, sspm.KindAWSIDC, sspm.KindDatadog} {
		if !got[want] {
			t.Errorf("kind %s is not listed", want)
		}
	}
	loopback := []byte(`{"org_url":"http://127.0.0.1:9999","auth":"api_token"}`)
	prod := kinds.NewRegistry(kinds.Options{})
	demo := kinds.NewRegistry(kinds.Options{AllowLoopback: true, Outbound: outbound.Allowing("127.0.0.1:9999")})
	if err := prod.Validate(sspm.Connector{ID: "o", Name: "O", Kind: sspm.KindOkta, Config: loopback}, nil); err == nil {
		t.Error("production okta accepts a loopback org URL")
	}
	if err := demo.Validate(sspm.Connector{ID: "o", Name: "O", Kind: sspm.KindOkta, Config: loopback}, nil); err != nil {
		t.Errorf("okta with a simulator refuses the simulator's loopback org URL: %v", err)
	}
}

// The kinds say which lanes they have: Okta reads SaaS evidence (discovery), GitHub does not.
func TestKindsSayWhichLanesTheyHave(t *testing.T) {
	want := map[sspm.Kind]string{
		sspm.KindOkta:    "[full discovery event-inbox tail evaluator]",
		sspm.KindGitHub:  "[full event-inbox tail evaluator]",
		sspm.KindGoogle:  "[full discovery event-inbox tail evaluator]",
		sspm.KindEntra:   "[full discovery event-inbox tail evaluator]",
		sspm.KindAWSIDC:  "[full tail evaluator]",
		sspm.KindDatadog: "[full tail evaluator]",
	}
	for _, k := range kinds.List(kinds.Options{}) {
		if got := fmt.Sprint(k.Lanes()); got != want[k.Kind] {
			t.Errorf("%s lanes = %s, want %s", k.Kind, got, want[k.Kind])
		}
	}
}
