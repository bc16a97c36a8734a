package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/invopop/jsonschema"
	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/spec"
)

// SchemaID is the $id of the spec's JSON Schema.
const SchemaID = "https://prenv.dev/schemas/prenv.schema.json"

// JSONSchema returns the JSON Schema of the spec, generated from the Go
// types, for editors (yaml-language-server) and other tools. Unknown fields
// are refused, as [spec.Load] refuses them. Every field carries its Go doc
// comment as description, and the defaults, allowed values and ranges that
// [spec.Check] applies, from the same constants (see [spec.SchemaRules]).
func JSONSchema() ([]byte, error) {
	s, err := specSchema()
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Write(b)
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// specSchema reflects the spec's types and applies [spec.SchemaRules].
func specSchema() (*jsonschema.Schema, error) {
	docs, err := goDocs(spec.GoSources())
	if err != nil {
		return nil, err
	}
	r := &jsonschema.Reflector{
		// A field without omitempty is required, as Load and Check treat it.
		RequiredFromJSONSchemaTags: false,
		AllowAdditionalProperties:  false,
		LookupComment: func(t reflect.Type, fieldName string) string {
			if fieldName == "" {
				return docs[t.Name()]
			}
			doc := docs[t.Name()+"."+fieldName]
			f, ok := t.FieldByName(fieldName)
			if ok && doc == "" {
				// A field of a documented type without a comment of its
				// own: the type's comment.
				ft := f.Type
				for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
					ft = ft.Elem()
				}
				doc = docs[ft.Name()]
			}
			if ok && doc != "" && docs[t.Name()+"."+fieldName] != "" {
				doc = specNames(t, doc)
			}
			return doc
		},
	}
	s := r.Reflect(&spec.PreviewEnvironment{})
	s.ID = SchemaID
	s.Title = "prenv PreviewEnvironment (" + spec.APIVersion + ")"
	for _, rule := range spec.SchemaRules() {
		fs, err := schemaAt(s, rule.Path)
		if err != nil {
			return nil, err
		}
		applyRule(rule, fs)
	}
	if err := knownRegions(s); err != nil {
		return nil, err
	}
	return s, nil
}

// knownRegions makes spec.aws.region one of prenv's known regions
// (awsrules.KnownRegions, every partition) unless allowUnknownRegion is
// true, as [spec.Check] does; with it, the region's pattern alone holds.
// Which partition a region belongs to is left to Check.
func knownRegions(s *jsonschema.Schema) error {
	aws, err := schemaAt(s, "spec.aws")
	if err != nil {
		return err
	}
	if _, ok := aws.Properties.Get("region"); !ok {
		return fmt.Errorf("spec.aws has no region")
	}
	var regions []any
	byPartition := awsrules.KnownRegions()
	for _, p := range slices.Sorted(maps.Keys(byPartition)) {
		for _, r := range byPartition[p] {
			regions = append(regions, r)
		}
	}
	allow := jsonschema.NewProperties()
	allow.Set("allowUnknownRegion", &jsonschema.Schema{Const: true})
	known := jsonschema.NewProperties()
	known.Set("region", &jsonschema.Schema{Enum: regions})
	aws.If = &jsonschema.Schema{Properties: allow, Required: []string{"allowUnknownRegion"}}
	aws.Then = nil
	aws.Else = &jsonschema.Schema{Properties: known}
	return nil
}

// specNames rewrites a field's doc comment in the spec's words: the Go
// names of t's fields become their names in the spec ("TokenSecret" is
// "tokenSecret"). Names in capitals (AWS, FIFO, API) are words of the text
// too, so they change only where they start the comment.
func specNames(t reflect.Type, doc string) string {
	words := strings.Split(doc, " ")
	for i, w := range words {
		core := strings.TrimRight(w, ".,;:)")
		f, ok := t.FieldByName(core)
		if !ok || core == "" || (i > 0 && strings.ToUpper(core) == core) {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			words[i] = name + w[len(core):]
		}
	}
	return strings.Join(words, " ")
}

// goDocs reads the doc comments of the types in the Go files of fsys and
// of their fields, as "Type" and "Type.Field", each on one line.
func goDocs(fsys fs.FS) (map[string]string, error) {
	docs := map[string]string{}
	names, err := fs.Glob(fsys, "*.go")
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	for _, name := range names {
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				doc := ts.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				docs[ts.Name.Name] = oneLine(doc)
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, fld := range st.Fields.List {
					for _, n := range fld.Names {
						docs[ts.Name.Name+"."+n.Name] = oneLine(fld.Doc)
					}
				}
			}
		}
	}
	return docs, nil
}

func oneLine(c *ast.CommentGroup) string {
	if c == nil {
		return ""
	}
	return strings.Join(strings.Fields(c.Text()), " ")
}

// applyRule sets r on s, the schema of the field at r.Path; nothing
// when s is nil.
func applyRule(r spec.SchemaRule, s *jsonschema.Schema) {
	if s == nil {
		return
	}
	if r.Minimum != nil {
		s.Minimum = json.Number(strconv.FormatInt(*r.Minimum, 10))
	}
	if r.Maximum != nil {
		s.Maximum = json.Number(strconv.FormatInt(*r.Maximum, 10))
	}
	u := func(n int) *uint64 {
		if n == 0 {
			return nil
		}
		v := uint64(n)
		return &v
	}
	if n := u(r.MinLength); n != nil {
		s.MinLength = n
	}
	if n := u(r.MaxLength); n != nil {
		s.MaxLength = n
	}
	if n := u(r.MaxItems); n != nil {
		s.MaxItems = n
	}
	if n := u(r.MaxProperties); n != nil {
		s.MaxProperties = n
	}
	if r.Pattern != "" {
		s.Pattern = r.Pattern
	}
	if r.Enum != nil {
		s.Enum = nil
		for _, v := range r.Enum {
			s.Enum = append(s.Enum, v)
		}
	}
	if r.Default != nil {
		s.Default = r.Default
	}
	for _, v := range r.Examples {
		s.Examples = append(s.Examples, v)
	}
}

// schemaAt finds the schema of the field at path (see [spec.SchemaRule.Path]),
// following references into the definitions.
func schemaAt(root *jsonschema.Schema, path string) (*jsonschema.Schema, error) {
	deref := func(s *jsonschema.Schema) *jsonschema.Schema {
		for s != nil && s.Ref != "" {
			s = root.Definitions[strings.TrimPrefix(s.Ref, "#/$defs/")]
		}
		return s
	}
	s := deref(root)
	for _, part := range strings.Split(path, ".") {
		name := strings.TrimRight(part, "[]{}")
		if s == nil || s.Properties == nil {
			return nil, fmt.Errorf("schema rule %s: %s has no properties", path, name)
		}
		next, ok := s.Properties.Get(name)
		if !ok {
			return nil, fmt.Errorf("schema rule %s: no field %s", path, name)
		}
		s = deref(next)
		for _, c := range strings.TrimPrefix(part, name) {
			switch {
			case c == '[' && s.Items != nil:
				s = deref(s.Items)
			case c == '{' && s.AdditionalProperties != nil:
				s = deref(s.AdditionalProperties)
			case c == ']' || c == '}':
			default:
				return nil, fmt.Errorf("schema rule %s: %s is not a list or map", path, name)
			}
		}
	}
	if s == nil {
		return nil, fmt.Errorf("schema rule %s: not found", path)
	}
	return s, nil
}
