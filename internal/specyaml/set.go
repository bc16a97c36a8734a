package specyaml

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"helm.sh/helm/v3/pkg/strvals"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Set is one override of a document's field in Helm's --set syntax (helm's
// strvals parser): "spec.prefix=pr", "spec.sqs.queues[0].fifo=true".
type Set struct {
	// Expr is the path=value expression.
	Expr string
	// String keeps every value a string, as helm's --set-string does.
	String bool
}

// MaxSetIndex is the largest list index a [Set] may name: no list of a
// spec may hold more (tables and queues at most 256 each). Helm's parser
// would otherwise build a list up to the index it is given, 65,536
// elements for "queues[65536]", and every check would then run over them.
const MaxSetIndex = 1023

// SetStringHint ends the message for a value that --set made a number or
// a boolean where the document takes a string.
const SetStringHint = "--set reads digits and true/false as a number or a boolean; use --set-string for a string"

// ApplySets applies sets in order to js, a JSON object (null is an empty
// one), and returns the result as JSON. A set that helm's parser refuses,
// or that names a list index over [MaxSetIndex], is an error at
// --set[<index>], all of them at once; JSON that is not an object is an
// error of the whole file ([FileField]). The returned error is set only
// when the result cannot be written as JSON (a bug).
func ApplySets(js []byte, sets []Set) ([]byte, field.ErrorList, error) {
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		return nil, field.ErrorList{FileError(0, 0, field.Invalid(nil, field.OmitValueType{}, err.Error()))}, nil
	}
	if m == nil {
		m = map[string]any{}
	}
	var errs field.ErrorList
	for i, o := range sets {
		if err := checkSetIndexes(o.Expr); err != "" {
			errs = append(errs, field.Invalid(field.NewPath("--set").Index(i), o.Expr, err))
			continue
		}
		parse := strvals.ParseInto
		if o.String {
			parse = strvals.ParseIntoString
		}
		if err := parse(o.Expr, m); err != nil {
			errs = append(errs, field.Invalid(field.NewPath("--set").Index(i), o.Expr, err.Error()))
		}
	}
	if len(errs) > 0 {
		return nil, errs, nil
	}
	out, err := json.Marshal(m)
	return out, nil, err
}

// SetStringHints adds [SetStringHint] to the errors of string fields that
// a set (not --set-string) gave a number or a boolean: helm's parser reads
// "--set spec.tags.cost=1234" as the number 1234, which a string field
// refuses rather than turn into another text.
func SetStringHints(errs field.ErrorList, sets []Set) field.ErrorList {
	set := map[string]bool{}
	for _, o := range sets {
		if !o.String {
			path, _, _ := strings.Cut(o.Expr, "=")
			set[strings.ReplaceAll(path, `\.`, ".")] = true
		}
	}
	for _, e := range errs {
		if set[e.Field] && (e.Detail == "must be of type string, not number" || e.Detail == "must be of type string, not boolean") {
			e.Detail += "; " + SetStringHint
		}
	}
	return errs
}

// checkSetIndexes refuses a set whose path (before the first '=') names a
// list index over [MaxSetIndex].
func checkSetIndexes(expr string) string {
	path, _, _ := strings.Cut(expr, "=")
	for {
		i := strings.IndexByte(path, '[')
		if i < 0 {
			return ""
		}
		j := strings.IndexByte(path[i:], ']')
		if j < 0 {
			return ""
		}
		if n, err := strconv.Atoi(path[i+1 : i+j]); err == nil && n > MaxSetIndex {
			return fmt.Sprintf("list index %d is beyond every list of a spec (at most %d)", n, MaxSetIndex)
		}
		path = path[i+j+1:]
	}
}
