package kit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/kio"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/yaml"

	"prenv.dev/prenv/internal/bounded"
	"prenv.dev/prenv/manifest"
	"prenv.dev/prenv/spec"
)

// KustomizeResource is the file name under which the rendered objects join
// the user's kustomization: prenv adds it to the kustomization's resources.
const KustomizeResource = "prenv-rendered.yaml"

// kustomizationNames are the file names kustomize recognises, in its order.
var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// KustomizeError is a kustomization that could not be read or run.
type KustomizeError struct {
	Dir string
	Err error
}

func (e *KustomizeError) Error() string { return "kustomize " + e.Dir + ": " + e.Err.Error() }

func (e *KustomizeError) Unwrap() error { return e.Err }

// UnsafeKustomizationError is a kustomization file that asks kustomize for
// what [Kustomize] refuses: to read outside its folder, to fetch (remote
// resources, bases, components, generator files, patches), to run git or
// helm, or to run plugins. Errs lists every such field.
type UnsafeKustomizationError struct {
	// File is the kustomization file, relative to the folder.
	File string
	Errs field.ErrorList
}

func (e *UnsafeKustomizationError) Error() string {
	lines := make([]string, len(e.Errs))
	for i, fe := range e.Errs {
		lines[i] = e.File + ": " + fe.Error()
	}
	return strings.Join(lines, "\n")
}

// Kustomize applies the kustomization in dir (patches, labels, images, ...)
// over objs with kustomize's krusty, entirely in memory: dir's files are
// copied into an in-memory file system, the objects are added to the
// kustomization's resources as [KustomizeResource], and nothing is written to
// disk. The result is sorted with [manifest.SortObjects].
//
// The kustomization must be self-contained, and nothing it says can make
// kustomize fetch, run a program or read outside dir: dir is read through an
// [os.Root] (a symbolic link leaving it fails with a [*spec.LinkOutsideError]),
// only regular files are read, each of at most [MaxKustomizeFileSize] and
// [MaxKustomizeSize] in all, and kustomize runs with its root-only load
// restrictor and builtin plugins only. Before it runs, every kustomization
// file it would read is checked: a field that names a remote resource, base,
// component, generator file, patch, CRD or schema (an http(s)://, ssh://,
// file:// or git URL, a git:: or github.com/ path, user@host:path) or a
// path not in the folder, Helm charts (helmCharts, helmGlobals,
// helmChartInflationGenerator), and generators, transformers and validators
// that are not kustomize's builtin ones fail with an
// [*UnsafeKustomizationError] naming the field.
func Kustomize(ctx context.Context, dir string, objs []*unstructured.Unstructured) ([]*unstructured.Unstructured, error) {
	if ctx == nil {
		return nil, errors.New("kustomize: nil context")
	}
	if slices.Contains(objs, nil) {
		return nil, errors.New("kustomize: a nil object")
	}
	mem := filesys.MakeFsInMemory()
	root := "/kustomization"
	if err := copyKustomization(ctx, dir, mem, root); err != nil {
		return nil, &KustomizeError{Dir: dir, Err: err}
	}
	found := findKustomization(mem, root)
	if found == "" {
		return nil, &KustomizeError{Dir: dir, Err: errors.New("no kustomization.yaml")}
	}
	if err := checkKustomizations(mem, root); err != nil {
		return nil, &KustomizeError{Dir: dir, Err: err}
	}
	kpath := path.Join(root, found)
	kb, err := mem.ReadFile(kpath)
	if err != nil {
		return nil, &KustomizeError{Dir: dir, Err: err}
	}
	var k map[string]any
	if err := yaml.Unmarshal(kb, &k); err != nil {
		return nil, &KustomizeError{Dir: filepath.Join(dir, found), Err: err}
	}
	if k == nil {
		k = map[string]any{}
	}
	res, _ := k["resources"].([]any)
	k["resources"] = append([]any{KustomizeResource}, res...)
	if kb, err = yaml.Marshal(k); err != nil {
		return nil, &KustomizeError{Dir: dir, Err: err}
	}
	if err := mem.WriteFile(kpath, kb); err != nil {
		return nil, &KustomizeError{Dir: dir, Err: err}
	}
	stream, err := manifest.Marshal(objs)
	if err != nil {
		return nil, err
	}
	if err := mem.WriteFile(path.Join(root, KustomizeResource), stream); err != nil {
		return nil, &KustomizeError{Dir: dir, Err: err}
	}
	opts := krusty.MakeDefaultOptions()
	opts.LoadRestrictions = types.LoadRestrictionsRootOnly
	opts.PluginConfig = types.DisabledPluginConfig()
	rm, err := krusty.MakeKustomizer(opts).Run(mem, root)
	if err != nil {
		return nil, &KustomizeError{Dir: dir, Err: err}
	}
	out, err := rm.AsYaml()
	if err != nil {
		return nil, &KustomizeError{Dir: dir, Err: err}
	}
	result, err := manifest.ParseObjects(out)
	if err != nil {
		return nil, &KustomizeError{Dir: dir, Err: err}
	}
	manifest.SortObjects(result)
	return result, nil
}

