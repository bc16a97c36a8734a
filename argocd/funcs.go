package argocd

import (
	"fmt"
	"regexp"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"github.com/gosimple/slug"
	"github.com/gosimple/unidecode"
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
// A negative length without smart truncation panics, as gosimple/slug
// does; text/template makes that the template's error, as in Argo CD.
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
	if max < 0 && !smart {
		panic(fmt.Sprintf("slugify: maximum length %d is negative", max))
	}
	return makeSlug(normalize(text), max, smart)
}

// Slug returns a branch name as the pull-request generator's branch_slug
// parameter: transliterated to ASCII, lower case, runs of other characters
// turned into '-', at most 50 characters, cut at the last '-' that fits.
// It can be empty, and it is not a valid DNS label in general (it may start
// with a digit); prenv never names anything after it. It is safe for
// concurrent use, beside any use of gosimple/slug.
func Slug(branch string) string { return makeSlug(branch, branchSlugMax, true) }

// Argo CD makes branch_slug with gosimple/slug's Make after setting the
// package's MaxLength to 50 and its CustomSub to {"_": "-"}
// (applicationset/generators/pull_request.go), and slugify with its
// MaxLength and EnableSmartTruncate set per call. Setting those variables
// here would change the results of every other user of the package in the
// program, and race with them; makeSlug computes the same result without
// reading or writing them: the steps of gosimple/slug v1.15.0's MakeLang
// for "en" (slug.go), with its exported helpers. TestSlugMatchesGosimple
// checks it against slug.Make on many inputs.
func makeSlug(s string, max int, smart bool) string {
	s = strings.TrimSpace(s)
	s = slug.SubstituteRune(s, nil) // CustomRuneSub is unset; this makes the text valid UTF-8
	s = slug.Substitute(s, map[string]string{"_": "-"})
	s = slug.SubstituteRune(s, slugEnglish)
	s = unidecode.Unidecode(s)
	s = strings.ToLower(s)
	if !smart && len(s) >= max {
		s = s[:max]
	}
	s = slugOtherChars.ReplaceAllString(s, "-")
	s = slugDashes.ReplaceAllString(s, "-")
	s = strings.Trim(s, "-_")
	if max > 0 && smart && len(s) > max {
		// Cut at the last '-' at or before max, or at max in a single word.
		if i := strings.LastIndexByte(s[:max+1], '-'); i >= 0 {
			return s[:i]
		}
		return s[:max]
	}
	return s
}

// slugEnglish is gosimple/slug's substitution for "en" (enSub, merged at
// init with defaultSub; languages_substitution.go of v1.15.0).
var slugEnglish = map[rune]string{
	'&': "and", '@': "at",
	'"': "", '\'': "", '’': "",
	'‒': "-", '–': "-", '—': "-", '―': "-",
}

// gosimple/slug's character classes (slug.go of v1.15.0).
var (
	slugOtherChars = regexp.MustCompile("[^a-zA-Z0-9-_]")
	slugDashes     = regexp.MustCompile("-+")
)

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
