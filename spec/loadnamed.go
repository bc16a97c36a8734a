package spec

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/agnivade/levenshtein"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"prenv.dev/prenv/internal/specyaml"
)

// LoadNamed is [Load] for the spec file name ("prenv.yaml", "<stdin>"): an
// [*InvalidError] carries name in its File, so that its message names the
// file ("prenv.yaml: invalid spec: 1 problem ..."). The name is only used
// in messages; nothing is read from it.
func LoadNamed(name string, data []byte, overrides ...Override) (*PreviewEnvironment, error) {
	env, err := Load(data, overrides...)
	if inv, ok := errors.AsType[*InvalidError](err); ok {
		inv.File = name
	}
	return env, err
}

// withPositions prefixes each unknown-field error of errs (the Forbidden
// errors of typeErrors) with the line and column where the field is
// written in the file; a field that --set added has none.
func withPositions(errs field.ErrorList, pos specyaml.Positions) field.ErrorList {
	for _, e := range errs {
		if e.Type != field.ErrorTypeForbidden {
			continue
		}
		if at, ok := pos[e.Field]; ok {
			e.Detail = fmt.Sprintf("line %d, column %d: %s", at.Line, at.Column, e.Detail)
		}
	}
	return errs
}

// closestField returns the field of known closest to the last name of p by
// edit distance, ignoring ASCII case, when it is close enough to be a slip
// (at most a third of the name's length, and at least 2 edits, as for IAM
// actions and regions), or "" when none is; a tie goes to the first in
// name order.
func closestField(p *field.Path, known []string) string {
	s := p.String()
	name := s[strings.LastIndexByte(s, '.')+1:]
	known = slices.Sorted(slices.Values(known))
	best, bestDist := "", max(2, len(name)/3)+1
	for _, k := range known {
		if d := levenshtein.ComputeDistance(strings.ToLower(name), strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}