// copyKustomization copies the folder dir into mem under root, reading it
// through an os.Root with the kustomize limits.
func copyKustomization(ctx context.Context, dir string, mem filesys.FileSystem, root string) error {
	d, err := bounded.OpenDir(dir, MaxKustomizeFileSize, true)
	if err != nil {
		return err
	}
	defer d.Close()
	var total int64
	if err := mem.MkdirAll(root); err != nil {
		return err
	}
	return d.Walk(".", true, func(p string, info fs.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		target := path.Join(root, p)
		if info.IsDir() {
			return mem.MkdirAll(target)
		}
		if p == KustomizeResource {
			return fmt.Errorf("%s is the name prenv gives the rendered objects; rename the file", p)
		}
		b, err := d.ReadFile(p)
		if err != nil {
			return err
		}
		if total += int64(len(b)); total > MaxKustomizeSize {
			return &spec.FileTooLargeError{Path: dir, Size: MaxKustomizeSize + 1, AtLeast: true, Limit: MaxKustomizeSize}
		}
		if ext := path.Ext(p); ext == ".yaml" || ext == ".yml" || ext == ".json" || path.Base(p) == "Kustomization" {
			if err := bounded.CheckYAMLExpansion(p, b); err != nil {
				return err
			}
		}
		return mem.WriteFile(target, b)
	})
}

// findKustomization is the name of the kustomization file in dir, the first
// of kustomizationNames kustomize would take, or "".
func findKustomization(mem filesys.FileSystem, dir string) string {
	for _, n := range kustomizationNames {
		if p := path.Join(dir, n); mem.Exists(p) && !mem.IsDir(p) {
			return n
		}
	}
	return ""
}

// checkKustomizations checks the kustomization in root and every one it
// reaches through resources, bases and components, as kustomize would read
// them, and returns every refused field, by file.
func checkKustomizations(mem filesys.FileSystem, root string) error {
	c := kustomizationChecker{mem: mem, root: root, seen: map[string]bool{}}
	c.check(root)
	return errors.Join(c.errs...)
}

type kustomizationChecker struct {
	mem  filesys.FileSystem
	root string
	seen map[string]bool
	errs []error
}

// check checks the kustomization of the folder dir (an absolute path in
// mem), then those of the folders it includes.
func (c *kustomizationChecker) check(dir string) {
	if c.seen[dir] {
		return
	}
	c.seen[dir] = true
	name := findKustomization(c.mem, dir)
	if name == "" {
		return // kustomize reports it
	}
	file := path.Join(dir, name)
	rel := strings.TrimPrefix(strings.TrimPrefix(file, c.root), "/")
	data, err := c.mem.ReadFile(file)
	if err != nil {
		c.errs = append(c.errs, err)
		return
	}
	var k types.Kustomization
	if err := k.Unmarshal(data); err != nil {
		c.errs = append(c.errs, fmt.Errorf("%s: %w", rel, err))
		return
	}
	errs, subdirs := c.fields(dir, &k)
	if len(errs) > 0 {
		c.errs = append(c.errs, &UnsafeKustomizationError{File: rel, Errs: errs})
	}
	for _, s := range subdirs {
		c.check(s)
	}
}

