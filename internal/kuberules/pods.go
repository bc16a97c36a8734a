package kuberules

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// PodTemplate is one pod an object makes or describes: its metadata and
// spec as the typed API, and the path of the spec inside the object (for
// example "spec.template.spec" of a Deployment,
// "spec.jobTemplate.spec.template.spec" of a CronJob, "spec" of a Pod).
type PodTemplate struct {
	Meta metav1.ObjectMeta
	Spec corev1.PodSpec
	// Path is where Spec sits in the object.
	Path *field.Path
	// Replicas is how many pods of this template run at once when the
	// workload is at rest: spec.replicas of a Deployment, StatefulSet,
	// ReplicaSet or ReplicationController (1 when unset, as the API server
	// defaults it), spec.parallelism of a Job (1 when unset), 1 for a Pod
	// and a CronJob's job, 0 for a DaemonSet (one per node: unknown
	// offline) and a PodTemplate (it runs nothing itself).
	Replicas int32
}

// workloads are the built-in kinds that carry a pod template, keyed by
// (group, kind): the kinds Pod Security admission checks
// (k8s.io/pod-security-admission/admission: DefaultPodSpecExtractor).
var workloads = map[[2]string]func() podOwner{
	{"", "Pod"}:                   func() podOwner { return &corev1.Pod{} },
	{"", "PodTemplate"}:           func() podOwner { return &corev1.PodTemplate{} },
	{"", "ReplicationController"}: func() podOwner { return &corev1.ReplicationController{} },
	{"apps", "Deployment"}:        func() podOwner { return &appsv1.Deployment{} },
	{"apps", "StatefulSet"}:       func() podOwner { return &appsv1.StatefulSet{} },
	{"apps", "DaemonSet"}:         func() podOwner { return &appsv1.DaemonSet{} },
	{"apps", "ReplicaSet"}:        func() podOwner { return &appsv1.ReplicaSet{} },
	{"batch", "Job"}:              func() podOwner { return &batchv1.Job{} },
	{"batch", "CronJob"}:          func() podOwner { return &batchv1.CronJob{} },
}

type podOwner interface{ runtime.Object }

// IsWorkload reports whether objects of group and kind carry a pod
// template that [PodTemplates] reads.
func IsWorkload(group, kind string) bool { return workloads[[2]string{group, kind}] != nil }

// PodTemplates returns the pod templates of u: none for a kind that is not
// a workload ([IsWorkload]), one for each workload kind. An object whose
// fields do not convert to the typed API (a string where a number belongs,
// an unknown field type) is an error naming the kind; the API server
// would refuse it as well.
func PodTemplates(u *unstructured.Unstructured) ([]PodTemplate, error) {
	if u == nil {
		return nil, nil
	}
	gvk := u.GroupVersionKind()
	mk := workloads[[2]string{gvk.Group, gvk.Kind}]
	if mk == nil {
		return nil, nil
	}
	obj := mk()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, obj); err != nil {
		return nil, fmt.Errorf("%s %q does not convert to the %s API: %w", gvk.Kind, u.GetName(), gvk.GroupVersion(), err)
	}
	spec := field.NewPath("spec")
	template := spec.Child("template")
	one := func(meta metav1.ObjectMeta, s corev1.PodSpec, p *field.Path, replicas *int32) []PodTemplate {
		n := int32(1)
		if replicas != nil {
			n = *replicas
		}
		return []PodTemplate{{Meta: meta, Spec: s, Path: p, Replicas: n}}
	}
	switch o := obj.(type) {
	case *corev1.Pod:
		return one(o.ObjectMeta, o.Spec, spec, nil), nil
	case *corev1.PodTemplate:
		return []PodTemplate{{Meta: o.Template.ObjectMeta, Spec: o.Template.Spec, Path: field.NewPath("template", "spec")}}, nil
	case *corev1.ReplicationController:
		if o.Spec.Template == nil {
			return nil, nil
		}
		return one(o.Spec.Template.ObjectMeta, o.Spec.Template.Spec, template.Child("spec"), o.Spec.Replicas), nil
	case *appsv1.Deployment:
		return one(o.Spec.Template.ObjectMeta, o.Spec.Template.Spec, template.Child("spec"), o.Spec.Replicas), nil
	case *appsv1.StatefulSet:
		return one(o.Spec.Template.ObjectMeta, o.Spec.Template.Spec, template.Child("spec"), o.Spec.Replicas), nil
	case *appsv1.ReplicaSet:
		return one(o.Spec.Template.ObjectMeta, o.Spec.Template.Spec, template.Child("spec"), o.Spec.Replicas), nil
	case *appsv1.DaemonSet:
		return []PodTemplate{{Meta: o.Spec.Template.ObjectMeta, Spec: o.Spec.Template.Spec, Path: template.Child("spec")}}, nil
	case *batchv1.Job:
		return one(o.Spec.Template.ObjectMeta, o.Spec.Template.Spec, template.Child("spec"), o.Spec.Parallelism), nil
	case *batchv1.CronJob:
		t := o.Spec.JobTemplate.Spec.Template
		return one(t.ObjectMeta, t.Spec, spec.Child("jobTemplate", "spec", "template", "spec"), o.Spec.JobTemplate.Spec.Parallelism), nil
	}
	return nil, nil
}
