package render_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"prenv.dev/prenv/render"
)

// BenchmarkSync10k is render sync at scale: render.Sync of n open PRs of
// the medium spec (examples/web) into a new tree, with one Renderer and
// one Validator, for n = 100 and n = 10,000 in the same run, so that their
// per-env times compare under the same load. Each env is written into the
// new tree as soon as it passed, so memory stays bounded. It reports
// ns/env and peak-MiB: the most memory the Go runtime held from the
// system at once during the syncs (sampled every 5 ms; total less
// released, about the process's resident Go memory).
//
//	go test ./render -run '^$' -bench Sync10k -benchtime 1x
func BenchmarkSync10k(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("envs=%d", n), func(b *testing.B) {
			ctx := context.Background()
			specs, _, opts := benchSync(b, 1)
			prs := make([]int, n)
			for i := range prs {
				prs[i] = i + 1
			}
			root := b.TempDir()
			peak := samplePeak(b)
			i := 0
			for b.Loop() {
				i++
				if _, err := render.Sync(ctx, filepath.Join(root, fmt.Sprint("envs-", i)), specs, prs, opts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/env")
			b.ReportMetric(float64(peak())/(1<<20), "peak-MiB")
		})
	}
}

// samplePeak samples the Go runtime's memory until the returned function
// is called, which returns the peak in bytes.
func samplePeak(b *testing.B) func() uint64 {
	b.Helper()
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	var peak uint64
	read := func() {
		metrics.Read(s)
		peak = max(peak, s[0].Value.Uint64()-s[1].Value.Uint64())
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				read()
			}
		}
	})
	return func() uint64 {
		close(stop)
		wg.Wait()
		read()
		return peak
	}
}