// pathKind is what a kustomization field's path must name.
type pathKind int

const (
	fileOnly pathKind = iota
	fileOrDir
)

// fields checks the fields of one kustomization in the folder dir and
// returns the refused ones and the folders it includes.
func (c *kustomizationChecker) fields(dir string, k *types.Kustomization) (field.ErrorList, []string) {
	var errs field.ErrorList
	var subdirs []string
	local := func(p *field.Path, value string, kind pathKind) {
		target, err := c.localPath(dir, value)
		if err != "" {
			errs = append(errs, field.Forbidden(p, err))
			return
		}
		switch {
		case !c.mem.Exists(target):
			errs = append(errs, field.Invalid(p, value, "no such file or folder in the kustomization's folder; --kustomize reads only files inside it"))
		case c.mem.IsDir(target) && kind == fileOnly:
			errs = append(errs, field.Invalid(p, value, "a folder, where a file is expected"))
		case c.mem.IsDir(target):
			subdirs = append(subdirs, target)
		}
	}
	for i, r := range k.Resources {
		if dir == c.root && path.Clean(r) == KustomizeResource {
			errs = append(errs, field.Invalid(field.NewPath("resources").Index(i), r,
				"prenv adds the rendered objects to the resources itself, as "+KustomizeResource+"; remove this entry"))
			continue
		}
		local(field.NewPath("resources").Index(i), r, fileOrDir)
	}
	for i, r := range k.Bases {
		local(field.NewPath("bases").Index(i), r, fileOrDir)
	}
	for i, r := range k.Components {
		local(field.NewPath("components").Index(i), r, fileOrDir)
	}
	for i, r := range k.Crds {
		local(field.NewPath("crds").Index(i), r, fileOnly)
	}
	for i, r := range k.Configurations {
		local(field.NewPath("configurations").Index(i), r, fileOnly)
	}
	if p, ok := k.OpenAPI["path"]; ok {
		local(field.NewPath("openapi", "path"), p, fileOnly)
	}
	for i, p := range k.Patches {
		if p.Path != "" {
			local(field.NewPath("patches").Index(i).Child("path"), p.Path, fileOnly)
		}
	}
	for i, p := range k.PatchesJson6902 {
		if p.Path != "" {
			local(field.NewPath("patchesJson6902").Index(i).Child("path"), p.Path, fileOnly)
		}
	}
	for i, p := range k.PatchesStrategicMerge {
		// A patch given inline is text, not a path: only a remote-looking
		// one-line entry is refused (kustomize reads it as a path).
		if s := string(p); !strings.Contains(s, "\n") && isRemote(s) {
			errs = append(errs, field.Forbidden(field.NewPath("patchesStrategicMerge").Index(i), remoteMessage(s)))
		}
	}
	for i, r := range k.Replacements {
		if r.Path != "" {
			local(field.NewPath("replacements").Index(i).Child("path"), r.Path, fileOnly)
		}
	}
	gens := func(p *field.Path, args types.GeneratorArgs) {
		for j, f := range args.FileSources {
			_, file, ok := strings.Cut(f, "=")
			if !ok {
				file = f
			}
			local(p.Child("files").Index(j), file, fileOrDir)
		}
		for j, f := range args.EnvSources {
			local(p.Child("envs").Index(j), f, fileOnly)
		}
		if args.EnvSource != "" {
			local(p.Child("env"), args.EnvSource, fileOnly)
		}
	}
	for i, g := range k.ConfigMapGenerator {
		gens(field.NewPath("configMapGenerator").Index(i), g.GeneratorArgs)
	}
	for i, g := range k.SecretGenerator {
		gens(field.NewPath("secretGenerator").Index(i), g.GeneratorArgs)
	}
	const helm = "Helm charts are not inflated by --kustomize (kustomize would run helm, which may download the chart); render an app chart with --chart"
	if len(k.HelmCharts) > 0 {
		errs = append(errs, field.Forbidden(field.NewPath("helmCharts"), helm))
	}
	if k.HelmGlobals != nil {
		errs = append(errs, field.Forbidden(field.NewPath("helmGlobals"), helm))
	}
	if len(k.HelmChartInflationGenerator) > 0 {
		errs = append(errs, field.Forbidden(field.NewPath("helmChartInflationGenerator"), helm))
	}
	for _, plugins := range []struct {
		name string
		list []string
	}{{"generators", k.Generators}, {"transformers", k.Transformers}, {"validators", k.Validators}} {
		for i, entry := range plugins.list {
			errs = append(errs, c.plugin(dir, field.NewPath(plugins.name).Index(i), entry)...)
		}
	}
	return errs, subdirs
}

