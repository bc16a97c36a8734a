package kit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
	"github.com/Masterminds/sprig/v3"
	"sigs.k8s.io/yaml"
	goyaml "sigs.k8s.io/yaml/goyaml.v3"
)

// A kit's templates get the functions of Helm's engine (sprig's, Helm's
// own, text/template's builtins) except those whose result changes from
// run to run or machine to machine. Those are absent from the function
// map, not screened by name: a template that names one, in a file, in a
// define or in the text given to tpl, does not parse. [kitFuncs] builds the
// map; every sprig function is classified below, and the tests fail when
// sprig gains one that is not.

// Reasons a function of Helm's engine is left out of a kit.
const (
	reasonClock    = "reads the clock"
	reasonTimeZone = "depends on the machine's time zone"
	reasonTime     = "works on times, which only the clock or the machine's time zone give"
	reasonRandom   = "gives a random result"
	reasonKeys     = "makes random keys, serial numbers and validity dates from the clock"
	reasonSalt     = "adds a random salt or IV"
	reasonEnv      = "reads the process environment"
	reasonNetwork  = "asks DNS"
	reasonCluster  = "asks the cluster (Helm's offline placeholder is an empty map)"
	reasonOS       = "follows the operating system's path rules"
)

// removedFuncs are the functions of sprig and of Helm's engine that a kit
// leaves out, with the reason.
var removedFuncs = map[string]string{
	"now": reasonClock, "ago": reasonClock,
	// date and htmlDate format in the machine's time zone; with anything
	// but a time they format the clock, as the InZone variants do.
	"date": reasonTimeZone, "htmlDate": reasonTimeZone,
	"dateInZone": reasonClock, "date_in_zone": reasonClock, "htmlDateInZone": reasonClock,
	"toDate": reasonTimeZone, "mustToDate": reasonTimeZone,
	"dateModify": reasonTime, "date_modify": reasonTime, "mustDateModify": reasonTime,
	"must_date_modify": reasonTime, "unixEpoch": reasonTime,

	"randAlphaNum": reasonRandom, "randAlpha": reasonRandom, "randAscii": reasonRandom,
	"randNumeric": reasonRandom, "randBytes": reasonRandom, "randInt": reasonRandom,
	"uuidv4": reasonRandom, "shuffle": reasonRandom,
	"genPrivateKey": reasonKeys, "genCA": reasonKeys, "genCAWithKey": reasonKeys,
	"genSelfSignedCert": reasonKeys, "genSelfSignedCertWithKey": reasonKeys,
	"genSignedCert": reasonKeys, "genSignedCertWithKey": reasonKeys,
	"bcrypt": reasonSalt, "htpasswd": reasonSalt, "encryptAES": reasonSalt,

	"env": reasonEnv, "expandenv": reasonEnv,
	"getHostByName": reasonNetwork,
	"lookup":        reasonCluster,
	"osBase":        reasonOS, "osClean": reasonOS, "osDir": reasonOS, "osExt": reasonOS, "osIsAbs": reasonOS,
}

