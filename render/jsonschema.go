package render

import (
	"bytes"
	"encoding/json"

	"github.com/invopop/jsonschema"
)

// SchemaID is the $id of the spec's JSON Schema.
const SchemaID = "https://prenv.dev/schemas/prenv.schema.json"

// JSONSchema returns the JSON Schema of the spec, generated from the Go
// types, for editors (yaml-language-server) and other tools. Unknown fields
// are refused, as [Load] refuses them.
func JSONSchema() ([]byte, error) {
	r := &jsonschema.Reflector{
		// A field without omitempty is required, as Load and Check treat it.
		RequiredFromJSONSchemaTags: false,
		AllowAdditionalProperties:  false,
	}
	s := r.Reflect(&PreviewEnvironment{})
	s.ID = SchemaID
	s.Title = "prenv PreviewEnvironment (" + APIVersion + ")"
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Write(b)
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// JSONSchema describes an account ID: 12 digits, as a string or an integer.
func (AccountID) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{
		Description: "the 12-digit AWS account ID",
		OneOf: []*jsonschema.Schema{
			{Type: "string", Pattern: "^[0-9]{12}$"},
			{Type: "integer", Minimum: json.Number("0"), Maximum: json.Number("999999999999")},
		},
	}
}

// JSONSchema describes a string or a list of strings.
func (StringList) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{
		OneOf: []*jsonschema.Schema{
			{Type: "string"},
			{Type: "array", Items: &jsonschema.Schema{Type: "string"}},
		},
	}
}