// plugin checks one entry of generators, transformers or validators: the
// configuration inline or in a file of the folder, of builtin plugins only,
// with no remote path in it.
func (c *kustomizationChecker) plugin(dir string, p *field.Path, entry string) field.ErrorList {
	if nodes, ok := inlineConfigs(entry); ok {
		return checkPluginConfigs(p, "", nodes)
	}
	target, msg := c.localPath(dir, entry)
	if msg != "" {
		return field.ErrorList{field.Forbidden(p, msg)}
	}
	if !c.mem.Exists(target) {
		return field.ErrorList{field.Invalid(p, entry, "no such file in the kustomization's folder; --kustomize reads only files inside it")}
	}
	if c.mem.IsDir(target) {
		return field.ErrorList{field.Forbidden(p, "a folder of plugin configurations is not read by --kustomize; list its files")}
	}
	data, err := c.mem.ReadFile(target)
	if err != nil {
		return field.ErrorList{field.InternalError(p, err)}
	}
	nodes, err := kio.FromBytes(data)
	if err != nil {
		return field.ErrorList{field.Invalid(p, entry, "not a plugin configuration: "+err.Error())}
	}
	return checkPluginConfigs(p, entry, nodes)
}

// inlineConfigs reports whether a generators/transformers/validators entry
// is inline YAML configuration, as kustomize decides it: it parses as one
// or more YAML mappings.
func inlineConfigs(entry string) ([]*kyaml.RNode, bool) {
	nodes, err := kio.FromBytes([]byte(entry))
	if err != nil || len(nodes) == 0 {
		return nil, false
	}
	for _, n := range nodes {
		if n.YNode().Kind != kyaml.MappingNode {
			return nil, false
		}
	}
	return nodes, true
}

// pluginPathKeys are the keys under which kustomize's builtin plugins take
// file paths (PatchTransformer's path, PatchStrategicMergeTransformer's
// paths, ReplacementTransformer's replacements[].path, the ConfigMap and
// Secret generators' files, envs and env). A value under such a key is
// refused when it is remote; other uses of "path" (fieldSpecs) are not
// files and stay allowed.
var pluginPathKeys = map[string]bool{"path": true, "paths": true, "files": true, "envs": true, "env": true}

