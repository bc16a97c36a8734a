package outputdir_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"prenv.dev/prenv/outputdir"
)

// TestReplaceDirStream: folders given from several goroutines at once, in
// any order, make the tree ReplaceDir makes of the same files, with the
// same changes; folders that hold others get a marker listing no file.
func TestReplaceDirStream(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	dir := filepath.Join(parent, "envs")
	if _, err := outputdir.ReplaceDir(ctx, dir, map[string][]byte{
		"web/pr-1/a.yaml": []byte("old\n"), "web/pr-1/b.yaml": []byte("b\n"), "web/pr-2/a.yaml": []byte("gone\n"),
	}); err != nil {
		t.Fatal(err)
	}
	folders := map[string]map[string][]byte{
		"web/pr-1": {"a.yaml": []byte("new\n"), "b.yaml": []byte("b\n")},
		"web/pr-3": {"a.yaml": []byte("3\n")},
		"api/pr-1": {"a.yaml": []byte("api\n")},
	}
	got, err := outputdir.ReplaceDirStream(ctx, dir, func(ctx context.Context, put outputdir.PutFunc) error {
		var wg sync.WaitGroup
		errs := make(chan error, len(folders))
		for folder, files := range folders {
			wg.Go(func() { errs <- put(folder, files) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := outputdir.DirChanges{
		Added:   []string{"api/pr-1/a.yaml", "web/pr-3/a.yaml"},
		Changed: []string{"web/pr-1/a.yaml"},
		Removed: []string{"web/pr-2/a.yaml"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	wantTree := map[string]string{
		".prenv-output": markerOf(),
		"api/":          "", "api/.prenv-output": markerOf(),
		"api/pr-1/": "", "api/pr-1/.prenv-output": markerOf("a.yaml"), "api/pr-1/a.yaml": "api\n",
		"web/": "", "web/.prenv-output": markerOf(),
		"web/pr-1/": "", "web/pr-1/.prenv-output": markerOf("a.yaml", "b.yaml"), "web/pr-1/a.yaml": "new\n", "web/pr-1/b.yaml": "b\n",
		"web/pr-3/": "", "web/pr-3/.prenv-output": markerOf("a.yaml"), "web/pr-3/a.yaml": "3\n",
	}
	if diff := cmp.Diff(wantTree, snapshot(t, dir)); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
	noLeftovers(t, parent, "envs")
}

// TestReplaceDirStreamInvalid: each kind of bad put is an
// *InvalidFilesError at files[<path>] for that call, and the run then
// leaves the folder as it was, even when fill ignores the error.
func TestReplaceDirStreamInvalid(t *testing.T) {
	one := map[string][]byte{"a.yaml": []byte("a\n")}
	for name, tc := range map[string]struct {
		before [][2]string // folder, file name given first (each must succeed)
		folder string
		files  map[string][]byte
		want   string
	}{
		"the top folder after another": {
			before: [][2]string{{"pr-1", "a.yaml"}}, folder: ".", files: one,
			want: `files[.]: Invalid value: ".": the top folder's files must be given first`,
		},
		"a folder twice": {
			before: [][2]string{{"pr-1", "a.yaml"}}, folder: "pr-1", files: one,
			want: `files[pr-1]: Duplicate value: "pr-1"`,
		},
		"a folder made to hold another": {
			before: [][2]string{{"web/pr-1", "a.yaml"}}, folder: "web", files: one,
			want: `files[web]: Invalid value: "web": was made to hold a folder given before it: give a folder before the folders inside it`,
		},
		"folders that differ only in case": {
			before: [][2]string{{"pr-1", "a.yaml"}}, folder: "PR-1", files: one,
			want: `files[PR-1]: Invalid value: "PR-1": "pr-1" and "PR-1" differ only in case, which a case-insensitive file system cannot hold apart`,
		},
		"a file that is a folder": {
			before: [][2]string{{".", "x"}}, folder: "x", files: one,
			want: `files[x]: Invalid value: "x": is a file and also the folder of x`,
		},
		"a file name with a separator": {
			folder: "pr-1", files: map[string][]byte{"a/b.yaml": nil},
			want: `files[pr-1/a/b.yaml]: Invalid value: "pr-1/a/b.yaml": a file name must be one path element`,
		},
		"a bad folder": {
			folder: "../out", files: one,
			want: `files[../out]: Invalid value: "../out": must not contain "." or ".." elements`,
		},
		"a reserved file name": {
			folder: "pr-1", files: map[string][]byte{".prenv-output": nil},
			want: `files[pr-1/.prenv-output]: Invalid value: "pr-1/.prenv-output": .prenv-output is reserved for prenv's marker`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			dir, unchanged := oldTree(t, map[string][]byte{"old.yaml": []byte("old\n")})
			var putErr error
			_, err := outputdir.ReplaceDirStream(ctx, dir, func(ctx context.Context, put outputdir.PutFunc) error {
				for _, b := range tc.before {
					if err := put(b[0], map[string][]byte{b[1]: []byte("x\n")}); err != nil {
						return fmt.Errorf("given first: %w", err)
					}
				}
				putErr = put(tc.folder, tc.files)
				return nil // ignored: the run still fails
			})
			var invalid *outputdir.InvalidFilesError
			if !errors.As(putErr, &invalid) || len(invalid.Errs) != 1 {
				t.Fatalf("put: got %v, want one problem in an *InvalidFilesError", putErr)
			}
			if got := invalid.Errs[0].Error(); got != tc.want {
				t.Errorf("put:\n got %s\nwant %s", got, tc.want)
			}
			if err != putErr {
				t.Errorf("ReplaceDirStream: got %v, want put's error", err)
			}
			unchanged()
		})
	}
}

// TestReplaceDirStreamFillFails: fill's error is returned as it is, after
// the files already given are removed, and the folder is as it was.
func TestReplaceDirStreamFillFails(t *testing.T) {
	ctx := context.Background()
	dir, unchanged := oldTree(t, map[string][]byte{"pr-1/a.yaml": []byte("old\n")})
	errEnv := errors.New("an env failed")
	_, err := outputdir.ReplaceDirStream(ctx, dir, func(ctx context.Context, put outputdir.PutFunc) error {
		if err := put("pr-1", map[string][]byte{"a.yaml": []byte("new\n")}); err != nil {
			return err
		}
		return errEnv
	})
	if err != errEnv {
		t.Fatalf("got %v, want fill's error as it is", err)
	}
	unchanged()

	// Refused before fill runs.
	write(t, filepath.Join(dir, "mine.txt"), "the user's\n")
	called := false
	_, err = outputdir.ReplaceDirStream(ctx, dir, func(context.Context, outputdir.PutFunc) error { called = true; return nil })
	if !errors.Is(err, outputdir.ErrNotPrenvOutput) || called {
		t.Errorf("got %v (fill called: %v), want ErrNotPrenvOutput before fill", err, called)
	}
}

// oldTree writes files with ReplaceDir into a new folder and returns it,
// with a function that asserts it is still as written and that nothing
// is left beside it.
func oldTree(t *testing.T, files map[string][]byte) (string, func()) {
	t.Helper()
	parent := t.TempDir()
	dir := filepath.Join(parent, "envs")
	if _, err := outputdir.ReplaceDir(context.Background(), dir, files); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	return dir, func() {
		t.Helper()
		if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
			t.Errorf("the folder changed (-before +after):\n%s", diff)
		}
		noLeftovers(t, parent, "envs")
	}
}
