package argocd

import (
	"bytes"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"text/template"

	"github.com/gobwas/glob"

	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/spec"
)

// execArgo executes text as Argo CD does in goTemplate mode.
func execArgo(t *testing.T, text string, params map[string]any) string {
	t.Helper()
	tm, err := template.New("").Funcs(FuncMap()).Option("missingkey=error").Parse(text)
	if err != nil {
		t.Fatalf("parse %q: %v", text, err)
	}
	var b bytes.Buffer
	if err := tm.Execute(&b, params); err != nil {
		t.Fatalf("execute %q: %v", text, err)
	}
	return b.String()
}

// prNumbers are pull-request numbers of every length, with the edges.
func prNumbers() []int {
	out := []int{1, 2, 9, 10, 11, 99, 100, 123, 999, 1000, 4567, 9999, 10000, 65535, 99999, 100000, 999999,
		1000000, 9999999, 10000000, 99999999, 100000000, 999999999, 1000000000, 1999999999, spec.MaxPR - 1, spec.MaxPR}
	for n := 7; n < spec.MaxPR/13; n = n*13 + 5 {
		out = append(out, n)
	}
	return out
}

func appName(n int) string {
	// A DNS-1035 label of n characters with hyphens (never two in a row,
	// which spec.Check refuses).
	const pattern = "web-api-x1-"
	b := []byte("a")
	for len(b) < n {
		b = append(b, pattern[len(b)%len(pattern)])
	}
	s := string(b[:n])
	if strings.HasSuffix(s, "-") {
		s = s[:n-1] + "z"
	}
	return s
}

func prefixName(n int) string {
	p := strings.Repeat("pr", n)[:n]
	if n > 3 {
		p = p[:2] + "-" + p[3:]
	}
	return p
}

// TestNameTemplateMatchesEnvName proves the name Argo CD computes from the
// emitted template equals awsrules.EnvName for every prefix length, every
// app length that spec.Check accepts with it, and pull-request numbers of
// every length.
func TestNameTemplateMatchesEnvName(t *testing.T) {
	for _, pl := range []int{1, 2, 4, 7, 12, 19, 20} {
		prefix := prefixName(pl)
		t.Run("prefix"+strconv.Itoa(pl), func(t *testing.T) {
			for al := 1; al <= awsrules.MaxEnvNameParts-pl; al++ {
				app := appName(al)
				if len(app) != al {
					t.Fatalf("appName(%d) = %q", al, app)
				}
				env := &spec.PreviewEnvironment{APIVersion: spec.APIVersion, Kind: spec.Kind}
				env.Metadata.Name = app
				env.Spec.Prefix = prefix
				tmpl := NameTemplate(prefix, app)
				for _, pr := range prNumbers() {
					want := awsrules.EnvName(prefix, pr, app)
					got := execArgo(t, tmpl, PullRequest{Number: pr, HeadSHA: "0000000"}.Params())
					if got != want {
						t.Fatalf("prefix %q app %q pr %d: template gives %q, EnvName %q", prefix, app, pr, got, want)
					}
				}
			}
		})
	}
}

// TestNamespacePatterns: every env name matches exactly one pattern under
// both glob engines Argo CD uses, and names of other apps, other prefixes
// and Kubernetes' own namespaces match none.
func TestNamespacePatterns(t *testing.T) {
	for _, pl := range []int{1, 4, 20} {
		for _, al := range []int{1, 3, 20, 31, 40, 41, 42, 43, 50} {
			if pl+al > awsrules.MaxEnvNameParts {
				continue
			}
			prefix, app := prefixName(pl), appName(al)
			t.Run(prefix+"/"+strconv.Itoa(al), func(t *testing.T) {
				pats := NamespacePatterns(prefix, app)
				if len(pats) != maxPRDigits {
					t.Fatalf("%d patterns, want %d", len(pats), maxPRDigits)
				}
				globs := make([]glob.Glob, len(pats))
				for i, p := range pats {
					globs[i] = glob.MustCompile(p)
				}
				count := func(name string) (gobwas, fp int) {
					for i, p := range pats {
						if globs[i].Match(name) {
							gobwas++
						}
						if ok, err := filepath.Match(p, name); err != nil {
							t.Fatalf("filepath.Match(%q): %v", p, err)
						} else if ok {
							fp++
						}
					}
					return
				}
				for _, pr := range prNumbers() {
					name := awsrules.EnvName(prefix, pr, app)
					if g, f := count(name); g != 1 || f != 1 {
						t.Errorf("env name %q matches %d gobwas and %d filepath patterns, want 1 and 1", name, g, f)
					}
				}
				others := []string{
					"kube-system", "kube-public", "kube-node-lease", "default", "argocd",
					prefix, prefix + "-" + app, prefix + "-0-" + app, prefix + "-01-" + app,
					prefix + "-12-x-" + app, prefix + "-12-" + app + "x", "x" + prefix + "-12-" + app,
					prefix + "x-12-" + app, awsrules.EnvName(prefix+"x", 12, app),
					awsrules.EnvName(prefix, 12, app+"x"), awsrules.EnvName(prefix, 12, "x-"+app),
				}
				if len(app) > 1 {
					others = append(others, awsrules.EnvName(prefix, 12, app[:len(app)-1]))
				}
				own := awsrules.EnvName(prefix, 12, app)
				for _, o := range others {
					if o == own {
						continue
					}
					if g, f := count(o); g != 0 || f != 0 {
						t.Errorf("%q matches %d gobwas and %d filepath patterns, want none", o, g, f)
					}
				}
			})
		}
	}
}

func TestKubeSystemNeverMatches(t *testing.T) {
	// The prefix "kube" is the dangerous one: kube-system starts with it.
	for _, app := range []string{"system", "public", "node-lease", "web"} {
		for _, p := range NamespacePatterns("kube", app) {
			for _, ns := range []string{"kube-system", "kube-public", "kube-node-lease"} {
				if glob.MustCompile(p).Match(ns) {
					t.Errorf("pattern %q matches %q", p, ns)
				}
			}
		}
	}
}
