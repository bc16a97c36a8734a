package main

import (
	"context"
	"io"

	"prenv.dev/prenv/spec/schema"
)

func runSchema(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("schema", "", stderr)
	if code, ok := parseNoArgs(fs, args, stderr); !ok {
		return code
	}
	b, err := schema.JSONSchema()
	if err != nil {
		return reportError(stderr, "schema", err)
	}
	if _, err := stdout.Write(b); err != nil {
		return exitInternal
	}
	return exitOK
}
