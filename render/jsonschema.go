package render

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"reflect"
	"strconv"
	"strings"

	"github.com/invopop/jsonschema"
)

// SchemaID is the $id of the spec's JSON Schema.
const SchemaID = "https://prenv.dev/schemas/prenv.schema.json"

// specSources are the Go files that declare the spec's types: their doc
// comments become the schema's descriptions, so that an editor shows on
// hover what the Go documentation says.
//
//go:embed spec.go spec_*.go
var specSources embed.FS

// JSONSchema returns the JSON Schema of the spec, generated from the Go
// types, for editors (yaml-language-server) and other tools. Unknown fields
// are refused, as [Load] refuses them. Every field carries its Go doc
// comment as description, and the defaults, allowed values and ranges that
// [Check] applies, from the same constants (see [SchemaRules]).
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

// specSchema reflects the spec's types and applies [SchemaRules].
func specSchema() (*jsonschema.Schema, error) {
	docs, err := goDocs(specSources)
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
	s := r.Reflect(&PreviewEnvironment{})
	s.ID = SchemaID
	s.Title = "prenv PreviewEnvironment (" + APIVersion + ")"
	for _, rule := range SchemaRules() {
		fs, err := schemaAt(s, rule.Path)
		if err != nil {
			return nil, err
		}
		rule.apply(fs)
	}
	return s, nil
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

// SchemaRule is what the spec's JSON Schema says of one field beyond its
// type: the limits, allowed values and default that [Check] and [Plan]
// apply, from the same constants.
type SchemaRule struct {
	// Path is the field's path in a spec: names joined by ".", "[]" after
	// a list's name for its items and "{}" after a map's name for its
	// values (spec.sqs.queues[].delaySeconds, spec.tags{}).
	Path string
	// Minimum and Maximum bound an integer, both included.
	Minimum, Maximum *int64
	// MinLength and MaxLength bound a string's length in characters;
	// MaxItems a list's and MaxProperties a map's number of entries.
	MinLength, MaxLength, MaxItems, MaxProperties int
	// Pattern is a regular expression a string must match.
	Pattern string
	// Enum lists the allowed values of a string.
	Enum []string
	// Default is the value a field left out takes.
	Default any
	// Examples are shown by editors as suggestions.
	Examples []string
}

func bounds(lo, hi int64) (*int64, *int64) { return &lo, &hi }

// SchemaRules lists the rules the spec's JSON Schema carries, in the order
// of the fields. A test keeps them equal to what Check accepts: the
// values at each bound pass both, one past fails both.
func SchemaRules() []SchemaRule {
	var rules []SchemaRule
	add := func(r SchemaRule) { rules = append(rules, r) }
	rng := func(path string, lo, hi int64, def any) {
		r := SchemaRule{Path: path, Default: def}
		r.Minimum, r.Maximum = bounds(lo, hi)
		add(r)
	}
	var regions []string
	for _, p := range partitions {
		regions = append(regions, KnownRegions()[p]...)
	}
	add(SchemaRule{Path: "apiVersion", Enum: []string{APIVersion}})
	add(SchemaRule{Path: "kind", Enum: []string{Kind}})
	// metadata.name: a DNS-1035 label; prefix (at least one character)
	// and app together at most MaxEnvNameParts.
	add(SchemaRule{Path: "metadata.name", Pattern: dns1035Pattern, MaxLength: MaxEnvNameParts - 1})
	add(SchemaRule{Path: "spec.prefix", Pattern: prefixRE.String(), MaxLength: maxPrefixLen})
	add(SchemaRule{Path: "spec.aws.region", Pattern: regionRE.String(), Examples: regions})
	add(SchemaRule{Path: "spec.aws.partition", Enum: partitions, Default: DefaultPartition})
	add(SchemaRule{Path: "spec.serviceAccount.name", MaxLength: 253})
	add(SchemaRule{Path: "spec.iam.managedPolicyARNs", MaxItems: MaxManagedPolicies})
	rng("spec.iam.maxSessionDuration", MinSessionDuration, MaxSessionDuration, DefaultSessionSecs)
	rng("spec.iam.managedPoliciesPerRole", DefaultManagedPoliciesPerRole, MaxManagedPolicies, DefaultManagedPoliciesPerRole)
	rng("spec.networkPolicy.egress[].ports[].port", 1, 65535, nil)
	rng("spec.networkPolicy.egress[].ports[].endPort", 1, 65535, nil)
	add(SchemaRule{Path: "spec.iam.statements[].sid", Pattern: sidRE.String()})
	add(SchemaRule{Path: "spec.iam.statements[].effect", Enum: effects})
	add(SchemaRule{Path: "spec.dynamodb.tables", MaxItems: MaxTables})
	add(SchemaRule{Path: "spec.dynamodb.tables[].name", Pattern: logicalRE.String(), MaxLength: maxLogicalNameLen})
	add(SchemaRule{Path: "spec.dynamodb.tables[].attributes[].name", MinLength: 1, MaxLength: MaxAttributeNameLen})
	add(SchemaRule{Path: "spec.dynamodb.tables[].attributes[].type", Enum: attrTypes})
	add(SchemaRule{Path: "spec.dynamodb.tables[].billingMode", Enum: billingModes, Default: DefaultBillingMode})
	rng("spec.dynamodb.tables[].capacity.read", 1, MaxCapacityUnits, nil)
	rng("spec.dynamodb.tables[].capacity.write", 1, MaxCapacityUnits, nil)
	add(SchemaRule{Path: "spec.dynamodb.tables[].ttlAttribute", MaxLength: MaxAttributeNameLen})
	add(SchemaRule{Path: "spec.dynamodb.tables[].stream", Enum: streamViews})
	add(SchemaRule{Path: "spec.dynamodb.tables[].globalIndexes", MaxItems: MaxGlobalIndexes})
	add(SchemaRule{Path: "spec.dynamodb.tables[].globalIndexes[].name", Pattern: indexNameRE.String(), MinLength: MinIndexNameLen, MaxLength: MaxIndexNameLen})
	add(SchemaRule{Path: "spec.dynamodb.tables[].globalIndexes[].projection", Enum: projections, Default: "ALL"})
	add(SchemaRule{Path: "spec.dynamodb.tables[].globalIndexes[].nonKeyAttributes[]", MinLength: 1, MaxLength: MaxAttributeNameLen})
	add(SchemaRule{Path: "spec.dynamodb.tables[].localIndexes", MaxItems: MaxLocalIndexes})
	add(SchemaRule{Path: "spec.dynamodb.tables[].access", Enum: tableAccess, Default: "readWrite"})
	add(SchemaRule{Path: "spec.sqs.queues", MaxItems: MaxQueues})
	add(SchemaRule{Path: "spec.sqs.queues[].name", Pattern: logicalRE.String(), MaxLength: maxLogicalNameLen})
	rng("spec.sqs.queues[].visibilityTimeoutSeconds", 0, MaxVisibilityTimeout, nil)
	rng("spec.sqs.queues[].messageRetentionSeconds", MinMessageRetention, MaxMessageRetention, nil)
	rng("spec.sqs.queues[].delaySeconds", 0, MaxDelaySeconds, nil)
	rng("spec.sqs.queues[].receiveWaitTimeSeconds", 0, MaxReceiveWaitSeconds, nil)
	rng("spec.sqs.queues[].maxMessageSizeBytes", MinQueueMessageSize, MaxQueueMessageSize, nil)
	rng("spec.sqs.queues[].deadLetter.maxReceiveCount", 1, MaxMaxReceiveCount, nil)
	rng("spec.sqs.queues[].deadLetter.messageRetentionSeconds", MinMessageRetention, MaxMessageRetention, DefaultDLQRetention)
	add(SchemaRule{Path: "spec.sqs.queues[].access", Enum: queueAccess, Default: "both"})
	add(SchemaRule{Path: "spec.dns.zone", MaxLength: maxHostnameLen - MaxNamespaceLen - 1})
	add(SchemaRule{Path: "spec.tags", MaxProperties: MaxTags - len(prenvTagKeys) - len(ackDefaultTagKeys)})
	add(SchemaRule{Path: "spec.tags{}", MaxLength: MaxTagValueLen})
	add(SchemaRule{Path: "spec.deletionPolicy", Enum: deletionModes, Default: "delete"})
	add(SchemaRule{Path: "spec.argocd.namespace", Default: DefaultArgoCDNamespace})
	add(SchemaRule{Path: "spec.argocd.pullRequests.gitlab.pullRequestState", Enum: gitlabStates})
	rng("spec.argocd.pullRequests.requeueAfterSeconds", 0, MaxRequeueAfterSeconds, DefaultRequeueAfterSeconds)
	add(SchemaRule{Path: "spec.argocd.source.plugin.name", Default: DefaultPluginName})
	add(SchemaRule{Path: "spec.argocd.source.plugin.file", Default: DefaultPluginFile})
	add(SchemaRule{Path: "spec.argocd.source.plugin.image", Pattern: imageRE.String()})
	add(SchemaRule{Path: "spec.argocd.destination.server", Default: DefaultArgoCDServer})
	add(SchemaRule{Path: "spec.argocd.syncPolicy.prune", Default: true})
	add(SchemaRule{Path: "spec.argocd.syncPolicy.selfHeal", Default: true})
	add(SchemaRule{Path: "spec.argocd.syncPolicy.syncOptions[]", Pattern: syncOptionRE.String()})
	add(SchemaRule{Path: "spec.argocd.appResources[].kind", Pattern: kindRE.String()})
	add(SchemaRule{Path: "spec.argocd.healthChecks", Default: true})
	return rules
}

// MaxRequeueAfterSeconds is the longest poll interval of the pull-request
// generator that prenv accepts: one day.
const MaxRequeueAfterSeconds = 86400

// dns1035Pattern is a DNS-1035 label (apimachinery's IsDNS1035Label).
const dns1035Pattern = `^[a-z]([-a-z0-9]*[a-z0-9])?$`

func (r SchemaRule) apply(s *jsonschema.Schema) {
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

// schemaAt finds the schema of the field at path (see [SchemaRule.Path]),
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

// JSONSchema describes an account ID: 12 digits, as a string or an integer.
func (AccountID) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{
		Description: "accountID is the 12-digit AWS account ID. Quote it: an unquoted number is taken only when it is written as exactly 12 digits.",
		OneOf: []*jsonschema.Schema{
			{Type: "string", Pattern: accountRE.String()},
			{Type: "integer", Minimum: json.Number("100000000000"), Maximum: json.Number("999999999999")},
		},
	}
}

// JSONSchema describes a string or a list of strings.
func (StringList) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{
		Description: "a string, or a list of strings",
		OneOf: []*jsonschema.Schema{
			{Type: "string"},
			{Type: "array", Items: &jsonschema.Schema{Type: "string"}},
		},
	}
}