// keptFuncs are sprig's functions a kit takes as they are: their result
// depends on their arguments only. Those that format a value with fmt
// (toString, cat, quote, join, ...) print pointers through their String
// method; the only pointers templates can reach are semver's results and
// .Capabilities, which print without an address (see [kitCapabilities]).
var keptFuncs = []string{
	"abbrev", "abbrevboth", "add", "add1", "add1f", "addf", "adler32sum", "all", "any",
	"append", "atoi", "b32dec", "b32enc", "b64dec", "b64enc", "base", "biggest",
	"buildCustomCert", "camelcase", "cat", "ceil", "chunk", "clean", "coalesce", "compact",
	"concat", "contains", "decryptAES", "deepCopy", "deepEqual", "default", "derivePassword",
	"dict", "dig", "dir", "div", "divf", "duration", "empty", "ext", "first", "float64",
	"floor", "get", "has", "hasKey", "hasPrefix", "hasSuffix", "hello", "indent", "initial",
	"initials", "int", "int64", "isAbs", "join", "kebabcase", "kindIs", "kindOf", "last",
	"list", "lower", "max", "maxf", "merge", "mergeOverwrite", "min", "minf", "mod", "mul",
	"mulf", "mustAppend", "mustChunk", "mustCompact", "mustDeepCopy", "mustFirst",
	"mustFromJson", "mustHas", "mustInitial", "mustLast", "mustMerge", "mustMergeOverwrite",
	"mustPrepend", "mustPush", "mustRegexFind", "mustRegexFindAll", "mustRegexMatch",
	"mustRegexReplaceAll", "mustRegexReplaceAllLiteral", "mustRegexSplit", "mustRest",
	"mustReverse", "mustSlice", "mustToJson", "mustToPrettyJson", "mustToRawJson", "mustUniq",
	"mustWithout", "nindent", "nospace", "omit", "pick", "pluck", "plural", "prepend", "push", "quote",
	"regexFind", "regexFindAll", "regexMatch", "regexQuoteMeta", "regexReplaceAll",
	"regexReplaceAllLiteral", "regexSplit", "replace", "rest", "reverse", "round",
	"semver", "semverCompare", "seq", "set", "sha1sum", "sha256sum", "sha512sum", "slice",
	"snakecase", "sortAlpha", "split", "splitList", "splitn", "squote", "sub", "subf",
	"substr", "swapcase", "ternary", "title", "toDecimal", "toStrings", "toString", "trim",
	"trimAll", "trimPrefix", "trimSuffix", "trimall", "trunc", "tuple", "typeIs",
	"typeIsLike", "typeOf", "uniq", "unset", "untitle", "upper",
	"urlJoin", "urlParse", "without", "wrap", "wrapWith",
}

// replacedFuncs are the functions a kit has in a version of its own, and
// why. include, tpl, required and fail behave as Helm's engine's do.
var replacedFuncs = map[string]string{
	"repeat":        "sprig's builds a string of any length; the kit's refuses one over 1 MiB",
	"until":         "sprig's builds a list of any length; the kit's refuses one over 100,000 items",
	"untilStep":     "sprig's builds a list of any length; the kit's refuses one over 100,000 items",
	"keys":          "sprig's lists a map's keys in random order; the kit's sorts them",
	"values":        "sprig's lists a map's values in random order; the kit's lists them in the order of their keys",
	"printf":        "text/template's prints addresses with %p, and with other verbs for pointers; the kit's refuses both",
	"durationRound": "sprig's measures the time since a time argument; the kit's refuses times",
	"toJson":        "Helm's and sprig's return an empty string on error; the kit's returns the error",
	"toPrettyJson":  "sprig's returns an empty string on error; the kit's returns the error",
	"toRawJson":     "sprig's returns an empty string on error; the kit's returns the error",
	"fromJson":      "Helm's puts an error in the result's Error key; the kit's returns it",
	"fromJsonArray": "Helm's returns an error as the only item; the kit's returns it",
	"toYaml":        "Helm's returns an empty string on error; the kit's returns the error",
	"toYamlPretty":  "Helm's returns an empty string on error; the kit's returns the error",
	"fromYaml":      "Helm's puts an error in the result's Error key; the kit's returns it",
	"fromYamlArray": "Helm's returns an error as the only item; the kit's returns it",
	"toToml":        "Helm's returns the error text as the result; the kit's returns the error",
	"fromToml":      "Helm's puts an error in the result's Error key; the kit's returns it",
	"include":       "Helm's, bound to the kit's templates",
	"tpl":           "Helm's, bound to the kit's templates and function map",
	"required":      "Helm's, without lint mode",
	"fail":          "Helm's, without lint mode",
}

// builtinFuncs are text/template's predefined functions. A kit cannot
// refuse them: a FuncMap only overrides a builtin, and without the
// override the builtin comes back.
var builtinFuncs = []string{
	"and", "call", "eq", "ge", "gt", "html", "index", "js", "le", "len", "lt", "ne",
	"not", "or", "print", "printf", "println", "slice", "urlquery",
}

// Nondeterministic reports the functions of Helm's template engine
// (sprig's and Helm's own) that give a different result from run to run or
// machine to machine: the clock, the time zone, randomness, the
// environment, DNS, the cluster, the operating system's path rules. A
// kit's templates do not have them. Functions a kit replaces by a
// deterministic version (keys, values, printf, durationRound) are not
// reported.
func Nondeterministic(fn string) bool { _, ok := removedFuncs[fn]; return ok }

