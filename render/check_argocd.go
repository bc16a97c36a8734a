package render

import "k8s.io/apimachinery/pkg/util/validation/field"

// checkArgoCD checks spec.argocd.
func checkArgoCD(a *ArgoCD, p *field.Path) field.ErrorList {
	if a == nil {
		return nil
	}
	return nil
}
