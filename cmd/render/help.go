package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// commandHelp is what a command's help says besides its synopsis and flags.
type commandHelp struct {
	about    string   // what the command does, a paragraph
	examples []string // command lines, each with an optional "# comment"
	exits    []string // "N  meaning", one per exit code
}

// exitsCommon are the exit codes of every command that reads a spec.
var exitsCommon = []string{
	"0  success",
	"1  invalid input: every problem is listed on standard error with its field path, nothing on standard output",
	"2  usage: a flag or argument is wrong or missing, or a file cannot be read",
	"3  a bug in prenv (please report it with the spec)",
}

// helps is every command's help; a test requires one for each command.
func helps() map[string]commandHelp {
	return map[string]commandHelp{
		"env": {
			about: "Renders one pull request's environment: the Namespace, its ResourceQuota, LimitRange and NetworkPolicies, the " +
				"ACK IAM Policy and Role (IRSA), the ServiceAccount, the ACK DynamoDB Tables and SQS Queues, the ConfigMap, and the " +
				"databases of spec.databases, validated as the API server would before anything is printed. " +
				"--set and --set-string change fields of the spec; a chart's values come from --values.",
			examples: []string{
				"render env -f examples/web/prenv.yaml --pr 123",
				"render env -f prenv.yaml --pr 123 --set spec.prefix=pr --output-dir envs/pr-123",
				"render env -f prenv.yaml --pr 123 --chart charts/preview-app --values app-values.yaml",
				"render env -f prenv.yaml --pr 123 --previous base/pr-123   # refuse changes AWS cannot make",
				"render env -f prenv.yaml --pr 123 --base-spec base-prenv.yaml   # refuse what only the base branch may change",
				"render env -f prenv.yaml --pr 123 --helm-values > prenv-values.yaml",
			},
			exits: exitsCommon,
		},
		"schema": {
			about:    "Prints the JSON Schema of the spec (prenv.yaml), for editors and CI checks.",
			examples: []string{"render schema > prenv.schema.json"},
			exits:    []string{"0  printed", "2  usage", "3  a bug in prenv"},
		},
		"validate": {
			about: "Validates every object of multi-document YAML or JSON manifests (FILE may be \"-\" for standard input, or a folder of " +
				".yaml/.yml/.json files) the way the Kubernetes API server would on kubectl apply --validate=strict: built-in kinds " +
				"against the k8s.io/api types, custom resources against CRD schemas with the API server's own code (structural schema, " +
				"unknown-field pruning, OpenAPI validation, CEL x-kubernetes-validations). prenv's embedded schemas cover the custom " +
				"kinds it emits; --crds adds or replaces schemas, --no-embedded-schemas drops them. --old (a file, a folder or -) gives " +
				"the previous version of the objects, so that update rules run. Output: one line per problem, " +
				"\"FILE:DOC Kind/name: field: message\", then a summary line; -o json prints one JSON object instead.",
			examples: []string{
				"render validate --crds crds/ envs/pr-123",
				"kubectl get crd -o yaml > cluster-crds.yaml && render validate --crds cluster-crds.yaml manifests.yaml",
				"render validate --old base/ --old base-extra.yaml envs/pr-123   # as an update of the base branch's render",
				"render validate -o json --list-crds manifests.yaml",
			},
			exits: []string{
				"0  every object is valid",
				"1  problems found (listed on standard output)",
				"2  usage, unreadable input or invalid CRD files",
			},
		},
		"appset": {
			about: "Prints what goes into the Argo CD cluster for one app: the argocd-cm health checks of the ACK kinds, the plugin " +
				"ConfigMap (plugin flow), the AppProject and the ApplicationSet, validated before they are printed. With --sidecar, " +
				"it prints the argocd-repo-server patch that adds the plugin's sidecar instead (a patch, not validated as an object).",
			examples: []string{
				"render appset -f examples/web/prenv.yaml",
				"render appset -f examples/previews/prenv.yaml --sidecar > repo-server-patch.yaml",
				"render appset -f prenv.yaml --base-spec base-prenv.yaml   # a pull request's view, refused where it changes the base's wiring",
			},
			exits: exitsCommon,
		},
		"apps": {
			about: "Prints the Application that Argo CD's pull-request generator will make for one pull request, computed offline. " +
				"For a pull request that the generator's labels or filters would not list, it prints nothing, says why and exits 1 " +
				"(--ignore-filters prints it anyway). --title and --author are required when the Application shows them " +
				"(prenv's ApplicationSet does, in spec.info): Argo CD fills them from the pull request.",
			examples: []string{
				"render apps -f examples/web/prenv.yaml --pr 123 --branch feature/login --head-sha 3f786850e387550fdab836ed7e6dc881de23001b --label preview --title 'Add login' --author octocat",
				"render apps -f prenv.yaml --pr 123 --branch feature/login --head-sha $SHA --title \"$TITLE\" --author \"$AUTHOR\" -o json",
			},
			exits: []string{
				"0  printed",
				"1  invalid input, or Argo CD generates no Application for this pull request",
				"2  usage",
				"3  a bug in prenv",
			},
		},
		"sync": {
			about: "Writes the envs of every open pull request into one tree (pr-<n>/, or <app>/pr-<n>/ with several specs), the " +
				"same files as render env --output-dir (with each app's --chart, --values and --kustomize), and removes the folders of " +
				"pull requests no longer open, in one atomic step.",
			examples: []string{
				"render sync -f examples/web/prenv.yaml --prs 12,15,31 --output-dir envs/web",
				"gh pr list --json number,url,labels,headRefName,baseRefName,title | render sync -f apps/ --prs-json - --output-dir envs",
				"render sync -f web/prenv.yaml -f api/prenv.yaml --prs web=12,15 --prs api=3 --output-dir envs   # apps of two repositories",
				"render sync -f apps/ --base-spec base-apps/ --prs 12,15 --output-dir envs   # each app against the base branch's",
				"render sync -f web/ -f api/ --prs 12 --chart web=web/chart --values web=web/preview.yaml --output-dir envs   # web's chart in its envs",
			},
			exits: []string{
				"0  the tree is written",
				"1  an env failed (every problem is listed with its PR); nothing in the tree changed",
				"2  usage",
				"3  a bug in prenv",
			},
		},
		"diff": {
			about: "Prints the difference between two renders, object by object, for review (a pull-request comment): a unified " +
				"diff of the YAML of every object added, removed or changed, headed a/<id> and b/<id> with id " +
				"[group/]Kind/[namespace/]name, sorted by group, kind, namespace and name, then a summary line. Objects are matched " +
				"by group, kind, namespace and name; a change of API version shows as a change of apiVersion. BASE and HEAD are " +
				"files or folders of manifests (render env or render env --output-dir output; one may be - for standard input). " +
				"With --base-spec both renders are made here: the spec FILE (for example the base branch's prenv.yaml) and the " +
				"spec of -f, for the same --pr, with the same --set, --set-string and --templates. -o json prints {\"added\", " +
				"\"removed\", \"changed\", \"unchanged\", \"objects\": [{\"group\", \"kind\", \"namespace\", \"name\", " +
				"\"status\", \"fields\", \"diff\"}]}, where fields are the paths of the changed fields.",
			examples: []string{
				"render diff base/ head/",
				"render diff --base-spec base-prenv.yaml -f prenv.yaml --pr 123   # the base branch's spec against the PR's",
			},
			exits: []string{
				"0  the difference was printed (whether or not there is one)",
				"1  invalid input (a spec with problems, an object twice in one render)",
				"2  usage, or unreadable input",
				"3  a bug in prenv",
			},
		},
		"leftovers": {
			about: "Reports, each with a reason, what prenv's envs left behind: Namespaces, ACK objects and Argo CD Applications " +
				"of closed pull requests (or of apps with no spec but a spec's prefix), envs older than their TTL (the " +
				"Namespace's prenv.dev/ttl annotation), AWS resources tagged prenv.dev/env whose env has no Namespace (--aws), " +
				"and folders of a render sync tree with no open pull request (--output-dir). It only reads: the cluster through " +
				"the usual kubeconfig rules, AWS through the default credential chain.",
			examples: []string{
				"render leftovers -f prenv.yaml --prs 12,15",
				"gh pr list --json number,url | render leftovers -f apps/ --prs-json - --aws -o json",
				"render leftovers -f prenv.yaml --prs-file open-prs.txt --no-cluster --output-dir envs/web",
			},
			exits: []string{
				"0  nothing found",
				"1  invalid spec",
				"2  usage, or unreadable input",
				"3  a bug in prenv",
				"4  leftovers found",
				"5  a source (cluster, AWS, tree) could not be read; what was read is still reported",
			},
		},
		"version": {
			about:    "Prints prenv's module version, the VCS revision and time it was built from, and the Go version (render --version prints the same).",
			examples: []string{"render version"},
			exits:    []string{"0  printed", "2  usage"},
		},
		"help": {
			about:    "Prints the list of commands, or one command's help, on standard output.",
			examples: []string{"render help", "render help env"},
			exits:    []string{"0  printed", "2  no such command"},
		},
	}
}

