package main

import (
	"bytes"
	"context"
	"io"
	"testing"
)

// BenchmarkEnvCommand is `render env` for the web example inside one
// process: load, check, render, validate (schemas compiled anew each run, as
// in a fresh process) and print. Process start-up comes on top; measure it
// with GODEBUG=inittrace=1.
func BenchmarkEnvCommand(b *testing.B) {
	ctx := context.Background()
	args := []string{"env", "-f", "../../examples/web/prenv.yaml", "--pr", "123"}
	b.ReportAllocs()
	for b.Loop() {
		var out bytes.Buffer
		if code := run(ctx, args, nil, &out, io.Discard); code != exitOK {
			b.Fatalf("exit %d", code)
		}
	}
}
