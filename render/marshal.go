package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	yaml2 "go.yaml.in/yaml/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// Marshal writes objects as one YAML stream: keys sorted, "---" between
// documents, a trailing newline. Characters that YAML's reader refuses or
// changes when raw (DEL, the C1 controls, U+FFFE, U+FFFF) are written as
// escapes, so every string reads back as it was. The bytes are those of
// sigs.k8s.io/yaml's Marshal, without its round trip through JSON text.
func Marshal(objs []*unstructured.Unstructured) ([]byte, error) {
	var b bytes.Buffer
	for i, o := range objs {
		if i > 0 {
			b.WriteString("---\n")
		}
		v, ok := yamlValue(o.Object)
		var y []byte
		var err error
		if ok {
			y, err = yaml2.Marshal(v)
		} else {
			y, err = marshalViaJSON(o.Object)
		}
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", o.GetKind(), o.GetName(), err)
		}
		b.Write(y)
	}
	return b.Bytes(), nil
}

// marshalViaJSON is the general path: JSON text, then YAML.
func marshalViaJSON(obj map[string]any) ([]byte, error) {
	js, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	return yaml.JSONToYAML(escapeForYAML(js))
}

// yamlValue turns a decoded JSON value into what the YAML writer takes as
// JSON text decoded by the YAML reader would give: maps keyed by
// interface{} (the writer sorts them), whole numbers as integers. It reports
// false for values that need the general path: strings holding characters
// escapeForYAML escapes, and types other than those of decoded JSON.
func yamlValue(v any) (any, bool) {
	switch v := v.(type) {
	case nil, bool, int64:
		return v, true
	case string:
		if strings.ContainsFunc(v, yamlUnsafe) || !utf8.ValidString(v) {
			return nil, false
		}
		return v, true
	case int:
		return int64(v), true
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v), true
		}
		return nil, false
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			c, ok := yamlValue(e)
			if !ok {
				return nil, false
			}
			out[i] = c
		}
		return out, true
	case map[string]any:
		out := make(map[any]any, len(v))
		for k, e := range v {
			if strings.ContainsFunc(k, yamlUnsafe) || !utf8.ValidString(k) {
				return nil, false
			}
			c, ok := yamlValue(e)
			if !ok {
				return nil, false
			}
			out[k] = c
		}
		return out, true
	}
	return nil, false
}

// escapeForYAML \u-escapes, in JSON text, the characters YAML's reader
// refuses or changes when raw. They can only occur inside JSON strings, where an escape
// means the same character.
func escapeForYAML(js []byte) []byte {
	if !bytes.ContainsFunc(js, yamlUnsafe) {
		return js
	}
	var b bytes.Buffer
	for len(js) > 0 {
		r, n := utf8.DecodeRune(js)
		if yamlUnsafe(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
		} else {
			b.Write(js[:n])
		}
		js = js[n:]
	}
	return b.Bytes()
}

func yamlUnsafe(r rune) bool {
	return r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0xfffe || r == 0xffff
}

// YAML is [Marshal] of the output's objects.
func (o *Output) YAML() ([]byte, error) { return Marshal(o.Objects) }
