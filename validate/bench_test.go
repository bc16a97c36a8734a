package validate

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"

	"prenv.dev/prenv/internal/upstream"
)

// largeManifest repeats the valid fixtures (ACK, Argo CD and built-in kinds)
// into one stream of about a thousand objects, with distinct names.
func largeManifest(b *testing.B) []byte {
	b.Helper()
	var parts [][]byte
	for _, f := range []string{"testdata/valid/ack.yaml", "testdata/valid/argocd.yaml", "testdata/valid/core.yaml"} {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		parts = append(parts, data)
	}
	var buf bytes.Buffer
	for i := 0; i < 48; i++ {
		for _, p := range parts {
			buf.WriteString("---\n")
			buf.Write(bytes.ReplaceAll(p, []byte("pr-42"), []byte(fmt.Sprintf("pr-%d", 1000+i))))
		}
	}
	return buf.Bytes()
}

func benchmarkValidate(b *testing.B, v *Validator) {
	benchmarkValidateData(b, v, largeManifest(b))
}

func benchmarkValidateData(b *testing.B, v *Validator, data []byte) {
	ctx := context.Background()
	// One run outside the timer: compiles every schema once, as a
	// long-lived Validator would have.
	r, err := v.ValidateStream(ctx, "large.yaml", data, nil)
	if err != nil || !r.Valid() {
		b.Fatalf("large manifest invalid: %v %v", err, texts(r))
	}
	objects := r.Objects
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := v.ValidateStream(ctx, "large.yaml", data, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(objects)*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
	b.ReportMetric(float64(objects), "objects/op")
}

// BenchmarkValidateEmbedded validates a large manifest with prenv's embedded
// schemas.
func BenchmarkValidateEmbedded(b *testing.B) {
	benchmarkValidate(b, embeddedValidator(b))
}

// BenchmarkValidateUpstream validates the same manifest with the full
// upstream ACK and Argo CD CRD set loaded (and no embedded schemas).
func BenchmarkValidateUpstream(b *testing.B) {
	benchmarkValidate(b, upstreamValidator(b))
}

// BenchmarkValidateLargeExample validates the "large example":
// golden/large/env.yaml (prenv's objects) and golden/large/full.yaml (with
// the app chart), with the embedded schemas and with the upstream set.
func BenchmarkValidateLargeExample(b *testing.B) {
	for _, file := range []string{"env.yaml", "full.yaml"} {
		data, err := os.ReadFile("../golden/large/" + file)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(file+"/embedded", func(b *testing.B) { benchmarkValidateData(b, embeddedValidator(b), data) })
		b.Run(file+"/upstream", func(b *testing.B) { benchmarkValidateData(b, upstreamValidator(b), data) })
	}
}

// BenchmarkLoadUpstream measures loading the upstream CRD set: decoding,
// the API server's CRD validation and structural schemas (done once per
// process).
func BenchmarkLoadUpstream(b *testing.B) {
	dir, ok := upstream.CRDs(b, "")
	if !ok {
		b.Skip("this benchmark loads the upstream CRDs")
	}
	srcs, err := LoadCRDFiles(dir)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		if _, err := New(context.Background(), Options{CRDs: srcs, NoEmbedded: true}); err != nil {
			b.Fatal(err)
		}
	}
}
