package argocd

import (
	"strings"

	"prenv.dev/prenv/awsrules"
	"prenv.dev/prenv/spec"
)

// maxPRDigits is the length of the largest pull-request number.
const maxPRDigits = awsrules.MaxPRDigits

// NameTemplate returns the goTemplate text that Argo CD executes to name a
// pull request's Application and namespace: for the generator's parameter
// .number it prints what awsrules.EnvName(prefix, number, app) returns,
// <prefix>-<number>-<app>. spec.Check refuses specs whose env names could
// be too long for a namespace for some number, so an env name is never
// shortened and the template needs no hash; TestNameTemplateMatchesEnvName
// proves both agree.
func NameTemplate(prefix, app string) string {
	return prefix + "-{{ .number }}-" + app
}

// NamespacePatterns returns glob patterns that match every env name of the
// app, awsrules.EnvName(prefix, pr, app) for every pull-request number, and
// no other name: one pattern per length of the number. They use no '*' and
// only character classes that both of Argo CD's glob engines read the same
// way (gobwas glob for destinations, Go's filepath.Match for
// cluster-resource names): single ranges such as [0-9].
func NamespacePatterns(prefix, app string) []string {
	out := make([]string, 0, maxPRDigits)
	for d := 1; d <= maxPRDigits; d++ {
		out = append(out, prefix+"-[1-9]"+strings.Repeat("[0-9]", d-1)+"-"+app)
	}
	return out
}

// AppSetName is the name of the app's ApplicationSet: <prefix>-<app>.
func AppSetName(prefix, app string) string { return prefix + "-" + app }

// ProjectName is the AppProject of the app's previews: spec.argocd.project,
// or previews-<app>.
func ProjectName(env *spec.PreviewEnvironment) string {
	if a := env.Spec.ArgoCD; a != nil && a.Project != "" {
		return a.Project
	}
	return spec.DefaultProjectPrefix + env.Metadata.Name
}
