package argocd

import (
	"fmt"
	"strconv"
	"strings"

	"prenv.dev/prenv/render"
)

// The shortening rule of render.EnvName, restated here so that it can be
// computed inside Argo CD; TestNameTemplateMatchesEnvName proves that both
// agree.
const (
	maxNameLen = render.MaxNamespaceLen // an env name is a namespace name
	hashLen    = 8                      // hex digits of sha256(full name)
	// maxPRDigits is the length of the largest pull-request number.
	maxPRDigits = 10
)

func init() {
	if len(strconv.Itoa(render.MaxPR)) != maxPRDigits {
		panic("argocd: maxPRDigits does not match render.MaxPR")
	}
}

// NameTemplate returns the goTemplate text that Argo CD executes to name a
// pull request's Application and namespace: for the generator's parameter
// .number it prints what render.EnvName(prefix, number, app) returns. When
// <prefix>-<number>-<app> always fits in 63 characters it is simply
// prefix-{{ .number }}-app; otherwise the template computes EnvName's
// shortening itself with sprig's sha256sum, trunc and substr: the prefix
// and number kept whole, the app cut, then "-" and the first 8 hex digits
// of the SHA-256 of the full name.
func NameTemplate(prefix, app string) string {
	fixed := len(prefix) + 2 + len(app) // <prefix>-<number>-<app> without the number
	if fixed+maxPRDigits <= maxNameLen {
		return prefix + "-{{ .number }}-" + app
	}
	// Room for the cut app when the number has no digits: EnvName keeps
	// "<prefix>-<number>-", then the cut, then "-" and the hash.
	room := maxNameLen - len(prefix) - 2 - 1 - hashLen
	return fmt.Sprintf(`{{ $full := printf "%%s-%%s-%%s" %q .number %q }}`+
		`{{ if le (len $full) %d }}{{ $full }}{{ else }}`+
		`{{ printf "%%s-%%s-%%s-%%s" %q .number (trimAll "-._" (substr 0 (int (sub %d (len .number))) %q)) (trunc %d (sha256sum $full)) }}`+
		`{{ end }}`,
		prefix, app, maxNameLen, prefix, room, app, hashLen)
}

// NamespacePatterns returns glob patterns that match every env name of the
// app, render.EnvName(prefix, pr, app) for every pull-request number, and
// no other name: one pattern per length of the number, the hash of a
// shortened name as eight characters of [0123456789abcdef]. They use no
// '*' and only the character classes both of Argo CD's glob engines read
// the same way: single ranges such as [0-9] and plain lists (gobwas glob,
// for destinations, does not accept [0-9a-f]; Go's filepath.Match, for
// cluster-resource names, does).
func NamespacePatterns(prefix, app string) []string {
	var out []string
	for d := 1; d <= maxPRDigits; d++ {
		digits := "[1-9]" + strings.Repeat("[0-9]", d-1)
		keep := prefix + "-" + digits + "-"
		if len(prefix)+2+d+len(app) <= maxNameLen {
			out = append(out, keep+app)
			continue
		}
		room := maxNameLen - len(prefix) - 2 - d - 1 - hashLen
		cut := strings.TrimRight(app[:min(room, len(app))], "-._")
		out = append(out, keep+cut+"-"+strings.Repeat("[0123456789abcdef]", hashLen))
	}
	return out
}

// AppSetName is the name of the app's ApplicationSet: <prefix>-<app>.
func AppSetName(prefix, app string) string { return prefix + "-" + app }

// ProjectName is the AppProject of the app's previews: spec.argocd.project,
// or previews-<app>.
func ProjectName(env *render.PreviewEnvironment) string {
	if a := env.Spec.ArgoCD; a != nil && a.Project != "" {
		return a.Project
	}
	return render.DefaultProjectPrefix + env.Metadata.Name
}
