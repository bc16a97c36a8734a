package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/spec"
	"prenv.dev/prenv/validate"
)

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
func (s *validateList) repeatable() {}

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
	fs := newFlagSet("validate", "[flags] FILE|DIR|-...", stderr)
	var crds, olds validateList
	fs.Var(&crds, "crds", "CRD `PATH`: a file (CRDs, a List of them, or several documents) or a folder; repeatable; replaces embedded schemas for the same group/version/kind")
	fs.Var(&olds, "old", "previous version of the objects: `PATH` to a file or a folder of .yaml/.yml/.json files (or - for standard input); checks updates, such as immutable fields (CEL transition rules); repeatable")
	output := fs.String("o", "text", "output `FORMAT`: text or json")
	ignoreMissing := fs.Bool("ignore-missing-schemas", false, "skip objects whose kind has no schema instead of reporting them")
	noEmbedded := fs.Bool("no-embedded-schemas", false, "do not use prenv's embedded schemas (only built-in kinds and --crds)")
	listCRDs := fs.Bool("list-crds", false, "with -o json, also list the CRDs in use and their kinds")

	var files []string
	if code, ok := parseWith(fs, args, func(args []string) (err error) {
		files, err = parseInterleaved(fs, args)
		return err
	}); !ok {
		return code
	}
	usageErr := func(format string, a ...any) int {
		return usageError(stderr, "validate", format, a...)
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
			data, err := spec.ReadAll(stdin, "<stdin>", validate.MaxFileSize)
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
			data, err := spec.ReadAll(stdin, "<stdin>", validate.MaxFileSize)
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
		if errors.Is(err, validate.ErrEmbeddedSchema) {
			return internalError(stderr, "%v", err)
		}
		if err != nil {
			return fail("%v", err)
		}
		total.Add(r)
		names = append(names, in.Name)
	}

	addDuplicates(&total, inputs)

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

// addDuplicates adds to r a problem for each object of inputs that another
// object, in the same file or another, has the group, kind, namespace and
// name of, keeping the problems in input order.
func addDuplicates(r *validate.Result, inputs []validate.Source) {
	dups := validate.Duplicates(inputs)
	if len(dups) == 0 {
		return
	}
	type at struct {
		file      string
		doc, item int
	}
	invalid := map[at]bool{}
	for _, p := range r.Problems {
		invalid[at{p.File, p.Document, p.Item}] = true
	}
	for _, p := range dups {
		if k := (at{p.File, p.Document, p.Item}); !invalid[k] {
			invalid[k] = true
			r.Invalid++
		}
	}
	order := map[string]int{}
	for i, in := range inputs {
		if _, ok := order[in.Name]; !ok {
			order[in.Name] = i
		}
	}
	r.Problems = append(r.Problems, dups...)
	slices.SortStableFunc(r.Problems, func(a, b validate.Problem) int {
		return cmp.Or(cmp.Compare(order[a.File], order[b.File]), cmp.Compare(a.Document, b.Document), cmp.Compare(a.Item, b.Item))
	})
}
