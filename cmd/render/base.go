package main

import (
	"flag"
	"fmt"
	"io"

	"prenv.dev/prenv/argocd"
	"prenv.dev/prenv/spec"
	"prenv.dev/prenv/trust"
)

// noBaseSpec is what a --base-spec that does not exist means, and the way
// out.
const noBaseSpec = "the base branch has no spec of this app, and a pull request cannot add an app; merge its prenv.yaml to the base branch first, where the platform's reviewers see it"

// baseFlags are --base-spec and, for render env, --base-values: what the
// base branch says in the fields a pull request may not change (see
// trust.Check). Without either, the spec is trusted as it is: local
// use, and the base branch's own CI.
type baseFlags struct {
	files  listFlag // --base-spec, repeatable only for render sync
	values string   // --base-values
	given  bool     // --base-values was given, even empty
}

// register adds --base-spec to fs (repeatable, files or folders, with
// multi) and, with values, --base-values.
func (b *baseFlags) register(fs *flag.FlagSet, multi, values bool) {
	const what = "the pull request may not change what decides who the env is and what it may reach (the app, the prefix, spec.aws, spec.dns, IAM grants beyond the env's own resources, the deletion policy, the bounds, Argo CD's project, namespace, SCM, secrets and image); a FILE that does not exist means the base branch has no spec of the app, refused with exit 1"
	if multi {
		fs.Var(&b.files, "base-spec", "the base branch's spec `FILE` (- for standard input), or a folder read as -f reads one (repeatable), read with the same --set: each spec of -f is compared with its app's; "+what)
	} else {
		fs.Func("base-spec", "the base branch's spec `FILE` (- for standard input), or a folder of specs read as render sync -f reads one, read with the same --set: "+what, func(v string) error {
			b.files = listFlag{v}
			return nil
		})
	}
	if values {
		fs.Func("base-values", "the base branch's trusted fields as the plugin flow's Application carries them (its plugin env "+argocd.PluginEnvBase+", written by render appset): `FIELDS` in base64, instead of --base-spec", func(v string) error {
			b.values, b.given = v, true
			return nil
		})
	}
}

// stdinUses is how many of the flags read standard input.
func (b *baseFlags) stdinUses() int {
	n := 0
	for _, f := range b.files {
		if f == "-" {
			n++
		}
	}
	return n
}

// load reads the base: nil without --base-spec and --base-values, a
// non-nil list otherwise (empty when the base branch has no spec). On
// failure it has printed why, and returns the exit code.
func (b *baseFlags) load(cmd string, overrides []spec.Override, stdin io.Reader, stderr io.Writer) ([]*trust.Fields, int) {
	switch {
	case len(b.files) > 0 && b.given:
		return nil, usageError(stderr, cmd, "--base-spec and --base-values both give the base branch's trusted fields: give one")
	case b.given:
		t, err := argocd.ParsePluginBase(b.values)
		if err != nil {
			fmt.Fprintf(stderr, "render %s: --base-values: %v\n", cmd, err)
			return nil, exitInvalid
		}
		return []*trust.Fields{t}, exitOK
	case len(b.files) == 0:
		return nil, exitOK
	}
	specs, code := loadSpecs(cmd, "--base-spec", true, b.files, overrides, stdin, stderr)
	if code != exitOK {
		return nil, code
	}
	base := make([]*trust.Fields, 0, len(specs))
	for _, s := range specs {
		base = append(base, trust.Of(s))
	}
	return base, exitOK
}

// checkBase compares the spec of file with base, when there is one, and
// prints every field it may not have; it returns the exit code.
func checkBase(base []*trust.Fields, env *spec.PreviewEnvironment, file string, stderr io.Writer) int {
	if base == nil {
		return exitOK
	}
	if errs := trust.Check(base, env); len(errs) > 0 {
		return reportError(stderr, file, &trust.Error{Errs: errs})
	}
	return exitOK
}

// loadWithBase reads the spec of -f and the base of the flags, and
// compares them. On failure it has printed why, and returns a nil spec
// and the exit code.
func loadWithBase(cmd, file string, b *baseFlags, overrides []spec.Override, stdin io.Reader, stderr io.Writer) (*spec.PreviewEnvironment, []*trust.Fields, int) {
	if file == "-" && b.stdinUses() > 0 {
		return nil, nil, usageError(stderr, cmd, "standard input (-) can be read only once")
	}
	env, code := loadSpec(file, overrides, stdin, stderr)
	if env == nil {
		return nil, nil, code
	}
	base, code := b.load(cmd, overrides, stdin, stderr)
	if code != exitOK {
		return nil, nil, code
	}
	if code := checkBase(base, env, file, stderr); code != exitOK {
		return nil, nil, code
	}
	return env, base, exitOK
}
