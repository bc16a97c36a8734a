package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"

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
		prsList, prsFile, prsJSON    string
		prsListSet                   bool
		treeDir, kubeconfig, kubeCtx string
		noCluster, useAWS            bool
		regions                      listFlag
		outputMode, nowFlag          string
		timeout                      time.Duration
		overrides                    overrideFlags
	)
	fs.Var(&files, "f", "a spec `FILE` (prenv.yaml), - for standard input, or a folder whose prenv.yaml and */prenv.yaml are read (repeatable)")
	fs.Func("prs", "the open pull requests, comma-separated: `N,N...`, for example 12,15,31", func(v string) error {
		prsList, prsListSet = v, true
		return nil
	})
	fs.StringVar(&prsFile, "prs-file", "", "a `FILE` with the open pull requests, one number a line (- for standard input); an empty file means none is open")
	fs.StringVar(&prsJSON, "prs-json", "", "`FILE` with the open pull requests as gh pr list --json number,headRefName,headRefOid,labels prints them (- for standard input)")
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
	prs, code := readOpenPRs(prsListSet, prsList, prsFile, prsJSON, files, stdin, stderr)
	if code != exitOK {
		return code
	}
	specs, code := loadSyncSpecs("leftovers", files, overrides.list, stdin, stderr)
	if code != exitOK {
		return code
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
		cfg, err := config.LoadDefaultConfig(ctx)
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

	sources := readSources(opts)
	if outputMode == "json" {
		if err := writeLeftoversJSON(stdout, rep, sources); err != nil {
			return internalError(stderr, "%v", err)
		}
	} else {
		io.WriteString(stdout, leftoversText(rep, sources))
	}
	for _, f := range rep.Failures {
		fmt.Fprintf(stderr, "render leftovers: cannot read %s\n", f.Error())
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

// readOpenPRs reads the open pull requests from exactly one of --prs,
// --prs-file and --prs-json, as render sync does.
func readOpenPRs(listSet bool, list, file, jsonFile string, files []string, stdin io.Reader, stderr io.Writer) ([]int, int) {
	usageErr := func(format string, a ...any) ([]int, int) {
		fmt.Fprintf(stderr, "render leftovers: "+format+"\n", a...)
		return nil, exitUsage
	}
	n := 0
	for _, set := range []bool{listSet, file != "", jsonFile != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return usageErr("give the open pull requests with exactly one of --prs, --prs-file and --prs-json")
	}
	stdinUses := 0
	for _, f := range append(slices.Clone(files), file, jsonFile) {
		if f == "-" {
			stdinUses++
		}
	}
	if stdinUses > 1 {
		return usageErr("standard input (-) can be read only once")
	}
	switch {
	case listSet:
		prs, err := parsePRList(list)
		if err != nil {
			return usageErr("--prs: %v", err)
		}
		return prs, exitOK
	case file != "":
		data, code := readPRInput("leftovers", "--prs-file", file, stdin, stderr)
		if data == nil && code != exitOK {
			return nil, code
		}
		prs, err := parsePRLines(data)
		if err != nil {
			return usageErr("--prs-file %s: %v", file, err)
		}
		return prs, exitOK
	}
	data, code := readPRInput("leftovers", "--prs-json", jsonFile, stdin, stderr)
	if data == nil && code != exitOK {
		return nil, code
	}
	prs, err := parsePRJSON(data)
	if err != nil {
		return usageErr("--prs-json %s: %v", jsonFile, err)
	}
	return prs, exitOK
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

// leftoversText is the text output: one line per leftover, then a summary.
func leftoversText(rep *leftovers.Report, sources []leftovers.Source) string {
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
	var checked []string
	for _, s := range sources {
		checked = append(checked, validatePlural(rep.Checked[s], what[s]))
	}
	if len(rep.Leftovers) == 0 {
		fmt.Fprintf(&b, "no leftovers (checked %s)\n", strings.Join(checked, ", "))
	} else {
		fmt.Fprintf(&b, "%s (checked %s)\n", validatePlural(len(rep.Leftovers), "leftover"), strings.Join(checked, ", "))
	}
	return b.String()
}
