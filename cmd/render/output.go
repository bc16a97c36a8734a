package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/validate"
)

// outputGroup is objects validated together, and what names them in
// messages (problems are numbered within the group).
type outputGroup struct {
	what string
	objs []*unstructured.Unstructured
}

// validateRendered validates each group as the API server would, against
// prenv's embedded schemas or --crds, and stops at the first group with
// problems. A failure is the user's (1) when their templates, chart,
// kustomization or CRDs were in play, prenv's bug (3) otherwise.
func validateRendered(ctx context.Context, cmd string, crdPaths []string, userShaped bool, stderr io.Writer, groups ...outputGroup) int {
	_, code := newRenderedValidator(ctx, cmd, crdPaths, userShaped, stderr, groups...)
	return code
}

// newRenderedValidator is validateRendered that also returns the validator,
// for further checks with the same schemas.
func newRenderedValidator(ctx context.Context, cmd string, crdPaths []string, userShaped bool, stderr io.Writer, groups ...outputGroup) (*validate.Validator, int) {
	srcs, err := validate.LoadCRDFiles(crdPaths...)
	if err != nil {
		fmt.Fprintf(stderr, "render %s: --crds: %v\n", cmd, err)
		return nil, exitUsage
	}
	v, err := validate.New(ctx, validate.Options{CRDs: srcs})
	if err != nil {
		fmt.Fprintf(stderr, "render %s: --crds: %v\n", cmd, err)
		return nil, exitUsage
	}
	for _, g := range groups {
		res, err := v.ValidateObjects(ctx, g.objs, nil)
		if err != nil {
			fmt.Fprintf(stderr, "render %s: %v\n", cmd, err)
			return nil, exitInternal
		}
		if res.Valid() {
			continue
		}
		for _, p := range res.Problems {
			fmt.Fprintf(stderr, "  %s\n", p.String())
		}
		if userShaped {
			fmt.Fprintf(stderr, "render %s: %s is not valid (%d problem(s) above); check the templates, chart, kustomization or CRDs you passed\n", cmd, g.what, len(res.Problems))
			return nil, exitInvalid
		}
		fmt.Fprintf(stderr, "render %s: %s, as rendered, is not valid (%d problem(s) above). This is a bug in prenv, not in your spec: please report it with the spec.\n", cmd, g.what, len(res.Problems))
		return nil, exitInternal
	}
	return v, exitOK
}

// objectsJSON is objs as JSON, indented, keys sorted, < > & as they are:
// one object as itself, several as a v1 List (what kubectl get -o json
// prints and kubectl apply -f reads).
func objectsJSON(objs []*unstructured.Unstructured, list bool) ([]byte, error) {
	var v any
	if list {
		items := make([]any, len(objs))
		for i, o := range objs {
			items[i] = o.Object
		}
		v = map[string]any{"apiVersion": "v1", "kind": "List", "items": items}
	} else {
		v = objs[0].Object
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// outputFormat checks an -o flag of a command that prints objects.
func outputFormat(cmd, format string, stderr io.Writer) int {
	if format != "yaml" && format != "json" {
		return usageError(stderr, cmd, "-o %q: must be yaml or json", format)
	}
	return exitOK
}
