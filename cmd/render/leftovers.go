package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"
	"k8s.io/client-go/tools/clientcmd"

	"prenv.dev/prenv/leftovers"
	"prenv.dev/prenv/leftovers/awsapi"
	"prenv.dev/prenv/leftovers/kube"
	"prenv.dev/prenv/spec"
)

// Exit codes of render leftovers beyond the common ones.
const (
	// exitLeftovers: leftovers were found (and every source was read).
	exitLeftovers = 4
	// exitSourceFailed: a source could not be read, fully or in part;
	// what was read is still reported. It wins over exitLeftovers.
	exitSourceFailed = 5
)

func runLeftovers(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("leftovers", "-f SPEC [-f SPEC|DIR]... (--prs N,N... | --prs-file FILE | --prs-json FILE) [flags]", stderr)
	var (
		files                        listFlag
		prFlags                      openPRFlags
		treeDir, kubeconfig, kubeCtx string
		noCluster, useAWS            bool
		regions                      listFlag
		outputMode, nowFlag          string
		timeout                      time.Duration
		overrides                    overrideFlags
	)
	fs.Var(&files, "f", "a spec `FILE` (prenv.yaml), - for standard input, or a folder whose prenv.yaml and */prenv.yaml are read (repeatable)")
	prFlags.register(fs, "an empty file means none is open")
	fs.StringVar(&treeDir, "output-dir", "", "a render sync tree (`DIR`) whose PR folders are checked (optional)")
	fs.BoolVar(&noCluster, "no-cluster", false, "do not read the cluster")
	fs.StringVar(&kubeconfig, "kubeconfig", "", "the kubeconfig `FILE` (default: $KUBECONFIG, ~/.kube/config or the in-cluster ServiceAccount)")
	fs.StringVar(&kubeCtx, "context", "", "the kubeconfig `CONTEXT` (default: the current one)")
	fs.BoolVar(&useAWS, "aws", false, "read AWS too (default credential chain): the tagging API and IAM")
	fs.Var(&regions, "region", "an AWS `REGION` whose tagged resources are read (repeatable; default: the specs' spec.aws.region)")
	fs.DurationVar(&timeout, "timeout", 5*time.Minute, "the longest the whole run may take (a Go `DURATION`)")
	fs.StringVar(&nowFlag, "now", "", "the `TIME` TTLs are compared with, RFC 3339 (default: now)")
	fs.StringVar(&outputMode, "o", "text", "output `FORMAT`: text or json")
	overrides.register(fs)
	if code, ok := parseNoArgs(fs, args, stderr); !ok {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "render leftovers: "+format+"\n", a...)
		return exitUsage
	}
	if len(files) == 0 {
		return usageErr("-f SPEC is required (a prenv.yaml, - for standard input, or a folder of them): the specs say which envs are prenv's")
	}
	if outputMode != "text" && outputMode != "json" {
		return usageErr("-o %q: must be text or json", outputMode)
	}
	if noCluster && !useAWS && treeDir == "" {
		return usageErr("nothing to read: --no-cluster without --aws or --output-dir")
	}
	if len(regions) > 0 && !useAWS {
		return usageErr("--region needs --aws")
	}
	if timeout <= 0 {
		return usageErr("--timeout %s: must be positive", timeout)
	}
	now := time.Now()
	if nowFlag != "" {
		t, err := time.Parse(time.RFC3339, nowFlag)
		if err != nil {
			return usageErr("--now %q: not an RFC 3339 time (2026-03-01T12:00:00Z)", nowFlag)
		}
		now = t
	}
	if stdinUses(files)+prFlags.stdinUses() > 1 {
		return usageErr("standard input (-) can be read only once")
	}
	src, code := prFlags.read("leftovers", stdin, stderr)
	if src == nil {
		return code
	}
	specs, code := loadSyncSpecs("leftovers", files, overrides.list, stdin, stderr)
	if code != exitOK {
		return code
	}
	prs, err := src.everyApp(specs)
	if err != nil {
		return usageErr("%v", err)
	}

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	opts := leftovers.Options{Specs: specs, OpenPRs: prs, Now: now, TreeDir: treeDir}
	// setupFailures are sources that could not even be set up; the others
	// are still read.
	var setupFailures []*leftovers.SourceError
	if !noCluster {
		cl, err := newKubeCluster(kubeconfig, kubeCtx)
		if err != nil {
			setupFailures = append(setupFailures, &leftovers.SourceError{Source: leftovers.SourceCluster, What: "kubeconfig", Err: err})
		} else {
			opts.Cluster = cl
		}
	}
	if useAWS {
		// The SDK's own log lines (WARN falling back to IMDSv1) would say
		// less than the failure reported below.
		cfg, err := config.LoadDefaultConfig(ctx, config.WithLogger(logging.Nop{}))
		if err == nil {
			// Credentials first: without them every call fails with the
			// whole chain's story, once per API.
			_, err = cfg.Credentials.Retrieve(ctx)
			if err != nil {
				err = errNoAWSCredentials
			}
		}
		if err != nil {
			setupFailures = append(setupFailures, &leftovers.SourceError{Source: leftovers.SourceAWS, What: "configuration", Err: err})
		} else {
			rs := slices.Clone([]string(regions))
			if len(rs) == 0 {
				for _, s := range specs {
					rs = append(rs, s.Spec.AWS.Region)
				}
			}
			opts.AWS = awsapi.New(cfg, rs, awsapi.Options{})
		}
	}

	rep := &leftovers.Report{Leftovers: []leftovers.Leftover{}, Checked: map[leftovers.Source]int{}, Skipped: []string{}}
	if opts.Cluster != nil || opts.AWS != nil || opts.TreeDir != "" {
		r, err := leftovers.Find(ctx, opts)
		var inv *spec.InvalidError
		switch {
		case errors.As(err, &inv):
			for _, e := range inv.Errs {
				fmt.Fprintf(stderr, "  %s\n", e.Error())
			}
			fmt.Fprintf(stderr, "render leftovers: invalid spec, %d problem(s) above (specs[i] is the i-th spec read, in -f order)\n", len(inv.Errs))
			return exitInvalid
		case err != nil:
			fmt.Fprintf(stderr, "render leftovers: %v\n", err)
			return exitSourceFailed
		}
		rep = r
	}
	rep.Failures = append(setupFailures, rep.Failures...)

	if outputMode == "json" {
		if err := writeLeftoversJSON(stdout, rep, readSources(opts)); err != nil {
			return internalError(stderr, "%v", err)
		}
	} else {
		var asked []leftovers.Source
		for _, a := range []struct {
			on  bool
			src leftovers.Source
		}{{!noCluster, leftovers.SourceCluster}, {useAWS, leftovers.SourceAWS}, {treeDir != "", leftovers.SourceTree}} {
			if a.on {
				asked = append(asked, a.src)
			}
		}
		io.WriteString(stdout, leftoversText(rep, asked))
	}
	for _, line := range failureLines(rep.Failures, kubeconfig) {
		fmt.Fprintf(stderr, "render leftovers: %s\n", line)
	}
	switch {
	case len(rep.Failures) > 0:
		return exitSourceFailed
	case len(rep.Leftovers) > 0:
		return exitLeftovers
	}
	return exitOK
}

