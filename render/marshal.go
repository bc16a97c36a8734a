package render

import (
	"errors"

	"prenv.dev/prenv/manifest"
)

// YAML is [manifest.Marshal] of the output's objects.
func (o *Output) YAML() ([]byte, error) {
	if o == nil {
		return nil, errors.New("render: nil Output")
	}
	return manifest.Marshal(o.Objects)
}
