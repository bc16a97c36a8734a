package render

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"text/template/parse"
)

// nondeterministic are the template functions (sprig's and Helm's) whose
// result changes from run to run or machine to machine. The kit and user
// overrides may not call them: the same input must give the same bytes.
var nondeterministic = map[string]bool{
	"now": true, "date": true, "dateInZone": true, "date_in_zone": true, "dateModify": true,
	"date_modify": true, "mustDateModify": true, "must_date_modify": true, "ago": true,
	"htmlDate": true, "htmlDateInZone": true, "unixEpoch": true, "randAlphaNum": true, "randAlpha": true, "randAscii": true, "randNumeric": true,
	"randBytes": true, "randInt": true, "uuidv4": true, "shuffle": true,
	"genPrivateKey": true, "genCA": true, "genCAWithKey": true, "genSelfSignedCert": true,
	"genSelfSignedCertWithKey": true, "genSignedCert": true, "genSignedCertWithKey": true,
	"bcrypt": true, "htpasswd": true, "encryptAES": true,
	"lookup": true, "getHostByName": true, "env": true, "expandenv": true,
}

// Nondeterministic reports the template functions (sprig's and Helm's)
// whose result changes from run to run or machine to machine.
func Nondeterministic(fn string) bool { return nondeterministic[fn] }

// checkCalls parses a template and refuses calls of the functions refuse
// selects, with [ErrRefusedFunction].
func checkCalls(name, text string, refuse func(fn string) bool) error {
	bad, err := TemplateCalls(name, text, refuse)
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %s", ErrRefusedFunction, strings.Join(bad, ", "))
	}
	return nil
}

// TemplateCalls parses a Go template (functions unchecked) and lists, as
// "name at file:line:col", the calls of the functions match selects.
func TemplateCalls(name, text string, match func(fn string) bool) ([]string, error) {
	t := parse.New(name)
	t.Mode = parse.SkipFuncCheck
	trees := map[string]*parse.Tree{}
	if _, err := t.Parse(text, "", "", trees); err != nil {
		return nil, err
	}
	var found []string
	for _, tn := range slices.Sorted(maps.Keys(trees)) {
		tree := trees[tn]
		walk(tree.Root, func(n parse.Node) {
			if id, ok := n.(*parse.IdentifierNode); ok && match(id.Ident) {
				loc, _ := tree.ErrorContext(n)
				found = append(found, id.Ident+" at "+loc)
			}
		})
	}
	return found, nil
}

// walk calls f for n and every node below it.
func walk(n parse.Node, f func(parse.Node)) {
	if n == nil || reflect.ValueOf(n).IsNil() {
		return
	}
	f(n)
	switch n := n.(type) {
	case *parse.ListNode:
		for _, c := range n.Nodes {
			walk(c, f)
		}
	case *parse.ActionNode:
		walk(n.Pipe, f)
	case *parse.PipeNode:
		for _, c := range n.Cmds {
			walk(c, f)
		}
	case *parse.CommandNode:
		for _, c := range n.Args {
			walk(c, f)
		}
	case *parse.ChainNode:
		walk(n.Node, f)
	case *parse.IfNode:
		walk(&n.BranchNode, f)
	case *parse.RangeNode:
		walk(&n.BranchNode, f)
	case *parse.WithNode:
		walk(&n.BranchNode, f)
	case *parse.BranchNode:
		walk(n.Pipe, f)
		walk(n.List, f)
		walk(n.ElseList, f)
	case *parse.TemplateNode:
		walk(n.Pipe, f)
	}
}
