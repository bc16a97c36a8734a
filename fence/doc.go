// Package fence holds the final checks: what the objects of one env may be
// and contain once templates, an app chart and a kustomization have shaped
// them, checked against the env's model ([CheckObjects]). Every object must
// stay in the env's namespace, be of a kind the env's AppProject allows,
// keep prenv's identity (the ServiceAccount's role, the Role's trust policy,
// the policies' statements, tags and ACK annotations) and its bounds
// (ResourceQuota, LimitRange, NetworkPolicies exactly as planned), and its
// databases' objects and sync waves. Every pod meets the Pod Security
// Standards (Kubernetes' own checks) and is admitted offline as the API
// server would admit it (LimitRange defaults and bounds, what the
// ResourceQuota requires of each container); what runs at once must fit
// the quota, and the app's pods run as the env's ServiceAccount when the
// env has AWS permissions. Services stay off other envs' traffic,
// hostnames and ingress controller annotations stay the env's own, and
// prenv's own objects keep their life-cycle annotations, labels and data
// stores' specs.
//
//	fence.WriteNamespaces(m, objs)
//	problems := fence.CheckObjects(m, objs, fence.ObjectRules{AppKinds: spec.AppKinds(env)})
//	for _, p := range problems { fmt.Println(p) } // *fence.ObjectError: object, field path, rule
//	ok := len(problems) == 0
//
// Guaranteed: CheckObjects reports every problem, each naming the object
// ([ObjectRef]) and the field path; it never changes the objects and never
// panics (a nil model is a problem); prenv's own render of a model passes. Validation as the API server
// validates (package validate) comes after it.
package fence
