package argocd

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/spec"
)

// EnvSummary returns the Markdown that the pull-request comment shows of
// one env: its resources as a list (names and ARNs) and, in a fenced
// mermaid block that GitHub draws, the diagram of who reaches what
// (ServiceAccount, IAM role, policies, tables, queues, buckets, databases).
//
// Every string of the model goes through [markdownCode] or [mermaidText],
// whatever the spec's checks already refused: a name cannot end its code
// span, its node label or the mermaid block, nor add Markdown or HTML. A
// name with a hash (every S3 bucket's, a queue's shortened to AWS's 80
// characters) is shown by its logical name and the key of the env's
// ConfigMap that holds it: the hash changes with the pull-request number,
// and the comment is computed for every number at once (see
// [summaryTemplate]).
func EnvSummary(m *plan.Model) string {
	var b strings.Builder
	s := newSummary(m)
	b.WriteString("**Resources**\n\n")
	for _, l := range s.lines {
		b.WriteString("- " + l + "\n")
	}
	b.WriteString("\n```mermaid\nflowchart LR\n")
	for _, n := range s.nodes {
		fmt.Fprintf(&b, "  %s%s%s%s\n", n.id, n.open, mermaidLabel(n.kind, n.name), n.close)
	}
	for _, e := range s.edges {
		b.WriteString("  " + e + "\n")
	}
	b.WriteString("```\n")
	return b.String()
}

// summary is an env's resources: the list's lines (Markdown) and the
// diagram's nodes and edges (Mermaid).
type summary struct {
	lines []string
	nodes []node
	edges []string
}

// node is a node of the diagram: id (prenv's, never a name), its shape's
// brackets, and its label's kind (prenv's text) and name (escaped).
type node struct {
	id, open, close, kind, name string
}

// Mermaid node shapes (flowchart syntax): a box, and a cylinder for data
// stores.
const (
	boxOpen, boxClose             = `["`, `"]`
	cylinderOpen, cylinderClose   = `[("`, `")]`
	identityIRSA, identityPodIdty = "IRSA", "EKS Pod Identity"
)

func newSummary(m *plan.Model) *summary {
	s := &summary{}
	code := markdownCode
	identity := identityIRSA
	if m.Identity == spec.IdentityPodIdentity {
		identity = identityPodIdty
	}
	s.lines = append(s.lines, "Namespace "+code(m.Namespace)+", ServiceAccount "+code(m.ServiceAccount.Name)+" ("+identity+")")
	s.nodes = append(s.nodes, node{"sa", boxOpen, boxClose, "ServiceAccount", m.Namespace + "/" + m.ServiceAccount.Name})
	s.lines = append(s.lines, "IAM role "+code(m.Role.Name)+": "+code(m.Role.ARN))
	s.nodes = append(s.nodes, node{"role", boxOpen, boxClose, "IAM role", m.Role.Name})
	s.edges = append(s.edges, "sa -->|"+identity+"| role")
	if m.Role.PermissionsBoundary != "" {
		s.lines = append(s.lines, "Permissions boundary "+code(m.Role.PermissionsBoundary))
	}
	var docs []string
	for i, p := range m.Policies {
		id := "policy" + strconv.Itoa(i+1)
		s.lines = append(s.lines, "IAM policy "+code(p.Name)+": "+code(p.ARN))
		s.nodes = append(s.nodes, node{id, boxOpen, boxClose, "IAM policy", p.Name})
		s.edges = append(s.edges, "role --> "+id)
		docs = append(docs, p.Document)
	}
	for i, arn := range m.Role.PolicyARNs {
		id := "managed" + strconv.Itoa(i+1)
		s.lines = append(s.lines, "Managed policy "+code(arn))
		s.nodes = append(s.nodes, node{id, boxOpen, boxClose, "Managed policy", arn})
		s.edges = append(s.edges, "role --> "+id)
	}
	// Each data store hangs off the policies whose statements name it.
	// A name is written as it is when it is <env>_<logical>..., and
	// otherwise has a hash (buckets always do).
	store := func(id, kind, logical, name, arn string) {
		if !strings.HasPrefix(name, m.EnvName+"_"+logical) {
			key := configMapKey(m, name)
			s.lines = append(s.lines, kind+" "+code(logical)+": named with a hash, the env's ConfigMap "+code(m.ConfigMap.Name)+" has the name in "+code(key))
			s.nodes = append(s.nodes, node{id, cylinderOpen, cylinderClose, kind, logical + " (named with a hash)"})
		} else {
			s.lines = append(s.lines, kind+" "+code(logical)+": "+code(name)+", "+code(arn))
			s.nodes = append(s.nodes, node{id, cylinderOpen, cylinderClose, kind, name})
		}
		for i, d := range docs {
			if documentNames(d, arn) {
				s.edges = append(s.edges, "policy"+strconv.Itoa(i+1)+" --> "+id)
			}
		}
	}
	for i, t := range m.Tables {
		store("table"+strconv.Itoa(i+1), "DynamoDB table", t.Logical, t.Name, t.ARN)
	}
	for i, q := range m.Queues {
		kind := "SQS queue"
		if q.DeadLetter {
			kind = "SQS dead-letter queue"
		}
		store("queue"+strconv.Itoa(i+1), kind, q.Logical, q.Name, q.ARN)
	}
	for i, bk := range m.Buckets {
		store("bucket"+strconv.Itoa(i+1), "S3 bucket", bk.Logical, bk.Name, bk.ARN)
	}
	for i, d := range m.Databases {
		id := "database" + strconv.Itoa(i+1)
		kind := "Database (" + d.Engine + " " + d.Version + ")"
		addr := d.Host + ":" + strconv.Itoa(d.Port)
		s.lines = append(s.lines, markdownText(kind)+" "+code(d.Logical)+": "+code(addr))
		s.nodes = append(s.nodes, node{id, cylinderOpen, cylinderClose, kind, addr})
		s.edges = append(s.edges, "sa -.->|in-cluster| "+id)
	}
	return s
}

