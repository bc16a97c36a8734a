package schema

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/invopop/jsonschema"
	"prenv.dev/prenv/spec"
)

// SpecReference returns the spec's field reference in Markdown: one row
// per field, with its type, default, rules and description, generated from
// the same schema as [JSONSchema] (docs/spec-reference.md is a copy that a
// test keeps in sync).
func SpecReference() ([]byte, error) {
	s, err := specSchema()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Spec reference (%s)\n\n", spec.APIVersion)
	b.WriteString("<!-- Generated from the Go types and the checks' constants by\n")
	b.WriteString("     go test ./spec/schema -run TestSpecReferenceInSync -update; do not edit. -->\n\n")
	b.WriteString("Every field of `prenv.yaml`, in the order of the file. `[]` stands for\n")
	b.WriteString("each element of a list and `{}` for each value of a map. Ranges include\n")
	b.WriteString("both bounds; lengths count characters. The JSON Schema\n")
	b.WriteString("(`schemas/prenv.schema.json`, `render schema`) carries the same rules.\n\n")
	b.WriteString("| field | type | default | rules | description |\n")
	b.WriteString("|---|---|---|---|---|\n")
	w := &refWriter{root: s, b: &b}
	w.object(w.deref(s), "")
	return b.Bytes(), nil
}

type refWriter struct {
	root *jsonschema.Schema
	b    *bytes.Buffer
}

func (w *refWriter) deref(s *jsonschema.Schema) *jsonschema.Schema {
	for s != nil && s.Ref != "" {
		s = w.root.Definitions[strings.TrimPrefix(s.Ref, "#/$defs/")]
	}
	return s
}

// object writes a row for each property of s, and the rows of their
// fields after each.
func (w *refWriter) object(s *jsonschema.Schema, prefix string) {
	if s == nil || s.Properties == nil {
		return
	}
	for pair := s.Properties.Oldest(); pair != nil; pair = pair.Next() {
		path := prefix + pair.Key
		prop := pair.Value
		desc := prop.Description
		f := w.deref(prop)
		if desc == "" {
			desc = f.Description
		}
		rules := w.rules(f)
		if containsString(s.Required, pair.Key) {
			rules = append([]string{"required"}, rules...)
		}
		def := ""
		if f.Default != nil {
			def = fmt.Sprintf("`%v`", f.Default)
		}
		fmt.Fprintf(w.b, "| `%s` | %s | %s | %s | %s |\n", path, w.typeName(f), def, cell(strings.Join(rules, "; ")), text(desc))
		switch {
		case f.Type == "object" && f.Properties != nil:
			w.object(f, path+".")
		case f.Type == "array" && f.Items != nil:
			item := w.deref(f.Items)
			if item.Properties != nil {
				w.object(item, path+"[].")
			} else if r := w.rules(item); len(r) > 0 {
				fmt.Fprintf(w.b, "| `%s[]` | %s |  | %s | each element |\n", path, w.typeName(item), cell(strings.Join(r, "; ")))
			}
		case f.Type == "object" && f.AdditionalProperties != nil:
			val := w.deref(f.AdditionalProperties)
			if val.Properties != nil {
				w.object(val, path+"{}.")
			} else if r := w.rules(val); len(r) > 0 {
				fmt.Fprintf(w.b, "| `%s{}` | %s |  | %s | each value |\n", path, w.typeName(val), cell(strings.Join(r, "; ")))
			}
		}
	}
}

func (w *refWriter) typeName(s *jsonschema.Schema) string {
	switch {
	case s.OneOf != nil:
		var alts []string
		for _, o := range s.OneOf {
			alts = append(alts, w.typeName(w.deref(o)))
		}
		return strings.Join(alts, " or ")
	case s.Type == "array" && s.Items != nil:
		return "list of " + w.typeName(w.deref(s.Items))
	case s.Type == "object" && s.Properties == nil && s.AdditionalProperties != nil:
		return "map of " + w.typeName(w.deref(s.AdditionalProperties))
	}
	return s.Type
}

// rules lists what the schema requires of a value.
func (w *refWriter) rules(s *jsonschema.Schema) []string {
	var r []string
	if len(s.Enum) > 0 {
		var vals []string
		for _, v := range s.Enum {
			vals = append(vals, fmt.Sprintf("`%v`", v))
		}
		r = append(r, "one of "+strings.Join(vals, ", "))
	}
	switch {
	case s.Minimum != "" && s.Maximum != "":
		r = append(r, fmt.Sprintf("%s to %s", s.Minimum, s.Maximum))
	case s.Minimum != "":
		r = append(r, "at least "+string(s.Minimum))
	case s.Maximum != "":
		r = append(r, "at most "+string(s.Maximum))
	}
	switch {
	case s.MinLength != nil && s.MaxLength != nil:
		r = append(r, fmt.Sprintf("%d to %d characters", *s.MinLength, *s.MaxLength))
	case s.MaxLength != nil:
		r = append(r, fmt.Sprintf("at most %d characters", *s.MaxLength))
	case s.MinLength != nil:
		r = append(r, fmt.Sprintf("at least %d characters", *s.MinLength))
	}
	if s.Pattern != "" {
		r = append(r, "matches `"+s.Pattern+"`")
	}
	if s.MaxItems != nil {
		r = append(r, fmt.Sprintf("at most %d items", *s.MaxItems))
	}
	if s.MaxProperties != nil {
		r = append(r, fmt.Sprintf("at most %d entries", *s.MaxProperties))
	}
	for _, o := range s.OneOf {
		r = append(r, w.rules(w.deref(o))...)
	}
	return r
}

// text escapes prose for a Markdown table cell: <env> is a placeholder,
// not an HTML tag.
func text(s string) string {
	return cell(strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(s))
}

// cell escapes text for a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
