// Package manifest turns Kubernetes objects into YAML bytes and back: the
// writer ([Marshal]) gives byte for byte what sigs.k8s.io/yaml's yaml.v2
// gives, faster; the reader ([ParseObjects], [SplitDocuments]) reads the
// template kit's usual shape directly and anything else with yaml.v2; and
// [SortObjects] puts objects in output order (Helm's install order, then
// prenv's custom kinds, then namespace and name).
//
//	objs, err := manifest.ParseObjects(stream)
//	manifest.SortObjects(objs)
//	out, err := manifest.Marshal(objs)   // documents separated by "---"
//
// It imports no other stage of prenv: the kit reads template output with it
// and the output folder writes with it. Guaranteed: Marshal's bytes equal
// yaml.v2's for every input, with keys in a fixed order.
package manifest
