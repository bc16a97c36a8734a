package spec

import "errors"

// LoadNamed is [Load] for the spec file name ("prenv.yaml", "<stdin>"): an
// [*InvalidError] carries name in its File, so that its message names the
// file ("prenv.yaml: invalid spec: 1 problem ..."). The name is only used
// in messages; nothing is read from it.
func LoadNamed(name string, data []byte, overrides ...Override) (*PreviewEnvironment, error) {
	env, err := Load(data, overrides...)
	if inv, ok := errors.AsType[*InvalidError](err); ok {
		inv.File = name
	}
	return env, err
}