// newKubeCluster connects to the cluster of the kubeconfig.
func newKubeCluster(kubeconfig, kubeCtx string) (leftovers.Cluster, error) {
	cfg, err := kube.RESTConfig(kubeconfig, kubeCtx)
	if err != nil {
		return nil, err
	}
	return kube.New(cfg, kube.Options{})
}

// readSources lists the sources a run reads, in a fixed order.
func readSources(opts leftovers.Options) []leftovers.Source {
	var s []leftovers.Source
	if opts.Cluster != nil {
		s = append(s, leftovers.SourceCluster)
	}
	if opts.AWS != nil {
		s = append(s, leftovers.SourceAWS)
	}
	if opts.TreeDir != "" {
		s = append(s, leftovers.SourceTree)
	}
	return s
}

// leftoversReport is the -o json output. Its shape is stable: scheduled
// jobs and alerts read it.
type leftoversReport struct {
	// Leftovers as [leftovers.Leftover] marshals them.
	Leftovers []leftovers.Leftover `json:"leftovers"`
	// Sources are the sources that were read (cluster, aws, tree).
	Sources []leftovers.Source `json:"sources"`
	// Checked counts what was examined per source read.
	Checked map[leftovers.Source]int `json:"checked"`
	// Skipped are cluster kinds the cluster does not serve.
	Skipped []string `json:"skipped"`
	// Failures are what could not be read.
	Failures []leftoversFailure `json:"failures"`
}

type leftoversFailure struct {
	Source leftovers.Source `json:"source"`
	What   string           `json:"what"`
	Error  string           `json:"error"`
}

