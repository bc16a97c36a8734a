package leftovers

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"

	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/outputdir"
	"prenv.dev/prenv/spec"
)

// maxMarkerSize bounds what is read of a file in the tree: only markers are
// opened, and only to see that they are there.
const maxMarkerSize = 1 << 20

// prFolderRE is the name `render sync` gives a PR's folder.
var prFolderRE = regexp.MustCompile(`^pr-([1-9][0-9]*)$`)

// tree finds the PR folders of a `render sync` tree (pr-<n>/ with one spec,
// <app>/pr-<n>/ with several) whose pull request is not open or whose app
// has no spec. Only folders that hold prenv's [outputdir.MarkerFile] count.
func (f *finder) tree(dir string, rep *Report) {
	fsys, err := spec.OpenDirFS(dir, maxMarkerSize)
	if err != nil {
		rep.Failures = append(rep.Failures, &SourceError{Source: SourceTree, What: dir, Err: err})
		return
	}
	defer fsys.Close()
	top, err := fsys.ReadDir(".")
	if err != nil {
		rep.Failures = append(rep.Failures, &SourceError{Source: SourceTree, What: dir, Err: err})
		return
	}
	for _, e := range top {
		name := e.Name()
		if !e.IsDir() || strings.HasPrefix(name, ".") {
			continue
		}
		if prFolderRE.MatchString(name) {
			f.folder(fsys, name, f.oneApp, rep)
			continue
		}
		sub, err := fsys.ReadDir(name)
		if err != nil {
			rep.Failures = append(rep.Failures, &SourceError{Source: SourceTree, What: path.Join(dir, name), Err: err})
			continue
		}
		for _, s := range sub {
			if s.IsDir() && prFolderRE.MatchString(s.Name()) {
				f.folder(fsys, name+"/"+s.Name(), name, rep)
			}
		}
	}
}

// folder checks the PR folder rel (slash-separated) of app ("" for a
// top-level folder of a tree of several specs).
func (f *finder) folder(fsys spec.DirFS, rel, app string, rep *Report) {
	if _, err := fsys.Stat(rel + "/" + outputdir.MarkerFile); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			rep.Failures = append(rep.Failures, &SourceError{Source: SourceTree, What: rel, Err: err})
		}
		return
	}
	rep.Checked[SourceTree]++
	pr, _ := strconv.Atoi(prFolderRE.FindStringSubmatch(path.Base(rel))[1])
	l := Leftover{Source: SourceTree, Kind: "folder", Name: rel, PR: pr, App: app}
	envSpec, known := f.apps[app]
	switch {
	case app == "":
		l.Reason, l.Detail = ReasonUnknownApp, "a tree of several specs holds <app>/pr-<n>/ folders; this one names no app"
	case !known:
		l.Reason, l.Detail = ReasonUnknownApp, fmt.Sprintf("app %q has no spec", app)
	case !f.open[pr]:
		l.Reason, l.Detail = ReasonPRClosed, fmt.Sprintf("pull request %d is not open", pr)
	default:
		return
	}
	if known && pr <= spec.MaxPR {
		l.Env = awsrules.EnvName(envSpec.Spec.Prefix, pr, app)
	}
	rep.Leftovers = append(rep.Leftovers, l)
}