// writeHelp prints the help of command name: synopsis, what it does, its
// flags as users write them (--name), examples and exit codes.
func writeHelp(w io.Writer, name, synopsis string, fs *flag.FlagSet) {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: render %s", name)
	if synopsis != "" {
		fmt.Fprintf(&b, " %s", synopsis)
	}
	b.WriteString("\n")
	h, ok := helps()[name]
	if ok && h.about != "" {
		b.WriteString("\n")
		wrap(&b, h.about, "", 80)
	}
	b.WriteString("\nflags:\n")
	writeFlags(&b, fs)
	if ok && len(h.examples) > 0 {
		b.WriteString("\nexamples:\n")
		for _, e := range h.examples {
			fmt.Fprintf(&b, "  %s\n", e)
		}
	}
	exits := exitsCommon
	if ok && len(h.exits) > 0 {
		exits = h.exits
	}
	b.WriteString("\nexit codes:\n")
	for _, e := range exits {
		fmt.Fprintf(&b, "  %s\n", e)
	}
	io.WriteString(w, b.String())
}

// writeFlags lists every flag of fs in name order: the flag as users write
// it, the name of its value, then its usage and default, indented.
func writeFlags(b *strings.Builder, fs *flag.FlagSet) {
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		n++
		value, usage := flag.UnquoteUsage(f)
		if isBoolFlag(f.Value) {
			value = ""
		} else if value == "" || value == "value" || value == "string" {
			value = "VALUE"
		}
		fmt.Fprintf(b, "  %s", flagName(f.Name))
		if value != "" {
			fmt.Fprintf(b, " %s", value)
		}
		b.WriteString("\n")
		if f.DefValue != "" && f.DefValue != "false" && !isBoolFlag(f.Value) {
			usage += fmt.Sprintf(" (default %q)", f.DefValue)
		}
		wrap(b, usage, "      ", 80)
	})
	if n == 0 {
		b.WriteString("  none\n")
	}
}

func isBoolFlag(v flag.Value) bool {
	bf, ok := v.(interface{ IsBoolFlag() bool })
	return ok && bf.IsBoolFlag()
}

// wrap writes text in lines of at most width characters (a longer word
// gets a line of its own), each after indent.
func wrap(b *strings.Builder, text, indent string, width int) {
	line := indent
	for _, word := range strings.Fields(text) {
		if line != indent && len(line)+1+len(word) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += word
	}
	b.WriteString(line + "\n")
}
