// Package spec is prenv's input: the spec's types ([PreviewEnvironment], the
// file users call prenv.yaml), strict loading ([Load]: one YAML 1.2
// document, unknown fields refused, every problem at its line or field
// path), [Check] (every rule a spec must keep, AWS's limits among them, each
// with its field path), the defaults, the labels and annotations prenv
// owns, and the bounded readers of the files a pull request can change
// ([ReadFile], [OpenDirFS], [LimitFS]: regular files only, within a size
// limit, never outside the folder given). The trust boundary (the fields
// that decide who an env is and what it may reach must be the base
// branch's) is package trust, the stage after this one; the JSON Schema and
// Markdown reference are made from these types by package spec/schema.
//
//	env, err := spec.Load(data)          // a *spec.InvalidError lists every problem
//	errs := spec.Check(env)              // field.ErrorList, empty when env is valid
//	fmt.Println(env.Metadata.Name, len(errs))
//
// Guaranteed: Load and Check read nothing but their arguments (and the
// embedded IAM action catalogue), never print or panic (a nil spec is a
// problem, not a crash), and give the same problems in the same order for
// the same input. Not guaranteed: the wording of messages; match on types
// ([*InvalidError]) and field paths. It imports no later stage: only
// package awsrules and prenv's internal packages.
package spec
