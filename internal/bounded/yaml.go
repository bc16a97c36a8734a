package bounded

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	yaml3 "sigs.k8s.io/yaml/goyaml.v3"
)

// Budgets for YAML that expands through aliases: a file within its size
// limit can still expand to billions of values or gigabytes of text when
// an anchored value is aliased many times.
const (
	MaxYAMLNodes = 1_000_000
	MaxYAMLText  = 64 << 20
)

// YAMLTooLargeError is YAML whose aliases would expand it beyond
// [MaxYAMLNodes] values or [MaxYAMLText] bytes of text.
type YAMLTooLargeError struct {
	Name string
}

func (e *YAMLTooLargeError) Error() string {
	return fmt.Sprintf("%s: once its aliases are expanded, the YAML holds more than %d values or %d bytes of text", e.Name, MaxYAMLNodes, MaxYAMLText)
}

// CheckYAMLExpansion walks every document of data with its aliases
// expanded, and returns a [*YAMLTooLargeError] as soon as the expansion
// passes a budget, so that a reader that expands aliases (Helm's values,
// kustomize, the API server's decoders) is never handed an alias bomb. It
// stops at the first document that is not valid YAML and leaves reporting
// that to the reader. Its cost is bounded by the budgets.
func CheckYAMLExpansion(name string, data []byte) error {
	dec := yaml3.NewDecoder(bytes.NewReader(data))
	nodes, text := MaxYAMLNodes, int64(MaxYAMLText)
	var walk func(n *yaml3.Node, depth int) bool
	walk = func(n *yaml3.Node, depth int) bool {
		nodes--
		text -= int64(len(n.Value))
		if nodes < 0 || text < 0 || depth > 10_000 {
			return false
		}
		if n.Kind == yaml3.AliasNode && n.Alias != nil {
			return walk(n.Alias, depth+1)
		}
		for _, c := range n.Content {
			if !walk(c, depth+1) {
				return false
			}
		}
		return true
	}
	for {
		var n yaml3.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) || err != nil {
			return nil
		}
		if !walk(&n, 0) {
			return &YAMLTooLargeError{Name: name}
		}
	}
}
