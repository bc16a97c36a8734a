package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"prenv.dev/prenv/internal/errlist"
	"prenv.dev/prenv/internal/specyaml"
	sigsjson "sigs.k8s.io/json"
)

// Override is one --set style override of a spec field, in Helm's --set
// syntax (helm's strvals parser): "spec.prefix=pr", "spec.sqs.queues[0].fifo=true".
type Override struct {
	// Expr is the path=value expression.
	Expr string
	// String keeps every value a string, as helm's --set-string does.
	String bool
}

// Load decodes a spec strictly from YAML or JSON and applies the overrides in
// order. Unknown, misspelt or duplicate fields and values of the wrong type
// are errors that name the field, list indexes and map keys included; all of
// them are reported at once; an unknown field also gets the line and
// column where it is written and the closest field of its object
// ("did you mean"). Load does not check the values: [render.Render] and
// [Check] do. [LoadNamed] also names the file in the error.
func Load(data []byte, overrides ...Override) (*PreviewEnvironment, error) {
	js, pos, err := specJSON(data)
	if err != nil {
		return nil, err
	}
	sets := make([]specyaml.Set, len(overrides))
	for i, o := range overrides {
		sets[i] = specyaml.Set(o)
	}
	if len(sets) > 0 {
		var errs field.ErrorList
		if js, errs, err = specyaml.ApplySets(js, sets); err != nil {
			return nil, err
		}
		if len(errs) > 0 {
			return nil, &InvalidError{Errs: errs}
		}
	}
	// Every value of the wrong JSON type and every unknown field is reported
	// at its own path, list indexes and map keys included, before the strict
	// decoder runs: a type error of the decoder names one problem only, and
	// neither the list index nor the map key it is under.
	if errs := specyaml.TypeErrors(js, reflect.TypeFor[PreviewEnvironment](), pos, specTypeRules); len(errs) > 0 {
		return nil, &InvalidError{Errs: specyaml.SetStringHints(errs, sets)}
	}
	var env PreviewEnvironment
	strict, err := sigsjson.UnmarshalStrict(js, &env, sigsjson.DisallowUnknownFields)
	if err != nil {
		return nil, &InvalidError{Errs: field.ErrorList{decodeError(err, js)}}
	}
	if len(strict) > 0 {
		var errs field.ErrorList
		for _, e := range strict {
			errs = append(errs, specyaml.StrictError(e, unknownFieldError))
		}
		return nil, &InvalidError{Errs: errs}
	}
	return &env, nil
}

// SetStringHint ends the message for a value that --set made a number or
// a boolean where the spec takes a string.
const SetStringHint = specyaml.SetStringHint

// MaxOverrideIndex is the largest list index an override may name: no list
// of a spec may hold more (tables and queues at most 256 each). Helm's
// parser would otherwise build a list up to the index it is given, 65,536
// elements for "queues[65536]", and every check would then run over them.
const MaxOverrideIndex = specyaml.MaxSetIndex

// specJSON turns one YAML (or JSON) spec document into JSON: see
// [specyaml.Document]. It reads YAML 1.2, where only true and false are booleans:
// under YAML 1.1 an attribute "type: N" would turn into false.
func specJSON(data []byte) ([]byte, specyaml.Positions, error) {
	m, pos, errs := specyaml.DocumentPositions(data)
	if len(errs) > 0 {
		return nil, nil, &InvalidError{Errs: errs}
	}
	js, err := json.Marshal(m)
	if err != nil {
		return nil, nil, &InvalidError{Errs: field.ErrorList{specyaml.FileError(0, 0, field.Invalid(nil, field.OmitValueType{}, "not representable as JSON: "+err.Error()))}}
	}
	return js, pos, nil
}

// decodeError maps a decoding error to the field it concerns
// ([specyaml.DecodeError]); an account ID that is not 12 digits is at
// spec.aws.accountID.
func decodeError(err error, js []byte) *field.Error {
	var ae *accountIDError
	if errors.As(err, &ae) {
		return field.Invalid(field.NewPath("spec", "aws", "accountID"), ae.value, "must be a string of 12 digits")
	}
	return specyaml.DecodeError(err, js)
}

// InvalidError is returned for a spec that breaks one or more rules. Errs
// lists every problem, each with its field path; File names the spec file
// when it was read with [LoadNamed] ("" otherwise).
type InvalidError struct {
	Errs field.ErrorList
	File string
}

func (e *InvalidError) Error() string {
	if e.File != "" {
		return errlist.Format(e.File+": invalid spec", e.Errs)
	}
	return errlist.Format("invalid spec", e.Errs)
}

