//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package outputdir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// childEnv carries the job of a child process, as JSON.
const childEnv = "PRENV_OUTPUTDIR_CHILD"

// childJob is what a child process does: ReplaceDir of a version of files
// into Dir, killing itself with SIGKILL when it reaches the step KillAt.
type childJob struct {
	Dir        string
	Version    string
	KillAt     string
	NoExchange bool
}

// versionFiles are the trees the tests write: A before, B the killed run,
// C the run after; P<n> for concurrent writers.
func versionFiles(v string) map[string][]byte {
	switch v {
	case "A":
		return map[string][]byte{"a.yaml": []byte("A\n"), "gone.yaml": []byte("A\n"), "pr-1/x.yaml": []byte("A\n")}
	case "B":
		return map[string][]byte{"a.yaml": []byte("B\n"), "b.yaml": []byte("B\n"), "pr-1/x.yaml": []byte("B\n"), "pr-2/y.yaml": []byte("B\n"), "pr-2/z/deep.yaml": []byte("B\n")}
	case "C":
		return map[string][]byte{"c.yaml": []byte("C\n")}
	}
	return map[string][]byte{"common.yaml": []byte(v + "\n"), strings.ToLower(v) + "/f.yaml": []byte(v + "\n")}
}

// TestOutputDirChild runs in a child process only, started by the tests
// below with childEnv set.
func TestOutputDirChild(t *testing.T) {
	raw := os.Getenv(childEnv)
	if raw == "" {
		t.Skip("runs as a child of TestReplaceDirKilled and TestReplaceDirProcesses")
	}
	var job childJob
	if err := json.Unmarshal([]byte(raw), &job); err != nil {
		t.Fatal(err)
	}
	r := replacer{noExchange: job.NoExchange, hook: func(step string) {
		if step == job.KillAt {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := r.replace(ctx, job.Dir, versionFiles(job.Version)); err != nil {
		t.Fatal(err)
	}
}

func startChild(t *testing.T, job childJob) *exec.Cmd {
	t.Helper()
	raw, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestOutputDirChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+string(raw))
	return cmd
}

func killedBySIGKILL(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// treeOf is every entry below dir (relative slash name → contents, folders
// ending in "/"), or nil when dir is absent.
func treeOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if d.IsDir() {
			got[rel+"/"] = ""
			return nil
		}
		b, err := os.ReadFile(p)
		got[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// wantTree is the tree ReplaceDir writes for files: the files, and in every
// folder a marker listing the folder's files.
func wantTree(files map[string][]byte) map[string]string {
	tree := map[string]string{}
	listed := map[string][]string{".": nil}
	for p, b := range files {
		tree[p] = string(b)
		d := path.Dir(p)
		listed[d] = append(listed[d], path.Base(p))
		for ; d != "."; d = path.Dir(d) {
			tree[d+"/"] = ""
			if _, ok := listed[d]; !ok {
				listed[d] = nil
			}
		}
	}
	for d, names := range listed {
		slices.Sort(names)
		m := markerHeader + "\n" +
			"# prenv replaces this folder as a whole on its next run, and refuses to\n" +
			"# if the folder holds a file not listed below: do not add files by hand.\n"
		for _, n := range names {
			m += n + "\n"
		}
		tree[path.Join(d, MarkerFile)] = m
	}
	return tree
}

// onlyFolder asserts parent holds the folder "out" and nothing else.
func onlyFolder(t *testing.T, parent string) {
	t.Helper()
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"out"}) {
		t.Errorf("beside the folder: %v, want only out", names)
	}
}

// TestReplaceDirKilled kills a writer (a child process) at each step of a
// run. Afterwards the folder is entirely the old tree or entirely the new
// one: with the exchange at every step; with the two-rename fallback at
// every step but the one between the renames, where the next run moves the
// old tree back. The next run then cleans up and succeeds, leaving nothing
// beside the folder.
func TestReplaceDirKilled(t *testing.T) {
	a, b, c := versionFiles("A"), versionFiles("B"), versionFiles("C")
	for _, mode := range []string{"exchange", "fallback"} {
		for _, initial := range []string{"absent", "previous"} {
			steps := []string{stepLocked, stepCleaned, stepStaging, stepStaged, stepSwapped, stepRemoved}
			if mode == "fallback" && initial == "previous" {
				steps = slices.Insert(steps, 4, stepMovedOld)
			}
			for i, step := range steps {
				t.Run(fmt.Sprintf("%s/%s/%d-%s", mode, initial, i, step), func(t *testing.T) {
					parent := t.TempDir()
					dir := filepath.Join(parent, "out")
					var before map[string]string
					if initial == "previous" {
						if _, err := (replacer{}).replace(context.Background(), dir, a); err != nil {
							t.Fatal(err)
						}
						before = wantTree(a)
					}
					err := startChild(t, childJob{Dir: dir, Version: "B", KillAt: step, NoExchange: mode == "fallback"}).Run()
					if !killedBySIGKILL(err) {
						t.Fatalf("the child was not killed at %s: %v", step, err)
					}
					got := treeOf(t, dir)
					switch step {
					case stepMovedOld:
						if got != nil {
							t.Errorf("the folder is there between the renames: %v", slices.Sorted(maps.Keys(got)))
						}
						if diff := cmp.Diff(wantTree(a), treeOf(t, filepath.Join(parent, ".out.prenv-old"))); diff != "" {
							t.Errorf("the old tree aside (-want +got):\n%s", diff)
						}
					case stepSwapped, stepRemoved:
						if diff := cmp.Diff(wantTree(b), got); diff != "" {
							t.Errorf("killed after the swap: not the new tree (-want +got):\n%s", diff)
						}
					default:
						if diff := cmp.Diff(before, got); diff != "" {
							t.Errorf("killed before the swap: not the old tree (-want +got):\n%s", diff)
						}
					}

					changes, err := (replacer{}).replace(context.Background(), dir, c)
					if err != nil {
						t.Fatalf("the next run: %v", err)
					}
					if diff := cmp.Diff(wantTree(c), treeOf(t, dir)); diff != "" {
						t.Errorf("after the next run (-want +got):\n%s", diff)
					}
					onlyFolder(t, parent)
					if step == stepMovedOld {
						// The change set is against A: it was moved back first.
						want := DirChanges{Added: []string{"c.yaml"}, Removed: []string{"a.yaml", "gone.yaml", "pr-1/x.yaml"}}
						if diff := cmp.Diff(want, changes); diff != "" {
							t.Errorf("changes (-want +got):\n%s", diff)
						}
					}
				})
			}
		}
	}
	t.Run("exchange/previous: the folder is never moved aside", func(t *testing.T) {
		parent := t.TempDir()
		if !exchangeSupported(t, parent) {
			t.Skip("this file system cannot exchange names")
		}
		dir := filepath.Join(parent, "out")
		if _, err := (replacer{}).replace(context.Background(), dir, a); err != nil {
			t.Fatal(err)
		}
		if err := startChild(t, childJob{Dir: dir, Version: "B", KillAt: stepMovedOld}).Run(); err != nil {
			t.Fatalf("the child stopped at %s or failed: %v", stepMovedOld, err)
		}
		if diff := cmp.Diff(wantTree(b), treeOf(t, dir)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		onlyFolder(t, parent)
	})
}

// TestReplaceDirNeverAbsent: while writers in goroutines replace the
// folder again and again, a watcher never finds it absent where the file
// system exchanges names. With the fallback it does (the steps sleep, to
// widen the window between the two renames), which shows the watcher can
// see it.
func TestReplaceDirNeverAbsent(t *testing.T) {
	for _, mode := range []string{"exchange", "fallback"} {
		t.Run(mode, func(t *testing.T) {
			parent := t.TempDir()
			if mode == "exchange" && !exchangeSupported(t, parent) {
				t.Skip("this file system cannot exchange names")
			}
			dir := filepath.Join(parent, "out")
			if _, err := (replacer{}).replace(context.Background(), dir, versionFiles("P0")); err != nil {
				t.Fatal(err)
			}
			r := replacer{noExchange: mode == "fallback", hook: func(string) { time.Sleep(time.Millisecond) }}
			stop := make(chan struct{})
			absent := 0
			var watcher sync.WaitGroup
			watcher.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := os.Lstat(dir); err != nil {
						absent++
					}
				}
			})
			var writers sync.WaitGroup
			for i := range 3 {
				writers.Go(func() {
					for range 5 {
						if _, err := r.replace(context.Background(), dir, versionFiles(fmt.Sprintf("P%d", i))); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			writers.Wait()
			close(stop)
			watcher.Wait()
			switch {
			case mode == "exchange" && absent > 0:
				t.Errorf("the folder was absent %d times", absent)
			case mode == "fallback" && absent == 0:
				t.Error("the watcher never saw the fallback's window")
			}
		})
	}
}

// TestReplaceDirProcesses: writers in several processes at once take
// turns on the lock; each succeeds, the folder ends as one writer's tree,
// entirely, and nothing is left beside it.
func TestReplaceDirProcesses(t *testing.T) {
	for _, mode := range []string{"exchange", "fallback"} {
		t.Run(mode, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "out")
			if _, err := (replacer{}).replace(context.Background(), dir, versionFiles("P0")); err != nil {
				t.Fatal(err)
			}
			var cmds []*exec.Cmd
			var wants []map[string]string
			for i := 1; i <= 6; i++ {
				v := fmt.Sprintf("P%d", i)
				wants = append(wants, wantTree(versionFiles(v)))
				cmd := startChild(t, childJob{Dir: dir, Version: v, NoExchange: mode == "fallback"})
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				cmds = append(cmds, cmd)
			}
			for i, cmd := range cmds {
				if err := cmd.Wait(); err != nil {
					t.Errorf("writer %d: %v", i+1, err)
				}
			}
			got := treeOf(t, dir)
			if !slices.ContainsFunc(wants, func(w map[string]string) bool { return reflect.DeepEqual(w, got) }) {
				t.Errorf("the folder is no writer's tree: %v", slices.Sorted(maps.Keys(got)))
			}
			onlyFolder(t, parent)
		})
	}
}
