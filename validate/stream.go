package validate

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"prenv.dev/prenv/internal/bounded"
)

// Source is one named input of YAML or JSON documents, for example a CRD
// file.
type Source struct {
	// Name is used in messages (a file name, or "<embedded>/...").
	Name string
	// Data holds one or more YAML documents separated by "---" lines, or a
	// JSON document.
	Data []byte
}

// rawDoc is one non-empty document of a stream.
type rawDoc struct {
	index int // 1-based among non-empty documents
	line  int // 1-based line of the stream where the document's content starts
	first int // 1-based line of the stream where data starts
	data  []byte
}

// splitDocuments cuts a stream at "---" lines and drops documents that hold
// only blank lines and comments.
func splitDocuments(data []byte) []rawDoc {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var docs []rawDoc
	var cur bytes.Buffer
	first, content, lineNo := 1, 0, 0
	flush := func(next int) {
		if content > 0 {
			b := make([]byte, cur.Len())
			copy(b, cur.Bytes())
			docs = append(docs, rawDoc{index: len(docs) + 1, line: content, first: first, data: b})
		}
		cur.Reset()
		first, content = next, 0
	}
	for len(data) > 0 {
		lineNo++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i+1], data[i+1:]
		} else {
			line, data = data, nil
		}
		trimmed := bytes.TrimRight(line, "\r\n")
		if isDocStart(trimmed) {
			flush(lineNo + 1)
			rest := bytes.TrimLeft(trimmed[3:], " \t")
			if len(rest) > 0 && rest[0] != '#' {
				// "--- value": the document starts on the marker line.
				first, content = lineNo, lineNo
				cur.Write(rest)
				cur.WriteByte('\n')
			}
			continue
		}
		if bytes.Equal(trimmed, []byte("...")) {
			flush(lineNo + 1)
			continue
		}
		if content == 0 && hasContent(line) {
			content = lineNo
		}
		cur.Write(line)
	}
	flush(0)
	return docs
}

func isDocStart(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	return len(line) == 3 || line[3] == ' ' || line[3] == '\t'
}

// hasContent reports whether a document has anything but blank lines and
// comments.
func hasContent(b []byte) bool {
	for len(b) > 0 {
		var line []byte
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			line, b = b, nil
		}
		t := bytes.TrimSpace(line)
		if len(t) > 0 && t[0] != '#' {
			return true
		}
	}
	return false
}

// decodedObject is one object of a stream, with where it came from and the
// problems found while decoding it.
type decodedObject struct {
	doc, line, item int
	obj             *unstructured.Unstructured
	problems        []fieldProblem
	// fatal is set when the document could not be turned into an object.
	fatal bool
}

// decodeDocument turns one document into objects: one, or the items of a
// List. Problems are YAML/JSON syntax errors, duplicate keys, and documents
// that are not objects.
func decodeDocument(d rawDoc) []decodedObject {
	return decodeDocumentOf(d, false)
}

// decodeDocumentOf is decodeDocument; trusted leaves out the check for
// alias bombs, for bytes the tests decoded (see checkedSource).
func decodeDocumentOf(d rawDoc, trusted bool) []decodedObject {
	base := decodedObject{doc: d.index, line: d.line}
	var problems []fieldProblem
	// An alias bomb is refused before the decoder expands it.
	if !trusted {
		if err := bounded.CheckYAMLExpansion("the document", d.data); err != nil {
			base.problems = []fieldProblem{{Type: TypeDocumentInvalid, Message: err.Error()}}
			base.fatal = true
			return []decodedObject{base}
		}
	}
	j, err := yaml.YAMLToJSONStrict(d.data)
	if err != nil {
		j2, err2 := yaml.YAMLToJSON(d.data)
		if err2 != nil {
			base.problems = []fieldProblem{{Type: TypeDocumentInvalid, Message: "not valid YAML or JSON: " + cleanYAMLError(err2, d.first)}}
			base.fatal = true
			return []decodedObject{base}
		}
		problems = append(problems, fieldProblem{Type: TypeDuplicateField, Message: cleanYAMLError(err, d.first)})
		j = j2
	}
	var v interface{}
	strictErrs, err := kjson.UnmarshalStrict(j, &v)
	if err != nil {
		base.problems = append(problems, fieldProblem{Type: TypeDocumentInvalid, Message: "not valid JSON: " + err.Error()})
		base.fatal = true
		return []decodedObject{base}
	}
	for _, se := range strictErrs {
		problems = append(problems, strictProblem(se))
	}
	if v == nil {
		return nil // "null": an empty document
	}
	m, ok := v.(map[string]interface{})
	if !ok {
		base.problems = append(problems, fieldProblem{Type: TypeDocumentInvalid, Message: fmt.Sprintf("a document must be an object, not %s", jsonKind(v))})
		base.fatal = true
		return []decodedObject{base}
	}
	u := &unstructured.Unstructured{Object: m}
	base.problems = problems
	if items, isList := listItems(u); isList {
		return expandList(base, u, items)
	}
	base.obj = u
	return []decodedObject{base}
}

// listItems returns the items of a "List" document (kind v1 List, or any kind
// ending in "List" with an items array).
func listItems(u *unstructured.Unstructured) ([]interface{}, bool) {
	if !strings.HasSuffix(u.GetKind(), "List") {
		return nil, false
	}
	items, ok := u.Object["items"].([]interface{})
	if !ok {
		if _, has := u.Object["items"]; has || u.GetKind() != "List" {
			return nil, false
		}
		return nil, true // an empty v1 List
	}
	return items, true
}