// unknownFieldError is the error for a field the spec's types do not have;
// known are the fields of its object. Fields of IAM's policy grammar that
// prenv leaves out on purpose say why; a misspelling of a known field
// names it.
func unknownFieldError(p *field.Path, known []string) *field.Error {
	if stmt, name, ok := statementField(p); ok {
		switch strings.ToLower(name) {
		case "principal", "principals", "notprincipal", "notprincipals":
			// IAM User Guide, "Grammar of the IAM JSON policy language": the
			// principal_block "must not be included in identity-based
			// policies"; IAM refuses the policy.
			return field.Forbidden(p, "an identity-based policy has no Principal (IAM refuses one): the statements of "+stmt+" apply to the env's Role, whose trust policy names the one principal, the env's ServiceAccount")
		case "notaction", "notactions":
			return field.Forbidden(p, "NotAction is not supported: with Allow it grants every action of every AWS service that it does not list; list the actions to allow or deny in actions")
		case "notresource", "notresources":
			return field.Forbidden(p, "NotResource is not supported: with Allow it grants the actions on every resource it does not list, in any account; list the resources in resources")
		}
		// IAM's own spelling of a field prenv has (Effect, Action, Resource,
		// Condition, Sid), as in a statement pasted from a policy.
		if want, ok := statementFieldNames[strings.ToLower(name)]; ok && want != name {
			return field.Forbidden(p, fmt.Sprintf("unknown field: a statement's field is %s (prenv's fields are sid, effect, actions, resources and conditions)", want))
		}
	}
	if want := specyaml.ClosestField(p, known); want != "" {
		return field.Forbidden(p, fmt.Sprintf("unknown field; did you mean %q?", want))
	}
	return field.Forbidden(p, "unknown field (misspelt, or not in "+APIVersion+")")
}

// statementFieldNames maps IAM's names of a statement's elements, in lower
// case, to prenv's fields.
var statementFieldNames = map[string]string{
	"sid": "sid", "effect": "effect",
	"action": "actions", "actions": "actions",
	"resource": "resources", "resources": "resources",
	"condition": "conditions", "conditions": "conditions",
}

// statementField reports whether p is a field of one of
// spec.iam.statements, with that statement's path and the field's name.
func statementField(p *field.Path) (stmt, name string, ok bool) {
	s := p.String()
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return "", "", false
	}
	stmt, name = s[:i], s[i+1:]
	rest, found := strings.CutPrefix(stmt, "spec.iam.statements[")
	if !found || !strings.HasSuffix(rest, "]") {
		return "", "", false
	}
	if _, err := strconv.Atoi(strings.TrimSuffix(rest, "]")); err != nil {
		return "", "", false
	}
	return stmt, name, true
}

// specTypeRules are the spec's own rules of [specyaml.TypeErrors]: the
// types that decode themselves, and the error for an unknown field.
var specTypeRules = specyaml.TypeRules{Special: specialTypeErrors, Unknown: unknownFieldError}

var (
	accountIDType  = reflect.TypeFor[AccountID]()
	stringListType = reflect.TypeFor[StringList]()
	quantityType   = reflect.TypeFor[Quantity]()
)

// specialTypeErrors checks v, a JSON value decoded with UseNumber, against
// the spec's types that decode themselves (AccountID, StringList,
// Quantity); false for any other type.
func specialTypeErrors(v any, t reflect.Type, p *field.Path) (field.ErrorList, bool) {
	switch t {
	case accountIDType:
		switch x := v.(type) {
		case string:
			return nil, true
		case json.Number:
			// Only --set gives a number here (a spec file's number is read
			// by specReader.accountIDNumber): helm's parser reads 12345 as
			// a number, and keeps digits with a leading zero as a string.
			if specyaml.IsAccountDigits(x.String()) {
				return nil, true
			}
			return field.ErrorList{field.Invalid(p, x.String(), "a number as account ID must be exactly 12 digits; give all 12 digits, or use --set-string spec.aws.accountID=... so that the value is read as written")}, true
		}
		return field.ErrorList{field.Invalid(p, field.OmitValueType{}, "must be a string of 12 digits, not "+specyaml.ValueKind(v))}, true
	case stringListType:
		switch x := v.(type) {
		case string:
			return nil, true
		case []any:
			var errs field.ErrorList
			for i, e := range x {
				if _, ok := e.(string); !ok && e != nil {
					errs = append(errs, specyaml.Mismatch(p.Index(i), e, "string"))
				}
			}
			return errs, true
		}
		return field.ErrorList{specyaml.Mismatch(p, v, "string or list of strings")}, true
	case quantityType:
		switch v.(type) {
		case string, json.Number:
			return nil, true
		}
		return field.ErrorList{specyaml.Mismatch(p, v, "string or number")}, true
	}
	return nil, false
}
