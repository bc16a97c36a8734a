package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"helm.sh/helm/v3/pkg/strvals"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"
	yaml3 "sigs.k8s.io/yaml/goyaml.v3"
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
// order. Unknown, misspelt or duplicate fields are errors that name the field.
// Load does not check the values: [Render] and [Check] do.
func Load(data []byte, overrides ...Override) (*PreviewEnvironment, error) {
	js, err := specJSON(data)
	if err != nil {
		return nil, err
	}
	if len(overrides) > 0 {
		var m map[string]any
		if err := json.Unmarshal(js, &m); err != nil {
			return nil, &InvalidError{Errs: field.ErrorList{field.Invalid(nil, "", err.Error())}}
		}
		if m == nil {
			m = map[string]any{}
		}
		var errs field.ErrorList
		for i, o := range overrides {
			parse := strvals.ParseInto
			if o.String {
				parse = strvals.ParseIntoString
			}
			if err := parse(o.Expr, m); err != nil {
				errs = append(errs, field.Invalid(field.NewPath("--set").Index(i), o.Expr, err.Error()))
			}
		}
		if len(errs) > 0 {
			return nil, &InvalidError{Errs: errs}
		}
		if js, err = json.Marshal(m); err != nil {
			return nil, err
		}
	}
	var env PreviewEnvironment
	strict, err := sigsjson.UnmarshalStrict(js, &env, sigsjson.DisallowUnknownFields)
	if err != nil {
		return nil, &InvalidError{Errs: field.ErrorList{decodeError(err, js)}}
	}
	if len(strict) > 0 {
		var errs field.ErrorList
		for _, e := range strict {
			errs = append(errs, strictError(e))
		}
		return nil, &InvalidError{Errs: errs}
	}
	return &env, nil
}

// specJSON turns one YAML (or JSON) document into JSON, refusing duplicate
// keys and multi-document input. It reads YAML 1.2, where only true and false
// are booleans: under YAML 1.1 an attribute "type: N" would turn into false.
func specJSON(data []byte) ([]byte, error) {
	dec := yaml3.NewDecoder(bytes.NewReader(data))
	var found any
	docs := 0
	for {
		var node yaml3.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &InvalidError{Errs: field.ErrorList{field.Invalid(nil, field.OmitValueType{}, "not valid YAML: "+err.Error())}}
		}
		if dups := duplicateKeys(&node, nil); len(dups) > 0 {
			return nil, &InvalidError{Errs: dups}
		}
		var v any
		if err := node.Decode(&v); err != nil {
			return nil, &InvalidError{Errs: field.ErrorList{field.Invalid(nil, field.OmitValueType{}, "not valid YAML: "+err.Error())}}
		}
		if v == nil {
			continue
		}
		docs++
		found = v
	}
	switch {
	case docs == 0:
		return nil, &InvalidError{Errs: field.ErrorList{field.Required(nil, "the spec is empty")}}
	case docs > 1:
		return nil, &InvalidError{Errs: field.ErrorList{field.Invalid(nil, fmt.Sprintf("%d documents", docs), "a spec file holds exactly one YAML document")}}
	}
	if _, ok := found.(map[string]any); !ok {
		return nil, &InvalidError{Errs: field.ErrorList{field.Invalid(nil, field.OmitValueType{}, "the spec must be a mapping with string keys")}}
	}
	js, err := json.Marshal(found)
	if err != nil {
		return nil, &InvalidError{Errs: field.ErrorList{field.Invalid(nil, field.OmitValueType{}, "not representable as JSON: "+err.Error())}}
	}
	return js, nil
}

