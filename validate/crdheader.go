package validate

import (
	yaml2 "go.yaml.in/yaml/v2"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// crdHeader returns what a crdSet registers of a source's CRD without
// decoding it in full (see crdSet.addEmbedded): its metadata.name, the
// source's name, and the group/version/kinds of its served versions in the
// order of spec.versions, as crdSet.add lists them for a valid CRD. It
// reads a source of one YAML document (as splitDocuments splits) that is
// an apiextensions.k8s.io/v1 CustomResourceDefinition, and of it only
// these fields, with yaml.v2 into typed fields (the YAML reader
// sigs.k8s.io/yaml uses for the full decode); for any other source, or
// one it cannot read, ok is false and the caller decodes the source. It
// does not check the CRD: what it returns holds only if the source decodes
// to a valid CRD, which lazySource checks when it decodes the source.
func crdHeader(src Source) (h LoadedCRD, ok bool) {
	docs := splitDocuments(src.Data)
	if len(docs) != 1 {
		return LoadedCRD{}, false
	}
	var doc struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
		Spec struct {
			Group string `yaml:"group"`
			Names struct {
				Kind string `yaml:"kind"`
			} `yaml:"names"`
			Versions []struct {
				Name   string `yaml:"name"`
				Served *bool  `yaml:"served"`
			} `yaml:"versions"`
		} `yaml:"spec"`
	}
	if err := yaml2.Unmarshal(docs[0].data, &doc); err != nil {
		return LoadedCRD{}, false
	}
	if doc.APIVersion != crdGVK.GroupVersion().String() || doc.Kind != crdGVK.Kind ||
		doc.Metadata.Name == "" || doc.Spec.Group == "" || doc.Spec.Names.Kind == "" || len(doc.Spec.Versions) == 0 {
		return LoadedCRD{}, false
	}
	h = LoadedCRD{Name: doc.Metadata.Name, Source: src.Name}
	for _, v := range doc.Spec.Versions {
		if v.Name == "" || v.Served == nil {
			return LoadedCRD{}, false
		}
		if *v.Served {
			h.Kinds = append(h.Kinds, schema.GroupVersionKind{Group: doc.Spec.Group, Version: v.Name, Kind: doc.Spec.Names.Kind})
		}
	}
	return h, true
}