// configMapKey is the key of the env's ConfigMap whose value is name.
func configMapKey(m *plan.Model, name string) string {
	for k, v := range m.ConfigMap.Data {
		if v == name && strings.HasSuffix(k, "_NAME") {
			return k
		}
	}
	return "PRENV_*_NAME"
}

// documentNames reports whether a policy document (JSON) has a statement
// whose Resource is arn or under it (arn/...).
func documentNames(doc, arn string) bool {
	var d struct {
		Statement []struct {
			Resource json.RawMessage
		}
	}
	if json.Unmarshal([]byte(doc), &d) != nil {
		return false
	}
	for _, st := range d.Statement {
		var list []string
		if json.Unmarshal(st.Resource, &list) != nil {
			var one string
			if json.Unmarshal(st.Resource, &one) != nil {
				continue
			}
			list = []string{one}
		}
		for _, r := range list {
			if r == arn || strings.HasPrefix(r, arn+"/") {
				return true
			}
		}
	}
	return false
}

// mermaidLabel is a node's label: prenv's kind, a line break, the name,
// both escaped with [mermaidText].
func mermaidLabel(kind, name string) string {
	return mermaidText(kind) + "<br/>" + mermaidText(name)
}

// mermaidText escapes s for a quoted Mermaid label: letters, digits, space
// and . _ : / - stay; every other character is written as Mermaid's
// entity code #<decimal>; (Mermaid's flowchart syntax, "Entity codes to
// escape characters"), so that no quote ends the label, no bracket,
// pipe or arrow adds a node or an edge, no < starts HTML, no backtick or
// line break ends the mermaid block.
func mermaidText(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < unicode.MaxASCII && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(" ._:/-", r)) {
			b.WriteRune(r)
			continue
		}
		fmt.Fprintf(&b, "#%d;", r)
	}
	return b.String()
}

// markdownCode writes s as a Markdown code span (CommonMark 0.31, "Code
// spans"): its text is shown as it is, never read as Markdown, HTML, a
// link or a mention. The span's backtick string is longer than any run of
// backticks in s, and a space pads s when it starts or ends with a
// backtick or a space; line breaks and other control characters, which
// would end a list item or show as nothing, become U+FFFD, and <!--, which
// could carry another comment's tag line, <! -- ([commentOpen]).
func markdownCode(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return unicode.ReplacementChar
		}
		return r
	}, s)
	s = strings.ReplaceAll(s, commentOpen, commentOpenShown)
	run, longest := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if s == "" {
		return fence + " " + fence
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// markdownText escapes s for Markdown text: every ASCII punctuation
// character is backslash-escaped (CommonMark 0.31, "Backslash escapes"),
// so that none starts emphasis, a link, HTML, an entity or a mention; line
// breaks and other control characters become spaces.
func markdownText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsControl(r):
			b.WriteByte(' ')
		case r < unicode.MaxASCII && unicode.IsPunct(r) || r < unicode.MaxASCII && unicode.IsSymbol(r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
