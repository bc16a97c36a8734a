package main

import (
	"context"
	"fmt"
	"io"

	"prenv.dev/prenv/render"
)

func runSchema(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("schema", "", stderr)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "render schema: unexpected arguments %q\n", fs.Args())
		return exitUsage
	}
	b, err := render.JSONSchema()
	if err != nil {
		return reportError(stderr, "schema", err)
	}
	if _, err := stdout.Write(b); err != nil {
		return exitInternal
	}
	return exitOK
}
