package kit

import (
	"fmt"
	"maps"
	"path"
	"reflect"
	"slices"
	"strings"
	"text/template/parse"

	"helm.sh/helm/v3/pkg/chart"
)

// NondeterministicChartError is an app chart whose output would change
// from run to run (see [ChartOptions].AllowNondeterministic). Calls lists
// the calls of [Nondeterministic] functions the chart's templates make, as
// "name at template:line:col", or, for text the chart gives to tpl (a
// value, a chart file, a string in a template), "name at <where> (for tpl)".
// Differ lists the templates whose output differed between two renders
// (a call the scan cannot see: text built while rendering and given to tpl).
type NondeterministicChartError struct {
	Calls  []string
	Differ []string
}

func (e *NondeterministicChartError) Error() string {
	var what string
	if len(e.Calls) > 0 {
		what = "calls functions whose result changes from run to run: " + strings.Join(e.Calls, ", ")
	} else {
		what = "renders differently on every run: " + strings.Join(e.Differ, ", ")
	}
	return what + "; its rendered output (and the diff a reviewer reads) would change on every render. Remove the calls, or render it anyway with --chart-allow-nondeterministic (ChartOptions.AllowNondeterministic)"
}

// maxTplDepth bounds how deep strings inside strings are parsed.
const maxTplDepth = 4

// checkChartCalls scans the templates of c and its subcharts for calls of
// [Nondeterministic] functions. When a template calls tpl, the text tpl may
// be given is scanned too: string constants of the templates, every string
// of values, and the chart's files.
func checkChartCalls(c *chart.Chart, values any) error {
	var calls []string
	usesTpl := false
	var strs []tplText
	eachChart(c, func(c *chart.Chart) {
		for _, t := range c.Templates {
			if t == nil {
				continue
			}
			name := path.Join(c.ChartFullPath(), t.Name)
			found, tpl, lits := templateCalls(name, string(t.Data))
			calls = append(calls, found...)
			usesTpl = usesTpl || tpl
			strs = append(strs, lits...)
		}
	})
	if usesTpl {
		for _, s := range strs {
			calls = append(calls, tplCalls(s.where, s.text, 0)...)
		}
		walkValues(values, "values", func(where, s string) {
			calls = append(calls, tplCalls(where, s, 0)...)
		})
		eachChart(c, func(c *chart.Chart) {
			for _, f := range c.Files {
				if f != nil {
					calls = append(calls, tplCalls(path.Join(c.ChartFullPath(), f.Name), string(f.Data), 0)...)
				}
			}
		})
	}
	if len(calls) == 0 {
		return nil
	}
	return &NondeterministicChartError{Calls: calls}
}

// eachChart calls f for c and each of its subcharts, depth first.
func eachChart(c *chart.Chart, f func(*chart.Chart)) {
	f(c)
	for _, d := range c.Dependencies() {
		eachChart(d, f)
	}
}

// tplText is a string constant of a template, which tpl may be given.
type tplText struct{ where, text string }

// templateCalls parses a template (functions unchecked; a template that
// does not parse is left to Helm's engine to report) and returns the calls
// of Nondeterministic functions as "fn at file:line:col", whether it calls
// tpl, and its string constants that hold template actions.
func templateCalls(name, text string) ([]string, bool, []tplText) {
	trees, err := parseAll(name, text)
	if err != nil {
		return nil, false, nil
	}
	type found struct {
		pos  parse.Pos
		text string
	}
	var calls []found
	var strs []tplText
	usesTpl := false
	for _, tn := range slices.Sorted(maps.Keys(trees)) {
		tree := trees[tn]
		walk(tree.Root, func(n parse.Node) {
			switch n := n.(type) {
			case *parse.IdentifierNode:
				if n.Ident == "tpl" {
					usesTpl = true
				}
				if Nondeterministic(n.Ident) {
					loc, _ := tree.ErrorContext(n)
					calls = append(calls, found{n.Pos, n.Ident + " at " + loc})
				}
			case *parse.StringNode:
				if strings.Contains(n.Text, "{{") {
					loc, _ := tree.ErrorContext(n)
					strs = append(strs, tplText{where: "a string at " + loc, text: n.Text})
				}
			}
		})
	}
	// In the order they appear in the file (the trees of one file share
	// its text, so positions compare).
	slices.SortStableFunc(calls, func(a, b found) int { return int(a.pos) - int(b.pos) })
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.text
	}
	return out, usesTpl, strs
}

// tplCalls scans text that tpl may be given for calls of Nondeterministic
// functions, also in strings inside it.
func tplCalls(where, text string, depth int) []string {
	if depth > maxTplDepth || !strings.Contains(text, "{{") {
		return nil
	}
	trees, err := parseAll(where, text)
	if err != nil {
		return nil // tpl would fail on it as it is
	}
	var calls []string
	for _, tn := range slices.Sorted(maps.Keys(trees)) {
		walk(trees[tn].Root, func(n parse.Node) {
			switch n := n.(type) {
			case *parse.IdentifierNode:
				if Nondeterministic(n.Ident) {
					calls = append(calls, n.Ident+" at "+where+" (for tpl)")
				}
			case *parse.StringNode:
				calls = append(calls, tplCalls(where, n.Text, depth+1)...)
			}
		})
	}
	return calls
}

// parseAll parses a template and the ones it defines, functions unchecked.
func parseAll(name, text string) (map[string]*parse.Tree, error) {
	t := parse.New(name)
	t.Mode = parse.SkipFuncCheck
	trees := map[string]*parse.Tree{}
	if _, err := t.Parse(text, "", "", trees); err != nil {
		return nil, err
	}
	return trees, nil
}

// walkValues calls f for every string in v (maps, lists and scalars as
// values files decode), with its path.
func walkValues(v any, where string, f func(where, s string)) {
	switch v := v.(type) {
	case string:
		f(where, v)
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			walkValues(v[k], where+"."+k, f)
		}
	case []any:
		for i, e := range v {
			walkValues(e, fmt.Sprintf("%s[%d]", where, i), f)
		}
	default:
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Map && rv.Type().Key().Kind() == reflect.String {
			keys := rv.MapKeys()
			slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
			for _, k := range keys {
				walkValues(rv.MapIndex(k).Interface(), where+"."+k.String(), f)
			}
		}
	}
}
