package argocd

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gosimple/slug"
)

// slugInputs are branch names meant to reach every step of gosimple/slug:
// spaces around, '_', the English and default substitutions, letters to
// transliterate, invalid UTF-8, runs of other characters, '-' and '_' at
// the ends, and words around the cut.
var slugInputs = []string{
	"", " ", "main", "feature/login", "  Feature/Login  ", "my_branch", "__x__", "--x--", "-_-",
	"Tom & Jerry @ home", `say "hi" it's ’quoted’`, "a‒b–c—d―e", "ÜBER_Långt-名前 🚀", "Zoë-Ünïcode",
	"feature/ÜBER_Långt-名前 🚀/{{ .number }}/..//--", "\xff\xfe broken \xc3", "ﬁ ligature ß straße",
	"Ελληνικά Русский عربى", "x\u00a0y\u2003z", "tab\tand\nnewline", "a__b--c  d..e",
	strings.Repeat("word-", 20), strings.Repeat("a", 60), "aaaaaaaaaa-bbbbbbbbbb-cccccccccc-dddddddddd-eeeeeeeee-f",
	"aaaaaaaaaa-bbbbbbbbbb-cccccccccc-dddddddddd-eeeeeeeeee-f", "aaaaaaaaaa-bbbbbbbbbb-cccccccccc-dddddddddd-eeeeeeeeeee",
	"release/2026.11", "dependabot/npm_and_yarn/lodash-4.17.21", "UPPER_CASE_BRANCH",
}

// slugRunes are what the random inputs are made of.
var slugRunes = []rune("aZ09-_ ./@&'\"’‒–—―ÜåßŁ名🚀\t\u00a0ﬁ")

// randomSlugInputs are n random strings of slugRunes, and random bytes, up
// to 120 long, from a fixed seed.
func randomSlugInputs(n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]string, 0, n)
	for i := range n {
		var b strings.Builder
		for range r.IntN(120) {
			if i%5 == 0 {
				b.WriteByte(byte(r.IntN(256)))
			} else {
				b.WriteRune(slugRunes[r.IntN(len(slugRunes))])
			}
		}
		out = append(out, b.String())
	}
	return out
}

// gosimpleSlug is what Argo CD computes: gosimple/slug's Make with the
// package's settings as Argo CD sets them. It changes the package's
// variables, and puts them back: only this test, in one goroutine, may.
func gosimpleSlug(s string, max int, smart bool) string {
	sub, maxLen, smartTrunc := slug.CustomSub, slug.MaxLength, slug.EnableSmartTruncate
	defer func() { slug.CustomSub, slug.MaxLength, slug.EnableSmartTruncate = sub, maxLen, smartTrunc }()
	slug.CustomSub = map[string]string{"_": "-"}
	slug.MaxLength = max
	slug.EnableSmartTruncate = smart
	return slug.Make(s)
}

// TestSlugMatchesGosimple: makeSlug, which touches none of gosimple/slug's
// package variables, gives what gosimple/slug gives with Argo CD's
// settings, for branch_slug (50, smart) and for slugify's other lengths
// and truncation modes.
func TestSlugMatchesGosimple(t *testing.T) {
	inputs := append(append([]string{}, slugInputs...), randomSlugInputs(3000)...)
	type mode struct {
		max   int
		smart bool
	}
	modes := []mode{{50, true}, {0, true}, {1, true}, {7, true}, {63, true}, {0, false}, {1, false}, {10, false}, {50, false}, {-1, true}}
	differ := 0
	for _, m := range modes {
		for _, in := range inputs {
			want := gosimpleSlug(in, m.max, m.smart)
			if got := makeSlug(in, m.max, m.smart); got != want {
				differ++
				if differ <= 10 {
					t.Errorf("makeSlug(%q, %d, %t) = %q, gosimple/slug gives %q", in, m.max, m.smart, got, want)
				}
			}
		}
	}
	if differ > 0 {
		t.Errorf("%d results differ", differ)
	}
	// The inputs reach the cut: some slugs are longer than 50 before it.
	long := 0
	for _, in := range inputs {
		if len(gosimpleSlug(in, 0, true)) > branchSlugMax {
			long++
		}
	}
	if long < 100 {
		t.Errorf("only %d inputs are longer than %d once slugged", long, branchSlugMax)
	}
}

// TestSlugLeavesGosimpleAlone: Slug and slugify neither read nor change
// gosimple/slug's package variables.
func TestSlugLeavesGosimpleAlone(t *testing.T) {
	sub, maxLen, smart, lower := slug.CustomSub, slug.MaxLength, slug.EnableSmartTruncate, slug.Lowercase
	defer func() {
		slug.CustomSub, slug.MaxLength, slug.EnableSmartTruncate, slug.Lowercase = sub, maxLen, smart, lower
	}()
	// Settings of another user of the package.
	slug.CustomSub = map[string]string{"a": "b"}
	slug.MaxLength = 3
	slug.EnableSmartTruncate = false
	slug.Lowercase = false

	if got := Slug("Feature/Alpha_Beta"); got != "feature-alpha-beta" {
		t.Errorf("Slug = %q, want feature-alpha-beta", got)
	}
	if got := slugify(10, false, "Hello_World and more"); got != "hello-worl" {
		t.Errorf("slugify = %q, want hello-worl", got)
	}
	if len(slug.CustomSub) != 1 || slug.CustomSub["a"] != "b" || slug.MaxLength != 3 || slug.EnableSmartTruncate || slug.Lowercase {
		t.Errorf("gosimple/slug's settings changed: %v %d %t %t", slug.CustomSub, slug.MaxLength, slug.EnableSmartTruncate, slug.Lowercase)
	}
}