// kitFuncs returns a new function map for a kit's templates: sprig's
// kept functions, the replaced ones, and placeholders for include, tpl,
// required and fail, which [Kit] binds for each execution.
func kitFuncs() template.FuncMap {
	s := sprig.TxtFuncMap()
	fm := make(template.FuncMap, len(keptFuncs)+len(replacedFuncs))
	for _, n := range keptFuncs {
		fm[n] = s[n]
	}
	sprigRound := s["durationRound"].(func(any) string)
	maps.Copy(fm, template.FuncMap{
		"keys":          keysSorted,
		"values":        valuesByKey,
		"printf":        printfNoAddress,
		"durationRound": func(d any) (string, error) { return durationRound(sprigRound, d) },
		"toJson":        toJSON,
		"toPrettyJson":  toPrettyJSON,
		"toRawJson":     toRawJSON,
		"fromJson":      fromJSON,
		"fromJsonArray": fromJSONArray,
		"toYaml":        toYAML,
		"toYamlPretty":  toYAMLPretty,
		"fromYaml":      fromYAML,
		"fromYamlArray": fromYAMLArray,
		"toToml":        toTOML,
		"fromToml":      fromTOML,
		"include":       func(string, any) (string, error) { return "", errNotBound },
		"tpl":           func(string, any) (string, error) { return "", errNotBound },
		"required":      required,
		"fail":          fail,
		"repeat":        repeatBounded,
		"until": func(n int) ([]int, error) {
			if n < 0 {
				return untilStepBounded(0, n, -1)
			}
			return untilStepBounded(0, n, 1)
		},
		"untilStep": untilStepBounded,
	})
	return fm
}

// Bounds on what one function call of a template may build, so that a
// template cannot take gigabytes: no env needs more.
const (
	maxRepeatBytes = 1 << 20
	maxListItems   = 100_000
)

// repeatBounded is sprig's repeat, refusing results over maxRepeatBytes.
func repeatBounded(count int, s string) (string, error) {
	if count < 0 {
		count = 0
	}
	if len(s) > 0 && count > maxRepeatBytes/len(s) {
		return "", fmt.Errorf("repeat: %d times %d bytes is over the kit's limit of %d bytes", count, len(s), maxRepeatBytes)
	}
	return strings.Repeat(s, count), nil
}

// untilStepBounded is sprig's untilStep, refusing lists over maxListItems.
func untilStepBounded(start, stop, step int) ([]int, error) {
	out := []int{}
	if step == 0 || (step > 0 && start >= stop) || (step < 0 && start <= stop) {
		return out, nil
	}
	n := (stop - start) / step
	if (stop-start)%step != 0 {
		n++
	}
	if n > maxListItems {
		return nil, fmt.Errorf("until: %d items is over the kit's limit of %d", n, maxListItems)
	}
	for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); i += step {
		out = append(out, i)
	}
	return out, nil
}

var errNotBound = errors.New("include and tpl work only while a kit executes")

// keysSorted is sprig's keys with the keys sorted: the keys of every map,
// duplicates kept, in byte order.
func keysSorted(dicts ...map[string]any) []string {
	var k []string
	for _, d := range dicts {
		k = slices.AppendSeq(k, maps.Keys(d))
	}
	slices.Sort(k)
	if k == nil {
		k = []string{}
	}
	return k
}

// valuesByKey is sprig's values in the order of the sorted keys.
func valuesByKey(dict map[string]any) []any {
	out := make([]any, 0, len(dict))
	for _, k := range slices.Sorted(maps.Keys(dict)) {
		out = append(out, dict[k])
	}
	return out
}

// durationRound is sprig's durationRound (round is sprig's own), except
// for times: the time since one depends on the clock.
func durationRound(round func(any) string, d any) (string, error) {
	switch d.(type) {
	case time.Time, *time.Time:
		return "", errors.New("durationRound of a time depends on the clock")
	}
	return round(d), nil
}