// duplicateKeys lists the keys a YAML mapping repeats, with their paths.
func duplicateKeys(n *yaml3.Node, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	child := func(name string) *field.Path {
		if p == nil {
			return field.NewPath(name)
		}
		return p.Child(name)
	}
	switch n.Kind {
	case yaml3.DocumentNode:
		for _, c := range n.Content {
			errs = append(errs, duplicateKeys(c, p)...)
		}
	case yaml3.MappingNode:
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if line, dup := seen[k]; dup {
				errs = append(errs, field.Duplicate(child(k), fmt.Sprintf("%s (line %d, first on line %d)", k, n.Content[i].Line, line)))
				continue
			}
			seen[k] = n.Content[i].Line
			errs = append(errs, duplicateKeys(n.Content[i+1], child(k))...)
		}
	case yaml3.SequenceNode:
		for i, c := range n.Content {
			var ip *field.Path
			if p == nil {
				ip = field.NewPath("").Index(i)
			} else {
				ip = p.Index(i)
			}
			errs = append(errs, duplicateKeys(c, ip)...)
		}
	}
	return errs
}

// strictError turns sigs.k8s.io/json's strict error ("unknown field \"spec.x\"",
// "duplicate field \"spec.x\"") into a field error at that path.
func strictError(err error) *field.Error {
	msg := err.Error()
	for _, kind := range []string{"unknown field ", "duplicate field "} {
		if rest, ok := strings.CutPrefix(msg, kind); ok {
			path := strings.Trim(rest, `"`)
			if kind == "unknown field " {
				return field.Forbidden(pathOf(path), "unknown field (misspelt, or not in "+APIVersion+")")
			}
			return field.Duplicate(pathOf(path), nil)
		}
	}
	return field.Invalid(nil, "", msg)
}

// decodeError maps a JSON type error to the field it concerns, with list
// indexes (encoding/json's field path has none).
func decodeError(err error, js []byte) *field.Error {
	var ae *accountIDError
	if errors.As(err, &ae) {
		return field.Invalid(field.NewPath("spec", "aws", "accountID"), ae.value, "must be a string of 12 digits")
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		var doc any
		_ = json.Unmarshal(js, &doc)
		p := locate(doc, strings.Split(te.Field, "."), te.Value, nil)
		if p == nil {
			p = pathOf(te.Field)
		}
		return field.Invalid(p, field.OmitValueType{}, fmt.Sprintf("must be of type %s, not %s", jsonType(te.Type.Kind().String()), te.Value))
	}
	return field.Invalid(nil, field.OmitValueType{}, err.Error())
}

// locate follows a dotted field path through a decoded JSON document and
// returns the path, list indexes included, of the first value of JSON type
// kind ("string", "number", "bool", "array", "object") it leads to.
func locate(v any, parts []string, kind string, p *field.Path) *field.Path {
	if list, ok := v.([]any); ok {
		for i, e := range list {
			if found := locate(e, parts, kind, p.Index(i)); found != nil {
				return found
			}
		}
		return nil
	}
	if len(parts) == 0 || (len(parts) == 1 && parts[0] == "") {
		if jsonKind(v) == kind {
			return p
		}
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	next, ok := m[parts[0]]
	if !ok {
		return nil
	}
	if p == nil {
		return locate(next, parts[1:], kind, field.NewPath(parts[0]))
	}
	return locate(next, parts[1:], kind, p.Child(parts[0]))
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "null"
}

func jsonType(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "int", "int64", "int32", "uint", "uint64":
		return "integer"
	case "slice", "array":
		return "list"
	case "map", "struct", "ptr":
		return "object"
	}
	return goKind
}

func pathOf(dotted string) *field.Path {
	if dotted == "" {
		return nil
	}
	parts := strings.Split(dotted, ".")
	return field.NewPath(parts[0], parts[1:]...)
}

// InvalidError is returned for a spec that breaks one or more rules. Errs
// lists every problem, each with its field path.
type InvalidError struct {
	Errs field.ErrorList
}

func (e *InvalidError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid spec: %d problem", len(e.Errs))
	if len(e.Errs) != 1 {
		b.WriteString("s")
	}
	for _, fe := range e.Errs {
		b.WriteString("\n  ")
		b.WriteString(fe.Error())
	}
	return b.String()
}
