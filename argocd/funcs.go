package argocd

import (
	"regexp"
	"strings"
	"sync"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"github.com/gosimple/slug"
	"sigs.k8s.io/yaml"
)

// Argo CD's pull-request generator slugs branch names with gosimple/slug,
// '_' turned into '-', at most 50 characters, cut at a word boundary.
const branchSlugMax = 50

// FuncMap returns the functions Argo CD gives an ApplicationSet's goTemplate
// templates: sprig's generic set without the functions that read the
// environment (env, expandenv, getHostByName), plus Argo CD's normalize,
// slugify, toYaml, fromYaml and fromYamlArray. Each call returns a new map.
func FuncMap() template.FuncMap {
	fm := template.FuncMap{}
	for k, v := range sprig.GenericFuncMap() {
		fm[k] = v
	}
	for _, k := range []string{"env", "expandenv", "getHostByName"} {
		delete(fm, k)
	}
	fm["normalize"] = normalize
	fm["slugify"] = slugify
	fm["toYaml"] = toYAML
	fm["fromYaml"] = fromYAML
	fm["fromYamlArray"] = fromYAMLArray
	return fm
}

var nonDNSChars = regexp.MustCompile(`[^-a-z0-9.]`)

// normalize makes a DNS subdomain-like name: lower case, other characters
// turned into '-', at most 253 characters, no leading or trailing '-' or '.'.
func normalize(s string) string {
	s = nonDNSChars.ReplaceAllString(strings.ToLower(s), "-")
	if len(s) > 253 {
		s = s[:253]
	}
	return strings.Trim(s, "-.")
}

// slugify is Argo CD's slugify: optional maximum length (default 50) and
// smart truncation (default true) before the text, normalized then slugged.
func slugify(args ...any) string {
	max, smart, text := branchSlugMax, true, ""
	for i, a := range args {
		switch {
		case i == len(args)-1:
			text, _ = a.(string)
		case i == 0:
			if n, ok := a.(int); ok {
				max = n
			}
		case i == 1:
			if b, ok := a.(bool); ok {
				smart = b
			}
		}
	}
	return makeSlug(normalize(text), max, smart)
}

// Slug returns a branch name as the pull-request generator's branch_slug
// parameter: transliterated to ASCII, lower case, runs of other characters
// turned into '-', at most 50 characters, cut at the last '-' that fits.
// It can be empty, and it is not a valid DNS label in general (it may start
// with a digit); prenv never names anything after it.
func Slug(branch string) string { return makeSlug(branch, branchSlugMax, true) }

// slugMu guards gosimple/slug's package settings, which are global: they
// are set for each call and put back, so that prenv does not depend on, or
// change, anyone else's settings.
var slugMu sync.Mutex

func makeSlug(s string, max int, smart bool) string {
	slugMu.Lock()
	defer slugMu.Unlock()
	sub, maxLen, smartTrunc := slug.CustomSub, slug.MaxLength, slug.EnableSmartTruncate
	defer func() { slug.CustomSub, slug.MaxLength, slug.EnableSmartTruncate = sub, maxLen, smartTrunc }()
	slug.CustomSub = map[string]string{"_": "-"}
	slug.MaxLength = max
	slug.EnableSmartTruncate = smart
	return slug.Make(s)
}

func toYAML(v any) (string, error) {
	b, err := yaml.Marshal(v)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(string(b), "\n"), nil
}

func fromYAML(s string) (map[string]any, error) {
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		return nil, err
	}
	return m, nil
}

func fromYAMLArray(s string) ([]any, error) {
	a := []any{}
	if err := yaml.Unmarshal([]byte(s), &a); err != nil {
		return nil, err
	}
	return a, nil
}
