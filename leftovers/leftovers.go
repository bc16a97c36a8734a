package leftovers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/spec"
)

// AnnotationTTL is the Namespace annotation that holds the env's
// time-to-live as a Go duration ("72h"), rendered from spec.ttl: the env
// expires at the Namespace's creationTimestamp plus this duration.
const AnnotationTTL = spec.AnnotationTTL

// Source says where a leftover was found.
type Source string

// The sources [Find] reads.
const (
	SourceCluster Source = "cluster" // the Kubernetes cluster ([Cluster])
	SourceAWS     Source = "aws"     // the AWS account ([AWS])
	SourceTree    Source = "tree"    // a `render sync` tree ([Options].TreeDir)
)

// Reason says why something is a leftover.
type Reason string

// The reasons of a leftover.
const (
	// ReasonPRClosed: the object or folder belongs to a pull request that
	// is not among the open ones.
	ReasonPRClosed Reason = "pr-closed"
	// ReasonUnknownApp: the object, resource or folder carries the prefix
	// of a given spec, but its app is none of the specs' apps (an app
	// whose spec was removed).
	ReasonUnknownApp Reason = "unknown-app"
	// ReasonEnvMismatch: the labels name an app of the specs, but not the
	// env name its spec gives that pull request (the spec's prefix
	// changed, or the labels are not a number and a name prenv wrote).
	ReasonEnvMismatch Reason = "env-mismatch"
	// ReasonTTLExpired: the env's Namespace is older than its
	// [AnnotationTTL], whether or not the pull request is open; every
	// object of that env is reported with this reason.
	ReasonTTLExpired Reason = "ttl-expired"
	// ReasonNoEnv: an AWS resource tagged with an env that has no
	// Namespace in the cluster (without a [Cluster]: that is the env of no
	// open pull request of the specs).
	ReasonNoEnv Reason = "no-env"
)

// Leftover is one thing that should not be there any more. The JSON field
// names are the stable output of `render leftovers -o json`.
type Leftover struct {
	Source Source `json:"source"`
	// Kind is Kind[.group] for a Kubernetes object ("Namespace",
	// "Role.iam.services.k8s.aws", "Application.argoproj.io"),
	// <service>:<resource type> for an AWS resource ("dynamodb:table",
	// "sqs:queue", "iam:role", "iam:policy"), and "folder" for a folder
	// of the tree.
	Kind string `json:"kind"`
	// Namespace is a namespaced object's namespace.
	Namespace string `json:"namespace"`
	// Name is the object's or resource's name, or the folder's
	// slash-separated path in the tree (pr-12, web/pr-12).
	Name string `json:"name"`
	// ARN is an AWS resource's ARN.
	ARN string `json:"arn"`
	// Env, PR and App are what prenv's labels, tags or the folder's name
	// say (PR 0 when they do not say it).
	Env    string `json:"env"`
	PR     int    `json:"pr"`
	App    string `json:"app"`
	Reason Reason `json:"reason"`
	// Detail says why in a sentence.
	Detail string `json:"detail"`
}

// SourceError is a source, or part of one, that could not be read.
type SourceError struct {
	Source Source
	// What names what was read ("Role.iam.services.k8s.aws", "tagging
	// API", the tree's folder).
	What string
	Err  error
}

func (e *SourceError) Error() string {
	return fmt.Sprintf("%s: %s: %v", e.Source, e.What, e.Err)
}

func (e *SourceError) Unwrap() error { return e.Err }

// Report is what [Find] found.
type Report struct {
	// Leftovers are sorted by source, kind, namespace, name, then ARN.
	Leftovers []Leftover
	// Checked counts what was examined per source: the cluster's objects
	// with prenv's labels, the AWS resources with prenv's tags, the PR
	// folders of the tree.
	Checked map[Source]int
	// Skipped lists, sorted, the cluster kinds that the cluster does not
	// serve ([ErrKindNotServed]): it has none of those objects.
	Skipped []string
	// Failures lists what could not be read; the leftovers of the other
	// sources are still reported, those of a failed part are missing.
	Failures []*SourceError
}