func expandList(base decodedObject, list *unstructured.Unstructured, items []interface{}) []decodedObject {
	var out []decodedObject
	if len(base.problems) > 0 {
		// Problems of the list document itself (duplicate keys) are reported once.
		out = append(out, decodedObject{doc: base.doc, line: base.line, problems: base.problems, obj: nil})
	}
	itemKind := strings.TrimSuffix(list.GetKind(), "List")
	for i, it := range items {
		d := decodedObject{doc: base.doc, line: base.line, item: i + 1}
		m, ok := it.(map[string]interface{})
		if !ok {
			d.problems = []fieldProblem{{Field: fmt.Sprintf("items[%d]", i), Type: TypeDocumentInvalid, Message: fmt.Sprintf("a list item must be an object, not %s", jsonKind(it))}}
			d.fatal = true
			out = append(out, d)
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		// Items of typed lists (ConfigMapList, TableList, ...) may leave out
		// their own apiVersion and kind.
		if list.GetKind() != "List" {
			if u.GetAPIVersion() == "" {
				u.SetAPIVersion(list.GetAPIVersion())
			}
			if u.GetKind() == "" {
				u.SetKind(itemKind)
			}
		}
		d.obj = u
		out = append(out, d)
	}
	return out
}

// decodeStream decodes every document of a stream.
func decodeStream(data []byte) []decodedObject {
	return decodeStreamOf(data, false)
}

// decodeStreamOf is decodeStream; trusted is decodeDocumentOf's.
func decodeStreamOf(data []byte, trusted bool) []decodedObject {
	var out []decodedObject
	for _, d := range splitDocuments(data) {
		out = append(out, decodeDocumentOf(d, trusted)...)
	}
	return out
}

// strictProblem turns a strict decoding error of sigs.k8s.io/json (unknown
// or duplicate field) into a problem with the field's path.
func strictProblem(err error) fieldProblem {
	type fieldPather interface{ FieldPath() string }
	path := ""
	var fp fieldPather
	if errors.As(err, &fp) {
		path = fp.FieldPath()
	}
	switch {
	case strings.HasPrefix(err.Error(), "unknown field"):
		return unknownField(path)
	case strings.HasPrefix(err.Error(), "duplicate field"):
		return fieldProblem{Field: path, Type: TypeDuplicateField, Message: "duplicate field"}
	default:
		return fieldProblem{Field: path, Type: string(field.ErrorTypeInvalid), Message: err.Error()}
	}
}

// cleanYAMLError makes sigs.k8s.io/yaml messages shorter and turns the line
// numbers they carry (relative to the document) into lines of the stream.
func cleanYAMLError(err error, firstLine int) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "error converting YAML to JSON: ")
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.ReplaceAll(msg, "unmarshal errors:\n  ", "")
	msg = strings.ReplaceAll(msg, "\n  ", "; ")
	return shiftLines(msg, firstLine-1)
}

// shiftLines adds off to every "line N" in msg.
func shiftLines(msg string, off int) string {
	if off == 0 {
		return msg
	}
	var b strings.Builder
	for {
		i := strings.Index(msg, "line ")
		if i < 0 {
			b.WriteString(msg)
			return b.String()
		}
		b.WriteString(msg[:i+5])
		msg = msg[i+5:]
		n := 0
		for n < len(msg) && msg[n] >= '0' && msg[n] <= '9' {
			n++
		}
		if n == 0 {
			continue
		}
		var v int
		fmt.Sscanf(msg[:n], "%d", &v)
		fmt.Fprintf(&b, "%d", v+off)
		msg = msg[n:]
	}
}

func jsonKind(v interface{}) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case int64, int, int32:
		return "integer"
	case float64, float32:
		return "number"
	case string:
		return "string"
	case []interface{}:
		return "array"
	case map[string]interface{}:
		return "object"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// manifestExt reports whether a file in a folder is read as YAML or JSON.
func manifestExt(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// ReadSources reads files and folders (recursively: every .yaml, .yml and
// .json file, in lexical order, hidden ones left out) into sources, with the
// limits of readPaths. Errors are the os package's (for example
// *fs.PathError), or [*FileTooLargeError], [*NotRegularFileError] and
// [*LinkOutsideError].
func ReadSources(paths ...string) ([]Source, error) {
	return readPaths(paths...)
}

// LoadCRDFiles reads CRD files and folders, as ReadSources, for
// Options.CRDs. Only reading happens here; New decodes and checks the CRDs.
func LoadCRDFiles(paths ...string) ([]Source, error) {
	return readPaths(paths...)
}

// DecodeObjects decodes a multi-document YAML or JSON stream into objects;
// the items of List documents are returned one by one. Empty documents are
// skipped. The error wraps ErrDecode and names the first document that is
// not valid YAML or not an object.
func DecodeObjects(name string, data []byte) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, d := range decodeStream(data) {
		if d.fatal {
			p := d.problems[len(d.problems)-1]
			return nil, fmt.Errorf("%w: %s:%d: %s", ErrDecode, name, d.doc, p.Message)
		}
		if d.obj != nil {
			out = append(out, d.obj)
		}
	}
	return out, nil
}

// ErrDecode matches (with errors.Is) the error of DecodeObjects and
// LoadObjects for input that is not YAML or JSON objects.
var ErrDecode = errors.New("cannot decode objects")

// LoadObjects reads the objects of a file, or of every .yaml, .yml and .json
// file under a folder, for example the previous render to check an update
// against (ValidateObjects' and ValidateStream's old argument).
func LoadObjects(path string) ([]*unstructured.Unstructured, error) {
	srcs, err := readPaths(path)
	if err != nil {
		return nil, err
	}
	var out []*unstructured.Unstructured
	for _, s := range srcs {
		objs, err := DecodeObjects(s.Name, s.Data)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}