func writeLeftoversJSON(w io.Writer, rep *leftovers.Report, sources []leftovers.Source) error {
	out := leftoversReport{
		Leftovers: rep.Leftovers, Sources: sources, Checked: map[leftovers.Source]int{},
		Skipped: rep.Skipped, Failures: []leftoversFailure{},
	}
	if out.Sources == nil {
		out.Sources = []leftovers.Source{}
	}
	for _, s := range sources {
		out.Checked[s] = rep.Checked[s]
	}
	for _, f := range rep.Failures {
		out.Failures = append(out.Failures, leftoversFailure{Source: f.Source, What: f.What, Error: f.Err.Error()})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// leftoversText is the text output: one line per leftover, then a
// summary of what was checked in the sources asked for, and which of them
// could not be read (in full or in part).
func leftoversText(rep *leftovers.Report, asked []leftovers.Source) string {
	var b strings.Builder
	for _, l := range rep.Leftovers {
		id := l.Name
		switch {
		case l.ARN != "":
			id = l.ARN
		case l.Namespace != "":
			id = l.Namespace + "/" + l.Name
		}
		fmt.Fprintf(&b, "%-7s %-33s %s: %s: %s\n", l.Source, l.Kind, id, l.Reason, l.Detail)
	}
	for _, k := range rep.Skipped {
		fmt.Fprintf(&b, "skipped %s: the cluster does not serve this kind\n", k)
	}
	what := map[leftovers.Source]string{leftovers.SourceCluster: "cluster object", leftovers.SourceAWS: "AWS resource", leftovers.SourceTree: "PR folder"}
	failed := map[leftovers.Source]bool{}
	for _, f := range rep.Failures {
		failed[f.Source] = true
	}
	var checked, notRead []string
	for _, s := range asked {
		if !failed[s] || rep.Checked[s] > 0 {
			checked = append(checked, validatePlural(rep.Checked[s], what[s]))
		}
		if failed[s] {
			notRead = append(notRead, sourceName(s))
		}
	}
	found := "no leftovers"
	if len(rep.Leftovers) > 0 {
		found = validatePlural(len(rep.Leftovers), "leftover")
	}
	switch {
	case len(notRead) == 0:
		fmt.Fprintf(&b, "%s (checked %s)\n", found, strings.Join(checked, ", "))
	case len(checked) == 0:
		fmt.Fprintf(&b, "nothing checked: could not read %s (see above)\n", strings.Join(notRead, " or "))
	default:
		fmt.Fprintf(&b, "%s in what could be read (checked %s); could not read %s (see above)\n", found, strings.Join(checked, ", "), strings.Join(notRead, " or "))
	}
	return b.String()
}

// sourceName names a source in a sentence.
func sourceName(s leftovers.Source) string {
	switch s {
	case leftovers.SourceCluster:
		return "the cluster"
	case leftovers.SourceAWS:
		return "AWS"
	case leftovers.SourceTree:
		return "the sync tree"
	}
	return string(s)
}

// errNoAWSCredentials is --aws without credentials: the default chain
// (AWS SDK for Go v2, "Specifying Credentials") found none.
var errNoAWSCredentials = errors.New("no AWS credentials found by the default chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws, a web identity token as IRSA gives, a container or instance role); give credentials, or leave out --aws")

// failureLines words what could not be read, one line per cause: the
// failures of one source with the same cause (the cluster unreachable for
// every kind) are one line naming what was not read. kubeconfig is the
// --kubeconfig given.
func failureLines(failures []*leftovers.SourceError, kubeconfig string) []string {
	type group struct {
		src   leftovers.Source
		cause string
		whats []string
	}
	var groups []*group
	for _, f := range failures {
		cause := strings.TrimPrefix(f.Err.Error(), f.What+": ")
		switch {
		case f.Source == leftovers.SourceCluster && f.What == "kubeconfig":
			cause = kubeconfigProblem(f.Err, kubeconfig)
		case f.Source == leftovers.SourceCluster && unreachable(f.Err):
			cause += "; check --kubeconfig and --context, or give --no-cluster to leave the cluster out"
		}
		i := slices.IndexFunc(groups, func(g *group) bool { return g.src == f.Source && g.cause == cause })
		if i < 0 {
			groups = append(groups, &group{src: f.Source, cause: cause})
			i = len(groups) - 1
		}
		if f.What != "kubeconfig" && f.What != "configuration" {
			groups[i].whats = append(groups[i].whats, f.What)
		}
	}
	lines := make([]string, 0, len(groups))
	for _, g := range groups {
		switch len(g.whats) {
		case 0:
			lines = append(lines, fmt.Sprintf("cannot read %s: %s", sourceName(g.src), g.cause))
		case 1:
			lines = append(lines, fmt.Sprintf("cannot read %s: %s: %s", sourceName(g.src), g.whats[0], g.cause))
		default:
			lines = append(lines, fmt.Sprintf("cannot read %s (%s): %s", sourceName(g.src), strings.Join(g.whats, ", "), g.cause))
		}
	}
	return lines
}

// kubeconfigProblem words why no cluster configuration was found.
func kubeconfigProblem(err error, kubeconfig string) string {
	var pe *fs.PathError
	switch {
	case clientcmd.IsEmptyConfig(err):
		return "no kubeconfig: $KUBECONFIG is unset, ~/.kube/config does not exist and this is not a pod in a cluster; give --kubeconfig FILE (and --context NAME), or --no-cluster to leave the cluster out"
	case kubeconfig != "" && errors.As(err, &pe) && errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("--kubeconfig %s: no such file", kubeconfig)
	}
	return "kubeconfig: " + err.Error()
}

// unreachable reports an error of a connection that could not be made
// (refused, no route, a name that does not resolve, a timeout).
func unreachable(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &oe) || errors.As(err, &ne) && ne.Timeout()
}