// Options are the input of [Find].
type Options struct {
	// Specs are the apps' specs, as `render sync` takes them; each must be
	// valid ([spec.Check]) and their apps distinct.
	Specs []*spec.PreviewEnvironment
	// OpenPRs are the open pull requests, each from 1 to [spec.MaxPR],
	// each once; they are open for every app of Specs, as in `render
	// sync`. Empty means none is open.
	OpenPRs []int
	// Now is the time TTLs are compared with; required.
	Now time.Time
	// Cluster, when set, is read for prenv's Namespaces, ACK objects and
	// Argo CD Applications.
	Cluster Cluster
	// AWS, when set, is read for the resources prenv tagged.
	AWS AWS
	// TreeDir, when set, is a `render sync` output folder whose PR
	// folders are checked.
	TreeDir string
}

// Find reports the leftovers of opts.Specs' envs in every source opts
// gives; it only reads. Options that break a rule give a
// [*spec.InvalidError] listing every problem with its field path; a
// source that cannot be read (fully or in part) is listed in
// [Report].Failures and the other sources are still read. ctx bounds
// every call to the cluster and AWS.
func Find(ctx context.Context, opts Options) (*Report, error) {
	if errs := checkOptions(opts); len(errs) > 0 {
		return nil, &spec.InvalidError{Errs: errs}
	}
	f := newFinder(opts)
	rep := &Report{Leftovers: []Leftover{}, Checked: map[Source]int{}, Skipped: []string{}, Failures: []*SourceError{}}
	// knownEnvs are the env names that exist: the cluster's Namespaces,
	// or without them (no cluster, or its Namespaces could not be listed)
	// the open PRs' envs.
	var knownEnvs map[string]bool
	if opts.Cluster != nil {
		knownEnvs = f.cluster(ctx, opts.Cluster, rep)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.AWS != nil {
		fromCluster := knownEnvs != nil
		if !fromCluster {
			knownEnvs = f.openEnvs()
		}
		f.aws(ctx, opts.AWS, knownEnvs, fromCluster, rep)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.TreeDir != "" {
		f.tree(opts.TreeDir, rep)
	}
	slices.SortFunc(rep.Leftovers, func(a, b Leftover) int {
		return cmp.Or(strings.Compare(string(a.Source), string(b.Source)), strings.Compare(a.Kind, b.Kind),
			strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Name, b.Name), strings.Compare(a.ARN, b.ARN))
	})
	slices.Sort(rep.Skipped)
	slices.SortStableFunc(rep.Failures, func(a, b *SourceError) int {
		return cmp.Or(strings.Compare(string(a.Source), string(b.Source)), strings.Compare(a.What, b.What))
	})
	return rep, nil
}

// checkOptions lists what is wrong with opts.
func checkOptions(opts Options) field.ErrorList {
	var errs field.ErrorList
	seenPR := map[int]bool{}
	for i, pr := range opts.OpenPRs {
		p := field.NewPath("openPRs").Index(i)
		switch {
		case pr < 1 || pr > spec.MaxPR:
			errs = append(errs, field.Invalid(p, pr, fmt.Sprintf("the pull-request number must be between 1 and %d", spec.MaxPR)))
		case seenPR[pr]:
			errs = append(errs, field.Duplicate(p, pr))
		}
		seenPR[pr] = true
	}
	if len(opts.Specs) == 0 {
		errs = append(errs, field.Required(field.NewPath("specs"), "at least one spec is needed: it says which envs are prenv's"))
	}
	seenApp := map[string]bool{}
	for i, s := range opts.Specs {
		p := field.NewPath("specs").Index(i)
		if s == nil {
			errs = append(errs, field.Required(p, "a spec is needed"))
			continue
		}
		if seenApp[s.Metadata.Name] {
			errs = append(errs, field.Duplicate(p.Child("metadata", "name"), s.Metadata.Name))
		}
		seenApp[s.Metadata.Name] = true
		for _, e := range spec.Check(s) {
			e2 := *e
			e2.Field = p.String() + "." + e.Field
			errs = append(errs, &e2)
		}
	}
	if opts.Now.IsZero() {
		errs = append(errs, field.Required(field.NewPath("now"), "the time TTLs are compared with is needed"))
	}
	if opts.Cluster == nil && opts.AWS == nil && opts.TreeDir == "" {
		errs = append(errs, field.Required(field.NewPath("cluster"), "no source to read: give a cluster, AWS or a tree folder"))
	}
	return errs
}

// finder holds what every source's check needs.
type finder struct {
	opts   Options
	apps   map[string]*spec.PreviewEnvironment
	open   map[int]bool
	oneApp string // the app of a one-spec tree
}

func newFinder(opts Options) *finder {
	f := &finder{opts: opts, apps: map[string]*spec.PreviewEnvironment{}, open: map[int]bool{}}
	for _, s := range opts.Specs {
		f.apps[s.Metadata.Name] = s
	}
	for _, pr := range opts.OpenPRs {
		f.open[pr] = true
	}
	if len(opts.Specs) == 1 {
		f.oneApp = opts.Specs[0].Metadata.Name
	}
	return f
}

// openEnvs returns the env names of every open PR of every app.
func (f *finder) openEnvs() map[string]bool {
	envs := map[string]bool{}
	for _, s := range f.opts.Specs {
		for pr := range f.open {
			envs[awsrules.EnvName(s.Spec.Prefix, pr, s.Metadata.Name)] = true
		}
	}
	return envs
}

// envNameRE splits what follows "<prefix>-" in an env name: the PR number
// and the app (awsrules.EnvName).
var envNameRE = regexp.MustCompile(`^([1-9][0-9]*)-([a-z0-9]([-a-z0-9]*[a-z0-9])?)$`)

// withPrefix reports whether env is an env name <prefix>-<pr>-<app> for the
// prefix of one of the specs, and returns its PR and app.
func (f *finder) withPrefix(env string) (pr int, app string, ok bool) {
	for _, s := range f.opts.Specs {
		rest, found := strings.CutPrefix(env, s.Spec.Prefix+"-")
		if !found {
			continue
		}
		if m := envNameRE.FindStringSubmatch(rest); m != nil {
			if n, err := strconv.Atoi(m[1]); err == nil && n <= spec.MaxPR {
				return n, m[2], true
			}
		}
	}
	return 0, "", false
}

// verdict judges an env by what its labels or tags say: app, pr (the
// label's text) and env. ours is false for what belongs to none of the
// specs (another prenv's, or not prenv's at all); reason is "" for an env
// of an open PR that matches its spec.
func (f *finder) verdict(app, pr, env string) (n int, ours bool, reason Reason, detail string) {
	n, _ = strconv.Atoi(pr)
	if strconv.Itoa(n) != pr || n < 1 || n > spec.MaxPR {
		n = 0
	}
	envSpec, known := f.apps[app]
	if !known {
		if _, _, ok := f.withPrefix(env); ok {
			return n, true, ReasonUnknownApp, fmt.Sprintf("app %q has no spec, but env %q has a spec's prefix", app, env)
		}
		return n, false, "", ""
	}
	if n == 0 {
		return n, true, ReasonEnvMismatch, fmt.Sprintf("%s %q is not a pull-request number", spec.LabelPR, pr)
	}
	if want := awsrules.EnvName(envSpec.Spec.Prefix, n, app); env != want {
		return n, true, ReasonEnvMismatch, fmt.Sprintf("env %q is not the env the spec of %s gives PR %d (%q)", env, app, n, want)
	}
	if !f.open[n] {
		return n, true, ReasonPRClosed, fmt.Sprintf("pull request %d is not open", n)
	}
	return n, true, "", ""
}

// errorsIsNotServed reports whether err says the cluster lacks the kind.
func errorsIsNotServed(err error) bool { return errors.Is(err, ErrKindNotServed) }
