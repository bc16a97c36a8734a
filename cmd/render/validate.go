package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/render"
	"prenv.dev/prenv/validate"
)

const validateUsage = `usage: render validate [flags] FILE...

Validates every object of multi-document YAML or JSON manifests (FILE may be
"-" for standard input, or a folder of .yaml/.yml/.json files) the way the
Kubernetes API server would on kubectl apply --validate=strict: built-in kinds
against the k8s.io/api types, custom resources against CRD schemas with the
API server's own code (structural schema, unknown-field pruning, OpenAPI
validation, CEL x-kubernetes-validations). prenv's embedded schemas cover the
custom kinds it emits; --crds adds or replaces schemas.

Output: one line per problem, "FILE:DOC Kind/name: field: message", then a
summary line; -o json prints one JSON object instead.
Exit status: 0 all valid, 1 problems found, 2 usage error, unreadable input
or invalid CRD files.

flags:
`

// validateList is a repeatable string flag that refuses empty values.
type validateList []string

func (s *validateList) String() string { return strings.Join(*s, ",") }
func (s *validateList) Set(v string) error {
	if v == "" {
		return errors.New("empty value")
	}
	*s = append(*s, v)
	return nil
}

// validateReport is the -o json output.
type validateReport struct {
	Valid    bool                `json:"valid"`
	Files    []string            `json:"files"`
	Objects  int                 `json:"objects"`
	Invalid  int                 `json:"invalid"`
	Skipped  int                 `json:"skipped"`
	Problems []validate.Problem  `json:"problems"`
	CRDs     []validateReportCRD `json:"crds,omitempty"`
}

type validateReportCRD struct {
	Name   string   `json:"name"`
	Source string   `json:"source"`
	Kinds  []string `json:"kinds"`
}

// runValidate implements "render validate"; args are the arguments after
// "validate". It returns the exit status.
func runValidate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("render validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var crds, olds validateList
	fs.Var(&crds, "crds", "CRD `PATH`: a file (CRDs, a List of them, or several documents) or a folder; repeatable; replaces embedded schemas for the same group/version/kind")
	fs.Var(&olds, "old", "previous version of the objects, `PATH` to a file or folder (or - for standard input); checks updates, such as immutable fields (CEL transition rules); repeatable")
	output := fs.String("o", "text", "output `format`: text or json")
	ignoreMissing := fs.Bool("ignore-missing-schemas", false, "skip objects whose kind has no schema instead of reporting them")
	noEmbedded := fs.Bool("no-embedded-schemas", false, "do not use prenv's embedded schemas (only built-in kinds and --crds)")
	listCRDs := fs.Bool("list-crds", false, "with -o json, also list the CRDs in use and their kinds")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), validateUsage)
		fs.PrintDefaults()
	}

	files, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage // the flag package has printed the error and usage
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "render validate: "+format+"\n", a...)
		fmt.Fprintln(stderr, `Run "render validate -h" for usage.`)
		return exitUsage
	}
	if len(files) == 0 {
		return usageErr("no FILE given (use - for standard input)")
	}
	if *output != "text" && *output != "json" {
		return usageErr("-o %q: must be text or json", *output)
	}
	stdinUses := 0
	for _, f := range append(append([]string(nil), files...), olds...) {
		if f == "-" {
			stdinUses++
		}
	}
	if stdinUses > 1 {
		return usageErr("standard input (-) can be read only once")
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "render validate: "+format+"\n", a...)
		return exitUsage
	}

	// Schemas.
	srcs, err := validate.LoadCRDFiles(crds...)
	if err != nil {
		return fail("--crds: %v", err)
	}
	v, err := validate.New(ctx, validate.Options{CRDs: srcs, NoEmbedded: *noEmbedded, IgnoreMissingSchemas: *ignoreMissing})
	if err != nil {
		return fail("--crds: %v", err)
	}
	loaded := v.CRDs()
	for _, p := range crds {
		if !hasCRDFrom(loaded, p) {
			return fail("--crds %s: no CustomResourceDefinition found", p)
		}
	}

	// Previous objects.
	var old []*unstructured.Unstructured
	for _, p := range olds {
		var objs []*unstructured.Unstructured
		if p == "-" {
			data, err := render.ReadAll(stdin, "<stdin>", validate.MaxFileSize)
			if err != nil {
				return fail("--old -: %v", err)
			}
			objs, err = validate.DecodeObjects("<stdin>", data)
			if err != nil {
				return fail("--old: %v", err)
			}
		} else {
			objs, err = validate.LoadObjects(p)
			if err != nil {
				return fail("--old: %v", err)
			}
		}
		old = append(old, objs...)
	}

	// Inputs: all are read before any is validated, so that an unreadable
	// one stops the run with exit status 2 and no partial report.
	var inputs []validate.Source
	for _, f := range files {
		if f == "-" {
			data, err := render.ReadAll(stdin, "<stdin>", validate.MaxFileSize)
			if err != nil {
				return fail("reading standard input: %v", err)
			}
			inputs = append(inputs, validate.Source{Name: "<stdin>", Data: data})
			continue
		}
		s, err := validate.ReadSources(f)
		if err != nil {
			return fail("%v", err)
		}
		if len(s) == 0 {
			return fail("%s: no .yaml, .yml or .json file in this folder", f)
		}
		inputs = append(inputs, s...)
	}

	var total validate.Result
	names := make([]string, 0, len(inputs))
	for _, in := range inputs {
		r, err := v.ValidateStream(ctx, in.Name, in.Data, old)
		if err != nil {
			return fail("%v", err)
		}
		total.Add(r)
		names = append(names, in.Name)
	}

	switch *output {
	case "json":
		rep := validateReport{
			Valid: total.Valid(), Files: names, Objects: total.Objects, Invalid: total.Invalid,
			Skipped: total.Skipped, Problems: total.Problems,
		}
		if rep.Problems == nil {
			rep.Problems = []validate.Problem{}
		}
		if *listCRDs {
			for _, c := range loaded {
				rc := validateReportCRD{Name: c.Name, Source: c.Source, Kinds: []string{}}
				for _, k := range c.Kinds {
					rc.Kinds = append(rc.Kinds, k.GroupVersion().String()+", Kind="+k.Kind)
				}
				rep.CRDs = append(rep.CRDs, rc)
			}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fail("writing output: %v", err)
		}
	default:
		for _, p := range total.Problems {
			fmt.Fprintln(stdout, p.String())
		}
		fmt.Fprintln(stdout, validateSummary(total, len(inputs)))
	}
	if !total.Valid() {
		return exitInvalid
	}
	return exitOK
}

// validateSummary is the last line of text output.
func validateSummary(r validate.Result, files int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s in %s: ", validatePlural(r.Objects, "object"), validatePlural(files, "file"))
	if r.Valid() {
		b.WriteString("valid")
	} else {
		fmt.Fprintf(&b, "%d invalid, %s", r.Invalid, validatePlural(len(r.Problems), "problem"))
	}
	if r.Skipped > 0 {
		fmt.Fprintf(&b, " (%d without schema, not checked)", r.Skipped)
	}
	return b.String()
}

func validatePlural(n int, what string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// hasCRDFrom reports whether a CRD was loaded from path (a file, or a file
// under a folder).
func hasCRDFrom(loaded []validate.LoadedCRD, path string) bool {
	clean := filepath.Clean(path)
	for _, c := range loaded {
		src := filepath.Clean(c.Source)
		if src == clean || strings.HasPrefix(src, clean+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments; everything after "--" is positional.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		consumed := args[:len(args)-len(rest)]
		if len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}