// printfNoAddress is text/template's printf, refusing what would print a
// memory address: the %p verb, and arguments that hold a pointer, a
// function or a channel (other verbs print a nested pointer's address).
func printfNoAddress(format string, args ...any) (string, error) {
	if pointerVerb(format) {
		return "", fmt.Errorf("printf %q: %%p prints a memory address, which changes from run to run", format)
	}
	for i, a := range args {
		if holdsAddress(reflect.ValueOf(a), map[walked]bool{}) {
			return "", fmt.Errorf("printf %q: argument %d holds a pointer, whose address changes from run to run", format, i+1)
		}
	}
	return fmt.Sprintf(format, args...), nil
}

// pointerVerb reports whether a fmt format uses the %p verb: after each
// '%', flags, width, precision and argument indexes ("+-# 0", digits, '.',
// '*', "[n]") come before the verb.
func pointerVerb(format string) bool {
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		for i < len(format) && strings.IndexByte("+-# 0123456789.*[]", format[i]) >= 0 {
			i++
		}
		if i < len(format) && format[i] == 'p' {
			return true
		}
	}
	return false
}

// capabilitiesType is [kitCapabilities], which holds a pointer but never
// prints it.
var capabilitiesType = reflect.TypeFor[kitCapabilities]()

// walked is a map or slice [holdsAddress] has looked into.
type walked struct {
	p    uintptr
	n    int
	kind reflect.Kind
}

