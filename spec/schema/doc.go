// Package schema makes the spec's JSON Schema ([JSONSchema], for editors
// through yaml-language-server) and its Markdown reference
// ([SpecReference], docs/spec-reference.md) from package spec's Go types,
// their doc comments and the rules [spec.Check] applies
// ([spec.SchemaRules]).
//
//	b, err := schema.JSONSchema()        // schemas/prenv.schema.json
//	md, err := schema.SpecReference()    // docs/spec-reference.md
//	fmt.Printf("%s\n%s", b, md)
//
// Guaranteed: the output depends only on the spec package it is built
// with; the repository's copies are kept equal to it by tests.
package schema
