package fence

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
	psaapi "k8s.io/pod-security-admission/api"
	psapolicy "k8s.io/pod-security-admission/policy"

	"prenv.dev/prenv/internal/kuberules"
	"prenv.dev/prenv/plan"
)

// podSecurity checks every pod template of o ([kuberules.PodTemplates])
// against the Pod Security Standards with Pod Security Admission's own
// checks (k8s.io/pod-security-admission/policy, at its latest policy
// version): prenv's own pods at [plan.PodSecurityOwn], every other pod at
// [plan.PodSecurityApps], the level the env's Namespace enforces. Each
// failed check is one problem per offending field, with the check's reason
// and detail as the API server words them.
func (c *objectChecker) podSecurity(o *unstructured.Unstructured, ref ObjectRef) {
	if !kuberules.IsWorkload(ref.Group, ref.Kind) {
		return
	}
	templates, err := kuberules.PodTemplates(o)
	if err != nil {
		c.add(ref, field.Invalid(field.NewPath("spec"), field.OmitValueType{}, err.Error()+": its pods cannot be checked against the Pod Security Standards"))
		return
	}
	level := psaapi.Level(plan.PodSecurityApps)
	why := fmt.Sprintf("the env's Namespace enforces Pod Security %s (%s), which keeps pods off the node and out of other envs", plan.PodSecurityApps, plan.LabelPodSecurityEnforce)
	if _, own := c.ownObjects()[ref]; own {
		level = psaapi.Level(plan.PodSecurityOwn)
		why = fmt.Sprintf("prenv's own pods meet Pod Security %s", plan.PodSecurityOwn)
	}
	checks, err := c.podChecks(level)
	if err != nil {
		c.add(ref, field.InternalError(field.NewPath("spec"), err))
		return
	}
	for i := range templates {
		t := &templates[i]
		for _, k := range checks {
			res := k.result(&t.Meta, &t.Spec)
			if res.Allowed {
				continue
			}
			msg := fmt.Sprintf("violates PodSecurity %q: %s", string(level)+":latest", res.ForbiddenReason)
			if res.ForbiddenDetail != "" {
				msg += " (" + res.ForbiddenDetail + ")"
			}
			for _, p := range k.paths(&t.Meta, &t.Spec, t.Path) {
				c.add(ref, field.Forbidden(p, msg+"; "+why))
			}
		}
	}
}

// podCheck is one Pod Security check with an evaluator of its own, so that
// a failure names its check, at one level.
type podCheck struct {
	id    psapolicy.CheckID
	level psaapi.Level
	ev    psapolicy.Evaluator
}

// result evaluates the check alone on a pod.
func (k podCheck) result(meta *metav1.ObjectMeta, spec *corev1.PodSpec) psapolicy.CheckResult {
	for _, r := range k.ev.EvaluatePod(psaapi.LevelVersion{Level: k.level, Version: psaapi.LatestVersion()}, meta, spec) {
		if !r.Allowed {
			return r
		}
	}
	return psapolicy.CheckResult{Allowed: true}
}

// podChecks returns the checks Pod Security Admission runs at level, each
// with its own evaluator: every baseline check, and at restricted the
// restricted checks in place of the baseline ones they override (at their
// latest version, as Pod Security Admission's registry does). They are
// made once per CheckObjects.
func (c *objectChecker) podChecks(level psaapi.Level) ([]podCheck, error) {
	if c.podCheckCache == nil {
		c.podCheckCache = map[psaapi.Level][]podCheck{}
	}
	if ks, ok := c.podCheckCache[level]; ok {
		return ks, nil
	}
	all := psapolicy.DefaultChecks()
	overridden := map[psapolicy.CheckID]bool{}
	if level == psaapi.LevelRestricted {
		for _, k := range all {
			if k.Level == psaapi.LevelRestricted && len(k.Versions) > 0 {
				for _, id := range k.Versions[len(k.Versions)-1].OverrideCheckIDs {
					overridden[id] = true
				}
			}
		}
	}
	var out []podCheck
	for _, k := range all {
		if overridden[k.ID] || (k.Level == psaapi.LevelRestricted && level != psaapi.LevelRestricted) {
			continue
		}
		ev, err := psapolicy.NewEvaluator([]psapolicy.Check{k}, nil)
		if err != nil {
			return nil, fmt.Errorf("Pod Security check %s: %w", k.ID, err)
		}
		out = append(out, podCheck{id: k.ID, level: level, ev: ev})
	}
	c.podCheckCache[level] = out
	return out, nil
}

