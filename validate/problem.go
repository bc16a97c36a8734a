package validate

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Problem types beyond the apimachinery field.ErrorType values
// ("FieldValueRequired", "FieldValueInvalid", "FieldValueTypeInvalid", ...),
// which Problem.Type otherwise carries unchanged.
const (
	// TypeUnknownField is a field that the schema does not declare: the API
	// server drops it, and refuses the object under strict field validation
	// (kubectl apply --validate=strict, the default).
	TypeUnknownField = "FieldValueUnknown"
	// TypeDuplicateField is a key given twice in the same YAML or JSON map.
	TypeDuplicateField = "FieldValueDuplicateKey"
	// TypeSchemaMissing is an object whose group/version/kind has no schema:
	// neither a built-in kind nor a loaded CustomResourceDefinition.
	TypeSchemaMissing = "SchemaMissing"
	// TypeDocumentInvalid is a document that is not YAML or JSON, or not an
	// object.
	TypeDocumentInvalid = "DocumentInvalid"
)

// Problem is one reason why an object would be refused.
type Problem struct {
	// File is the name the stream was given (ValidateStream's name); empty
	// for ValidateObjects.
	File string `json:"file,omitempty"`
	// Document is the 1-based position of the document in the stream,
	// counting only documents that are not empty (comments and blank lines
	// alone do not count). For ValidateObjects it is the index in the slice
	// plus one.
	Document int `json:"document"`
	// Line is the 1-based line of the stream where the document starts, or 0
	// when not known.
	Line int `json:"line,omitempty"`
	// Item is the 1-based position of the object in the items of a List
	// document, or 0 when the document is not a List.
	Item       int    `json:"item,omitempty"`
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name,omitempty"`
	// Field is the path of the offending field, as the API server writes it
	// (for example "spec.keySchema" or "metadata.labels"); empty when the
	// problem concerns the whole object.
	Field string `json:"field,omitempty"`
	// Type is a field.ErrorType value (for example "FieldValueRequired") or
	// one of the Type* constants of this package.
	Type string `json:"type"`
	// Message is the problem without the field path, worded as the API
	// server words it (for example `Required value` or
	// `Invalid value: "string": ...`).
	Message string `json:"message"`
}

// Location is "FILE:DOC", or "#DOC" when there is no file name; a List item
// adds "[ITEM]".
func (p Problem) Location() string {
	var b strings.Builder
	if p.File != "" {
		fmt.Fprintf(&b, "%s:%d", p.File, p.Document)
	} else {
		fmt.Fprintf(&b, "#%d", p.Document)
	}
	if p.Item > 0 {
		fmt.Fprintf(&b, "[%d]", p.Item)
	}
	return b.String()
}

// Object is "Kind/name", or "Kind" or "<unknown>" when those are missing.
func (p Problem) Object() string {
	kind := p.Kind
	if kind == "" {
		kind = "<unknown>"
	}
	if p.Name == "" {
		return kind
	}
	return kind + "/" + p.Name
}

// String is the grep-able form "FILE:DOC Kind/name: field: message"; the
// "field: " part is left out when the problem has no field.
func (p Problem) String() string {
	if p.Field == "" {
		return p.Location() + " " + p.Object() + ": " + p.Message
	}
	return p.Location() + " " + p.Object() + ": " + p.Field + ": " + p.Message
}

// Result is the outcome of a validation.
type Result struct {
	// Objects counts the objects looked at (the items of a List count one
	// by one; empty documents do not count).
	Objects int `json:"objects"`
	// Invalid counts the objects with at least one problem.
	Invalid int `json:"invalid"`
	// Skipped counts the objects not checked for want of a schema
	// (Options.IgnoreMissingSchemas).
	Skipped int `json:"skipped"`
	// Problems lists every problem, in input order.
	Problems []Problem `json:"problems"`
}

// Valid reports whether no problem was found.
func (r Result) Valid() bool { return len(r.Problems) == 0 }

