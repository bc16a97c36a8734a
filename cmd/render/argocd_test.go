package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"prenv.dev/prenv/internal/golden"
)

// previewsSpec is the plugin-flow example, relative to this package.
const previewsSpec = "../../examples/previews/prenv.yaml"

func TestRunAppSetAndApps(t *testing.T) {
	golden := func(name string) string {
		b, err := os.ReadFile(filepath.Join(golden.Root(t), "golden", "previews", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	badTemplates := t.TempDir()
	if err := os.WriteFile(filepath.Join(badTemplates, "applicationset.yaml"), []byte("name: {{ tpl .x . }}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sha := "3f786850e387550fdab836ed7e6dc881de23001b"
	tests := map[string]struct {
		run       func(context.Context, []string, input, *bytes.Buffer, *bytes.Buffer) int
		args      []string
		stdin     string
		code      int
		stdout    string // exact, when set
		stdoutHas string
		stderrHas []string
	}{
		"appset matches the golden file": {
			run: appset, args: []string{"-f", previewsSpec}, code: exitOK, stdout: golden("appset.yaml"),
		},
		"apps matches the golden file": {
			run: apps, args: []string{"-f", previewsSpec, "--pr", "123", "--branch", "feature/login", "--head-sha", sha,
				"--label", "preview", "--author", "octocat", "--title", "Add the login page"},
			code: exitOK, stdout: golden("apps-pr123.yaml"),
		},
		"spec on standard input": {
			run: appset, args: []string{"-f", "-"}, stdin: readFile(t, previewsSpec), code: exitOK, stdout: golden("appset.yaml"),
		},
		"sidecar": {
			run: appset, args: []string{"-f", previewsSpec, "--sidecar"}, code: exitOK, stdoutHas: "argocd-cmp-server",
		},
		"--set reaches the spec": {
			run: apps, args: []string{"-f", previewsSpec, "--set", "spec.prefix=pv", "--pr", "5", "--branch", "b", "--head-sha", sha},
			code: exitOK, stdoutHas: "name: pv-5-orders",
		},
		"hostile branch": {
			run: apps, args: []string{"-f", previewsSpec, "--pr", "2147483647", "--branch", "Ü/{{ .number }}/" + strings.Repeat("x", 300), "--head-sha", sha},
			code: exitOK, stdoutHas: "name: pr-2147483647-orders",
		},
		"invalid spec names the field": {
			run: appset, args: []string{"-f", previewsSpec, "--set", "spec.argocd.source.path=/abs"},
			code: exitInvalid, stderrHas: []string{"spec.argocd.source.path"},
		},
		"invalid pull request names the flag": {
			run: apps, args: []string{"-f", previewsSpec, "--pr", "0", "--branch", "b", "--head-sha", "nothex"},
			code: exitInvalid, stderrHas: []string{"--pr", "--head-sha"},
		},
		"no argocd section": {
			run: appset, args: []string{"-f", "-", "--set", "spec.argocd=null"}, stdin: readFile(t, previewsSpec),
			code: exitInvalid, stderrHas: []string{"spec.argocd"},
		},
		"sidecar needs an image": {
			run: appset, args: []string{"-f", previewsSpec, "--sidecar", "--set", "spec.argocd.source.plugin.image="},
			code: exitInvalid, stderrHas: []string{"spec.argocd.source.plugin.image"},
		},
		"a broken override is the user's error": {
			run: appset, args: []string{"-f", previewsSpec, "--templates", badTemplates},
			code: exitInvalid, stderrHas: []string{"refused function"},
		},
		"missing -f":         {run: appset, args: nil, code: exitUsage, stderrHas: []string{"-f FILE is required"}},
		"missing --head-sha": {run: apps, args: []string{"-f", previewsSpec, "--pr", "1", "--branch", "b"}, code: exitUsage, stderrHas: []string{"--head-sha is required"}},
		"--pr not a number":  {run: apps, args: []string{"-f", previewsSpec, "--pr", "x", "--branch", "b", "--head-sha", sha}, code: exitUsage, stderrHas: []string{"--pr must be a whole number"}},
		"unknown flag":       {run: appset, args: []string{"--bogus"}, code: exitUsage},
		"extra arguments":    {run: apps, args: []string{"-f", previewsSpec, "x"}, code: exitUsage, stderrHas: []string{"unexpected arguments"}},
		"no such templates":  {run: appset, args: []string{"-f", previewsSpec, "--templates", "/nonexistent/dir"}, code: exitUsage},
		"help":               {run: apps, args: []string{"-h"}, code: exitOK, stderrHas: []string{"--head-sha"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := tc.run(context.Background(), tc.args, input{strings.NewReader(tc.stdin)}, &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, tc.code, stderr.String())
			}
			if tc.stdout != "" && stdout.String() != tc.stdout {
				t.Errorf("stdout differs from the golden file:\n%s", stdout.String())
			}
			if !strings.Contains(stdout.String(), tc.stdoutHas) {
				t.Errorf("stdout lacks %q:\n%s", tc.stdoutHas, stdout.String())
			}
			for _, s := range tc.stderrHas {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr.String())
				}
			}
		})
	}
}

type input struct{ r *strings.Reader }

func appset(ctx context.Context, args []string, in input, out, errOut *bytes.Buffer) int {
	return runAppSet(ctx, args, in.r, out, errOut)
}

func apps(ctx context.Context, args []string, in input, out, errOut *bytes.Buffer) int {
	return runApps(ctx, args, in.r, out, errOut)
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