// checkPluginConfigs checks plugin configurations: builtin plugins only
// (apiVersion builtin), no Helm chart inflation, no KRM function or exec
// annotation, and no remote path.
func checkPluginConfigs(p *field.Path, file string, nodes []*kyaml.RNode) field.ErrorList {
	var errs field.ErrorList
	where := ""
	if file != "" {
		where = " (in " + file + ")"
	}
	for i, n := range nodes {
		np := p
		if len(nodes) > 1 {
			np = p.Key(fmt.Sprint("document ", i+1))
		}
		if n.GetApiVersion() != "builtin" {
			errs = append(errs, field.Forbidden(np.Child("apiVersion"), fmt.Sprintf("%s %s%s: only kustomize's builtin generators and transformers (apiVersion: builtin) run; plugins, exec and KRM functions are refused", n.GetApiVersion(), n.GetKind(), where)))
			continue
		}
		if n.GetKind() == "HelmChartInflationGenerator" {
			errs = append(errs, field.Forbidden(np.Child("kind"), "HelmChartInflationGenerator"+where+": Helm charts are not inflated by --kustomize; render an app chart with --chart"))
			continue
		}
		for _, a := range []string{"config.kubernetes.io/function", "config.k8s.io/function"} {
			if _, ok := n.GetAnnotations()[a]; ok {
				errs = append(errs, field.Forbidden(np.Child("metadata", "annotations").Key(a), "KRM functions are not run by --kustomize"+where))
			}
		}
		walkPaths(n.YNode(), np, "", func(fp *field.Path, s string) {
			if isRemote(s) {
				errs = append(errs, field.Forbidden(fp, remoteMessage(s)+where))
			}
		})
	}
	return errs
}

// walkPaths calls f for every string under a key of pluginPathKeys in n;
// key is the key n is under. A files entry is [key=]path: f gets the path.
func walkPaths(n *kyaml.Node, p *field.Path, key string, f func(*field.Path, string)) {
	switch n.Kind {
	case kyaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			walkPaths(n.Content[i+1], p.Child(k), k, f)
		}
	case kyaml.SequenceNode:
		for i, c := range n.Content {
			walkPaths(c, p.Index(i), key, f)
		}
	case kyaml.ScalarNode:
		if pluginPathKeys[key] {
			s := n.Value
			if _, file, ok := strings.Cut(s, "="); ok && key == "files" {
				s = file
			}
			f(p, s)
		}
	}
}

// localPath resolves a kustomization's path value against its folder dir
// and returns the path in mem, or why it is refused: a remote location, an
// absolute path, or one that leaves the kustomization folder.
func (c *kustomizationChecker) localPath(dir, value string) (string, string) {
	if isRemote(value) {
		return "", remoteMessage(value)
	}
	if value == "" {
		return "", "an empty path"
	}
	if path.IsAbs(value) || filepath.IsAbs(value) {
		return "", fmt.Sprintf("%q is an absolute path; --kustomize reads only files inside its folder, by relative paths", value)
	}
	target := path.Join(dir, value)
	if target != c.root && !strings.HasPrefix(target, c.root+"/") {
		return "", fmt.Sprintf("%q leaves the kustomization folder; --kustomize reads only files inside it", value)
	}
	return target, ""
}

// remoteMessage says why a remote location is refused.
func remoteMessage(value string) string {
	return fmt.Sprintf("%q is a remote location; --kustomize never fetches or runs git: the kustomization must be self-contained", value)
}

// isRemote reports whether kustomize would take s for a remote location: a
// URL (http, https, ssh, file, or any scheme), a git:: prefix, a
// github.com/ or github.com: path, or an scp-style user@host:path. It is a
// superset of what kustomize fetches over HTTP and of what it clones with
// git (sigs.k8s.io/kustomize/api internal/git repospec.go and
// internal/loader fileloader.go IsRemoteFile).
func isRemote(s string) bool {
	l := strings.ToLower(strings.TrimSpace(s))
	if strings.Contains(l, "://") || strings.HasPrefix(l, "git::") || strings.HasPrefix(l, "gh:") {
		return true
	}
	if strings.HasPrefix(l, "github.com/") || strings.HasPrefix(l, "github.com:") {
		return true
	}
	// scp style: user@host:path, the user a letter then letters, digits or -.
	if at := strings.IndexByte(l, '@'); at > 0 && l[0] >= 'a' && l[0] <= 'z' {
		user := l[:at]
		if strings.Trim(user, "abcdefghijklmnopqrstuvwxyz0123456789-") == "" {
			return true
		}
	}
	return false
}