// podField is where a Pod Security check looks, as the Restricted Fields
// of its source (k8s.io/pod-security-admission/policy/check_*.go) list
// them: a field of the pod's securityContext, of each container's, the
// host namespaces, the volumes, the sysctls, the containers' host ports.
type podField struct {
	pod, container []string
	hostNamespaces bool
	// volume is the field of an offending volume ("" for the volume).
	volume    string
	volumes   bool
	sysctls   bool
	hostPorts bool
}

// podFields are the checks' fields by check ID. A check missing here (a
// newer one) is reported at the pod spec.
var podFields = map[psapolicy.CheckID]podField{
	"privileged":                 {container: []string{"securityContext", "privileged"}},
	"allowPrivilegeEscalation":   {container: []string{"securityContext", "allowPrivilegeEscalation"}},
	"capabilities_baseline":      {container: []string{"securityContext", "capabilities", "add"}},
	"capabilities_restricted":    {container: []string{"securityContext", "capabilities"}},
	"hostNamespaces":             {hostNamespaces: true},
	"hostPathVolumes":            {volumes: true, volume: "hostPath"},
	"restrictedVolumes":          {volumes: true},
	"hostPorts":                  {hostPorts: true},
	"hostProbesAndHostLifecycle": {container: []string{}},
	"procMount":                  {container: []string{"securityContext", "procMount"}},
	"procMount_restricted":       {container: []string{"securityContext", "procMount"}},
	"appArmorProfile":            {pod: []string{"securityContext", "appArmorProfile"}, container: []string{"securityContext", "appArmorProfile"}},
	"seLinuxOptions":             {pod: []string{"securityContext", "seLinuxOptions"}, container: []string{"securityContext", "seLinuxOptions"}},
	"seccompProfile_baseline":    {pod: []string{"securityContext", "seccompProfile"}, container: []string{"securityContext", "seccompProfile"}},
	"seccompProfile_restricted":  {pod: []string{"securityContext", "seccompProfile"}, container: []string{"securityContext", "seccompProfile"}},
	"runAsNonRoot":               {pod: []string{"securityContext", "runAsNonRoot"}, container: []string{"securityContext", "runAsNonRoot"}},
	"runAsUser":                  {pod: []string{"securityContext", "runAsUser"}, container: []string{"securityContext", "runAsUser"}},
	"windowsHostProcess":         {pod: []string{"securityContext", "windowsOptions", "hostProcess"}, container: []string{"securityContext", "windowsOptions", "hostProcess"}},
	"sysctls":                    {sysctls: true},
}