// holdsAddress reports whether fmt could print an address for v: it is or
// holds a non-nil pointer, function, channel or unsafe pointer. seen holds
// the maps and slices already walked.
func holdsAddress(v reflect.Value, seen map[walked]bool) bool {
	if !v.IsValid() || v.Type() == capabilitiesType {
		return false
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return !v.IsNil()
	case reflect.Interface:
		return holdsAddress(v.Elem(), seen)
	case reflect.Map, reflect.Slice:
		if v.IsNil() || v.Len() == 0 {
			return false
		}
		key := walked{v.Pointer(), v.Len(), v.Kind()}
		if seen[key] {
			return false
		}
		seen[key] = true
		if v.Kind() == reflect.Map {
			for it := v.MapRange(); it.Next(); {
				if holdsAddress(it.Key(), seen) || holdsAddress(it.Value(), seen) {
					return true
				}
			}
			return false
		}
		fallthrough
	case reflect.Array:
		for i := range v.Len() {
			if holdsAddress(v.Index(i), seen) {
				return true
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if holdsAddress(v.Field(i), seen) {
				return true
			}
		}
	}
	return false
}

// failError is the message of a template's required or fail call.
type failError struct{ msg string }

func (e *failError) Error() string { return e.msg }

// required is Helm's required: val, unless it is nil or "".
func required(msg string, val any) (any, error) {
	if val == nil {
		return nil, &failError{msg}
	}
	if s, ok := val.(string); ok && s == "" {
		return val, &failError{msg}
	}
	return val, nil
}

// fail is Helm's fail: an error with msg.
func fail(msg string) (string, error) { return "", &failError{msg} }

// toJSON is toJson: encoding/json's bytes (HTML characters escaped, map
// keys sorted). A string, what the kit passes it most, is quoted directly
// (jsonString), and so are maps of strings and lists of strings and maps of
// strings (the labels and tags of .Values).
func toJSON(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return jsonString(v), nil
	case map[string]any, []any:
		if b, ok := appendStringsJSON(nil, v); ok {
			return string(b), nil
		}
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// appendStringsJSON appends json.Marshal(v) to b, without reflection, for
// a string, a non-nil map of strings, or a non-nil list of those: {"k":"v"}
// with keys sorted by their bytes as encoding/json sorts them, ["a",{}],
// strings quoted as jsonString quotes them. It reports false for any other
// value.
func appendStringsJSON(b []byte, v any) ([]byte, bool) {
	switch v := v.(type) {
	case string:
		return appendJSONString(b, v), true
	case map[string]any:
		if v == nil {
			return nil, false
		}
		for _, x := range v {
			if _, ok := x.(string); !ok {
				return nil, false
			}
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, v[k].(string))
		}
		return append(b, '}'), true
	case []any:
		if v == nil {
			return nil, false
		}
		b = append(b, '[')
		for i, x := range v {
			if i > 0 {
				b = append(b, ',')
			}
			if _, isList := x.([]any); isList {
				return nil, false
			}
			var ok bool
			if b, ok = appendStringsJSON(b, x); !ok {
				return nil, false
			}
		}
		return append(b, ']'), true
	}
	return nil, false
}

// jsonString is json.Marshal(s) without reflection: s quoted, with '"',
// '\\', control characters, '<', '>', '&', U+2028 and U+2029 escaped, and
// each byte that is not UTF-8 as \ufffd (encoding/json's rules; fuzzed
// against it in FuzzJSONString).
func jsonString(s string) string {
	return string(appendJSONString(make([]byte, 0, len(s)+2), s))
}

// appendJSONString appends s quoted as jsonString quotes it to b.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0 // s[start:i] is still to be copied
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= ' ' && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func toPrettyJSON(v any) (string, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	return string(b), err
}

// toRawJSON is toJson without HTML escaping.
func toRawJSON(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

func fromJSON(s string) (map[string]any, error) {
	m := map[string]any{}
	return m, json.Unmarshal([]byte(s), &m)
}

func fromJSONArray(s string) ([]any, error) {
	a := []any{}
	return a, json.Unmarshal([]byte(s), &a)
}

// toYAML is Helm's toYaml (sigs.k8s.io/yaml, the trailing newline cut),
// returning its error.
func toYAML(v any) (string, error) {
	b, err := yaml.Marshal(v)
	return strings.TrimSuffix(string(b), "\n"), err
}

// toYAMLPretty is Helm's toYamlPretty (indent 2), returning its error.
func toYAMLPretty(v any) (string, error) {
	var b bytes.Buffer
	enc := goyaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

func fromYAML(s string) (map[string]any, error) {
	m := map[string]any{}
	return m, yaml.Unmarshal([]byte(s), &m)
}

func fromYAMLArray(s string) ([]any, error) {
	a := []any{}
	return a, yaml.Unmarshal([]byte(s), &a)
}

// toTOML is Helm's toToml, returning its error.
func toTOML(v any) (string, error) {
	var b bytes.Buffer
	err := toml.NewEncoder(&b).Encode(v)
	return b.String(), err
}

func fromTOML(s string) (map[string]any, error) {
	m := map[string]any{}
	return m, toml.Unmarshal([]byte(s), &m)
}

// TemplateCalls parses a Go template (functions unchecked) and lists, as
// "name at file:line:col", the calls of the functions match selects.
func TemplateCalls(name, text string, match func(fn string) bool) ([]string, error) {
	if match == nil {
		return nil, nil
	}
	calls, err := funcCalls(name, text, match)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.fn + " at " + c.at
	}
	return out, nil
}

// call is a function named in a template, and where.
type call struct{ fn, at string }

func funcCalls(name, text string, match func(fn string) bool) ([]call, error) {
	t := parse.New(name)
	t.Mode = parse.SkipFuncCheck
	trees := map[string]*parse.Tree{}
	if _, err := t.Parse(text, "", "", trees); err != nil {
		return nil, err
	}
	var found []call
	for _, tn := range slices.Sorted(maps.Keys(trees)) {
		tree := trees[tn]
		walk(tree.Root, func(n parse.Node) {
			if id, ok := n.(*parse.IdentifierNode); ok && match(id.Ident) {
				loc, _ := tree.ErrorContext(n)
				found = append(found, call{id.Ident, loc})
			}
		})
	}
	return found, nil
}

// refusedCalls explains a template that does not parse with a kit's
// functions: when it names functions of Helm's engine that the kit lacks,
// the error lists them, with why, and wraps [ErrRefusedFunction]. It is
// nil when the template names none.
func refusedCalls(name, text string, reason func(fn string) string) error {
	calls, err := funcCalls(name, text, func(fn string) bool { return reason(fn) != "" })
	if err != nil || len(calls) == 0 {
		return nil
	}
	msgs := make([]string, len(calls))
	for i, c := range calls {
		msgs[i] = fmt.Sprintf("%s at %s (%s)", c.fn, c.at, reason(c.fn))
	}
	return fmt.Errorf("%w: %s", ErrRefusedFunction, strings.Join(msgs, ", "))
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
