package spec

import "prenv.dev/prenv/internal/specyaml"

// Limits and rules of reading a spec file (package internal/specyaml reads
// it).
const (
	// MaxSpecNodes bounds the values one spec document may hold once
	// aliases are expanded: a spec has a few hundred; this keeps an alias
	// bomb (a few lines that expand to billions of values) from costing
	// time or memory.
	MaxSpecNodes = specyaml.MaxNodes
	// MaxSpecExpandedSize bounds the text of a spec's values once aliases
	// are expanded, in bytes: an alias of a long string repeats all of it.
	MaxSpecExpandedSize = specyaml.MaxExpandedSize
	// AccountIDQuoteHint is the advice given for an account ID written as
	// a number.
	AccountIDQuoteHint = specyaml.AccountIDQuoteHint
	// TextRule is the rule on the characters of a spec's strings.
	TextRule = specyaml.TextRule
	// FileField is the field of an error that concerns the spec file as a
	// whole rather than one field, when it has no line (an empty file, one
	// over the size limit): never "<nil>", as apimachinery prints a nil
	// path.
	FileField = specyaml.FileField
)