// paths returns the fields where the failed check k finds fault, under the
// pod spec's path p: Pod Security Admission decides, on the pod reduced to
// one field at a time (the pod's own settings without containers, then
// each container, volume or sysctl alone), and podFields names the field.
// When none alone fails, the pod spec itself.
func (k podCheck) paths(meta *metav1.ObjectMeta, s *corev1.PodSpec, p *field.Path) []*field.Path {
	f, known := podFields[k.id]
	if !known {
		return []*field.Path{p}
	}
	fails := func(t *corev1.PodSpec) bool { return !k.result(meta, t).Allowed }
	bare := s.DeepCopy()
	bare.InitContainers, bare.Containers, bare.EphemeralContainers = nil, nil, nil
	var out []*field.Path
	podFault := false
	if f.pod != nil && fails(bare) {
		podFault = true
		out = append(out, p.Child(f.pod[0], f.pod[1:]...))
	}
	if f.hostNamespaces {
		for _, h := range []struct {
			on   bool
			name string
		}{{s.HostNetwork, "hostNetwork"}, {s.HostPID, "hostPID"}, {s.HostIPC, "hostIPC"}} {
			if h.on {
				out = append(out, p.Child(h.name))
			}
		}
	}
	if f.volumes {
		for i := range s.Volumes {
			one := *bare
			one.Volumes = s.Volumes[i : i+1]
			if fails(&one) {
				vp := p.Child("volumes").Index(i)
				if f.volume != "" {
					vp = vp.Child(f.volume)
				}
				out = append(out, vp)
			}
		}
	}
	if f.sysctls && s.SecurityContext != nil {
		for i := range s.SecurityContext.Sysctls {
			one := bare.DeepCopy()
			one.SecurityContext.Sysctls = s.SecurityContext.Sysctls[i : i+1]
			if fails(one) {
				out = append(out, p.Child("securityContext", "sysctls").Index(i).Child("name"))
			}
		}
	}
	if (f.container != nil || f.hostPorts) && !podFault {
		eachContainer(s, bare, p, func(alone *corev1.PodSpec, c *corev1.Container, cp *field.Path) {
			if !fails(alone) {
				return
			}
			switch {
			case f.hostPorts:
				for j, port := range c.Ports {
					if port.HostPort != 0 {
						out = append(out, cp.Child("ports").Index(j).Child("hostPort"))
					}
				}
			case k.id == "capabilities_restricted":
				out = append(out, capabilitiesPaths(c, cp)...)
			case len(f.container) == 0:
				out = append(out, cp)
			default:
				out = append(out, cp.Child(f.container[0], f.container[1:]...))
			}
		})
	}
	if len(out) == 0 {
		return []*field.Path{p}
	}
	return out
}

// eachContainer calls fn for each container of s with a copy of bare (s
// without containers) that holds only that container, in the list it is
// in.
func eachContainer(s, bare *corev1.PodSpec, p *field.Path, fn func(alone *corev1.PodSpec, c *corev1.Container, cp *field.Path)) {
	for i := range s.InitContainers {
		one := *bare
		one.InitContainers = s.InitContainers[i : i+1]
		fn(&one, &s.InitContainers[i], p.Child("initContainers").Index(i))
	}
	for i := range s.Containers {
		one := *bare
		one.Containers = s.Containers[i : i+1]
		fn(&one, &s.Containers[i], p.Child("containers").Index(i))
	}
	for i := range s.EphemeralContainers {
		one := *bare
		one.EphemeralContainers = s.EphemeralContainers[i : i+1]
		c := corev1.Container(s.EphemeralContainers[i].EphemeralContainerCommon)
		fn(&one, &c, p.Child("ephemeralContainers").Index(i))
	}
}

// capabilitiesPaths are the fields of the restricted capabilities check
// (check_capabilities_restricted.go): drop must include ALL, add may only
// hold NET_BIND_SERVICE.
func capabilitiesPaths(c *corev1.Container, cp *field.Path) []*field.Path {
	caps := cp.Child("securityContext", "capabilities")
	var drop, add []corev1.Capability
	if sc := c.SecurityContext; sc != nil && sc.Capabilities != nil {
		drop, add = sc.Capabilities.Drop, sc.Capabilities.Add
	}
	var out []*field.Path
	hasAll := false
	for _, d := range drop {
		hasAll = hasAll || d == "ALL"
	}
	if !hasAll {
		out = append(out, caps.Child("drop"))
	}
	for i, a := range add {
		if a != "NET_BIND_SERVICE" {
			out = append(out, caps.Child("add").Index(i))
		}
	}
	if len(out) == 0 {
		out = append(out, caps)
	}
	return out
}