// Add appends the counts and problems of another result.
func (r *Result) Add(o Result) {
	r.Objects += o.Objects
	r.Invalid += o.Invalid
	r.Skipped += o.Skipped
	r.Problems = append(r.Problems, o.Problems...)
}

// Err is nil when the result is valid and an *InvalidError otherwise.
func (r Result) Err() error {
	if r.Valid() {
		return nil
	}
	return &InvalidError{Result: r}
}

// ErrInvalid matches (with errors.Is) the error of a result with problems.
var ErrInvalid = errors.New("invalid objects")

// ErrInvalidCRD matches (with errors.Is) a *CRDError.
var ErrInvalidCRD = errors.New("invalid CustomResourceDefinition")

// ErrEmbeddedSchema matches (with errors.Is) the error of a validation
// that needed one of prenv's embedded schemas and could not decode it: a
// bug in prenv, not in the input (it also matches ErrInvalidCRD).
var ErrEmbeddedSchema = errors.New("prenv's embedded schema cannot be used (a bug in prenv)")

// InvalidError is the error form of a Result with problems.
type InvalidError struct {
	Result Result
}

func (e *InvalidError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d objects invalid (%d problems)", e.Result.Invalid, e.Result.Objects, len(e.Result.Problems))
	const show = 20
	for i, p := range e.Result.Problems {
		if i == show {
			fmt.Fprintf(&b, "\n... and %d more", len(e.Result.Problems)-show)
			break
		}
		b.WriteString("\n")
		b.WriteString(p.String())
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// CRDError is a CustomResourceDefinition input that cannot be used: not
// decodable, or refused by the API server's own CRD validation (which
// includes the structural-schema rules and the compilation of CEL rules).
type CRDError struct {
	// Source is the name of the Source the CRD came from.
	Source string
	// Document is the 1-based position of the document in the source (0 if
	// not known); Item the 1-based position in a List, or 0.
	Document, Item int
	// Name is the CRD's metadata.name, when known.
	Name string
	// Errs are the validation errors of the CRD, if it could be decoded.
	Errs field.ErrorList
	// Err is the decoding error, if it could not.
	Err error
}

func (e *CRDError) Error() string {
	loc := e.Source
	if e.Document > 0 {
		loc = fmt.Sprintf("%s:%d", loc, e.Document)
	}
	if e.Item > 0 {
		loc = fmt.Sprintf("%s[%d]", loc, e.Item)
	}
	what := "CustomResourceDefinition"
	if e.Name != "" {
		what += " " + e.Name
	}
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", loc, what, e.Err)
	}
	msgs := make([]string, 0, len(e.Errs))
	for _, fe := range e.Errs {
		msgs = append(msgs, fe.Error())
	}
	return fmt.Sprintf("%s: %s is invalid: %s", loc, what, strings.Join(msgs, "; "))
}

// Is makes errors.Is(err, ErrInvalidCRD) true.
func (e *CRDError) Is(target error) bool { return target == ErrInvalidCRD }

// Unwrap returns the decoding error, if any.
func (e *CRDError) Unwrap() error { return e.Err }

// fieldProblem is a problem before the object's identity is attached.
type fieldProblem struct {
	Field, Type, Message string
}

func fromFieldErrors(errs field.ErrorList) []fieldProblem {
	out := make([]fieldProblem, 0, len(errs))
	for _, e := range errs {
		out = append(out, fromFieldError(e))
	}
	return out
}

func fromFieldError(e *field.Error) fieldProblem {
	f := e.Field
	if f == "<nil>" {
		f = ""
	}
	return fieldProblem{Field: f, Type: string(e.Type), Message: e.ErrorBody()}
}

func unknownField(path string) fieldProblem {
	return fieldProblem{Field: path, Type: TypeUnknownField, Message: "unknown field"}
}

// dedupe drops repeated problems, keeping the first of each.
func dedupe(ps []fieldProblem) []fieldProblem {
	if len(ps) < 2 {
		return ps
	}
	seen := make(map[fieldProblem]bool, len(ps))
	out := ps[:0]
	for _, p := range ps {
		if seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, p)
	}
	return out
}
