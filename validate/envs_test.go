package validate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"prenv.dev/prenv/kit"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/spec"
)

// renderExample renders PR pr's environment of examples/<name>/prenv.yaml
// with the embedded templates, as render sync does: objects in the
// canonical decoded-JSON form of manifest.ParseObjects.
func renderExample(tb testing.TB, k *kit.Kit, name string, pr int) []*unstructured.Unstructured {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("..", "examples", name, "prenv.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	env, err := spec.Load(data)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := plan.Plan(env, pr)
	if err != nil {
		tb.Fatal(err)
	}
	objs, err := k.ExecuteModel(context.Background(), m)
	if err != nil {
		tb.Fatal(err)
	}
	return objs
}

// TestConcurrentEnvs validates the environments of several PRs, some of
// them broken, from several goroutines at once with one Validator (run
// with -race): each result is the one a lone validation gives, and the
// objects, shared by the goroutines, are not modified.
func TestConcurrentEnvs(t *testing.T) {
	ctx := context.Background()
	v := equivalenceValidator(t)
	r, err := kit.LoadEnvKit(nil)
	if err != nil {
		t.Fatal(err)
	}
	var rendered [][]*unstructured.Unstructured
	for pr := 1; pr <= 4; pr++ {
		for _, name := range []string{"web", "databases"} {
			rendered = append(rendered, renderExample(t, r, name, pr))
		}
	}
	// The rendered envs and broken variants of the first: an unknown
	// field, a wrong type, Go values that are not decoded JSON. Made twice:
	// the second set is kept to check the first is not modified.
	makeEnvs := func() [][]*unstructured.Unstructured {
		var envs [][]*unstructured.Unstructured
		for _, objs := range rendered {
			envs = append(envs, mutated(objs, mutation{apply: func(map[string]interface{}) {}}))
		}
		for _, m := range mutations {
			switch m.name {
			case "unknown-deepest", "string-as-int", "ints-as-whole-floats", "typed-labels", "null-list":
				envs = append(envs, mutated(rendered[0], m))
			}
		}
		return envs
	}
	envs, unchanged := makeEnvs(), makeEnvs()
	want := make([]Result, len(envs))
	for i, objs := range envs {
		res, err := v.ValidateObjects(ctx, objs, envs[i%2])
		if err != nil {
			t.Fatal(err)
		}
		want[i] = res
	}
	const workers, rounds = 4, 3
	var wg sync.WaitGroup
	errs := make(chan string, workers*rounds*len(envs))
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < rounds; n++ {
				for j := range envs {
					i := (j + w) % len(envs) // each worker in another order
					got, err := v.ValidateObjects(ctx, envs[i], envs[i%2])
					if err != nil {
						errs <- err.Error()
						continue
					}
					if diff := cmp.Diff(want[i], got); diff != "" {
						errs <- fmt.Sprintf("env %d (-alone +concurrent):\n%s", i, diff)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	for i, objs := range envs {
		for j, o := range objs {
			if diff := cmp.Diff(unchanged[i][j].Object, o.Object); diff != "" {
				t.Errorf("env %d object %d modified (-before +after):\n%s", i, j, diff)
			}
		}
	}
}
