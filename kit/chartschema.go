package kit

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"helm.sh/helm/v3/pkg/chart"
)

// schemaRootURL is where a chart's values.schema.json sits for the schema
// compiler, as Helm places it (helm.sh/helm/v3/pkg/chartutil:
// ValidateAgainstSingleSchema).
const schemaRootURL = "file:///values.schema.json"

// ChartSchemaRefError is a chart's values.schema.json that refers to a
// schema outside itself: another file (Helm resolves a relative $ref
// against file:///values.schema.json, so it reads from the root of the
// machine's file system), a URL (Helm fetches it) or a URN. A chart is
// input a pull request can change, so prenv reads neither the file system
// outside the chart nor the network for it.
type ChartSchemaRefError struct {
	// Chart is the chart (or subchart) whose schema refers outside.
	Chart string
	// URL is the schema it refers to.
	URL string
}

func (e *ChartSchemaRefError) Error() string {
	return fmt.Sprintf("values.schema.json of chart %s refers to %s: a chart's schema may refer only within itself ($ref \"#/...\", or to a $id it defines); prenv fetches no URL and reads no file outside the chart", e.Chart, e.URL)
}

// refusingLoader is the schema compiler's loader: it loads nothing and
// remembers the first URL it was asked for (the compiler's error does not
// unwrap to the loader's).
type refusingLoader struct{ refused string }

func (l *refusingLoader) Load(url string) (any, error) {
	if l.refused == "" {
		l.refused = url
	}
	return nil, fmt.Errorf("prenv loads no schema from %s", url)
}

// validateChartValues checks values against c's values.schema.json and,
// for each subchart given values, the subchart's, with Helm's semantics
// and message layout (helm.sh/helm/v3/pkg/chartutil: ValidateAgainstSchema
// and ToRenderValues, which helm template runs), except that a schema's
// references outside itself fail with a [*ChartSchemaRefError] instead of
// being read from the file system or the network. The JSON Schema
// implementation is the one Helm uses, github.com/santhosh-tekuri/jsonschema/v6.
func validateChartValues(c *chart.Chart, values map[string]any) error {
	problems, err := validateSchemas(c, values)
	if err != nil {
		return err
	}
	if problems != "" {
		return errors.New("values don't meet the specifications of the schema(s) in the following chart(s):\n" + problems)
	}
	return nil
}

// validateSchemas returns the problems of values against c's schema and
// its subcharts', as text, or the first reference outside a schema.
func validateSchemas(c *chart.Chart, values map[string]any) (string, error) {
	var sb strings.Builder
	if c.Schema != nil {
		loader := &refusingLoader{}
		if err := validateSingleSchema(loader, values, c.Schema); err != nil {
			if loader.refused != "" {
				return "", &ChartSchemaRefError{Chart: c.Name(), URL: loader.refused}
			}
			fmt.Fprintf(&sb, "%s:\n%s", c.Name(), err.Error())
		}
	}
	for _, sub := range c.Dependencies() {
		raw, ok := values[sub.Name()]
		if !ok || raw == nil {
			continue
		}
		subValues, ok := raw.(map[string]any)
		if !ok {
			fmt.Fprintf(&sb, "%s:\ninvalid type for values: expected object (map), got %T\n", sub.Name(), raw)
			continue
		}
		problems, err := validateSchemas(sub, subValues)
		if err != nil {
			return "", err
		}
		sb.WriteString(problems)
	}
	return sb.String(), nil
}

// validateSingleSchema compiles one schema with loader and validates
// values against it.
func validateSingleSchema(loader *refusingLoader, values map[string]any, schemaJSON []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unable to validate schema: %v", r)
		}
	}()
	schema, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return err
	}
	compiler := jsonschema.NewCompiler()
	compiler.UseLoader(loader)
	if err := compiler.AddResource(schemaRootURL, schema); err != nil {
		return err
	}
	validator, err := compiler.Compile(schemaRootURL)
	if err != nil {
		return err
	}
	if err := validator.Validate(values); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "jsonschema validation failed with '"+schemaRootURL+"#'\n") + "\n")
	}
	return nil
}
