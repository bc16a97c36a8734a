package plan_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/labels"

	"prenv.dev/prenv/fence"
	"prenv.dev/prenv/internal/golden"
	"prenv.dev/prenv/internal/kuberules"
	"prenv.dev/prenv/plan"
	"prenv.dev/prenv/render"
	"prenv.dev/prenv/spec"
)

// TestKubeAPIEgress: the password Job, the one pod of prenv's that calls
// the Kubernetes API, may reach it (TCP 443 and 6443, any address: the
// kubernetes Service's ClusterIP and EKS's endpoint addresses are private
// and not known offline) through a NetworkPolicy of its own, even when
// spec.networkPolicy.egress leaves out every private range, as the README
// once advised; no other pod of the env is selected by it.
func TestKubeAPIEgress(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(golden.Root(t), "examples", "databases", "prenv.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	env, err := spec.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	private := []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"}
	env.Spec.NetworkPolicy = &spec.NetworkPolicy{Egress: []spec.EgressRule{{IPBlock: spec.IPBlock{CIDR: "0.0.0.0/0", Except: private}, Ports: []spec.NetworkPort{{Protocol: "TCP", Port: 443}}}}}
	out, err := render.Render(context.Background(), env, 7, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(out.Model.NetworkPolicies, func(n plan.NetworkPolicyModel) bool { return n.Name == plan.NetworkPolicyKubeAPI })
	if i < 0 {
		t.Fatalf("no NetworkPolicy %s among %v", plan.NetworkPolicyKubeAPI, out.Model.NetworkPolicies)
	}
	api := fence.APINetworkPolicySpec(&out.Model.NetworkPolicies[i])
	if len(api.Egress) != 1 || len(api.Egress[0].Ports) != 2 || api.Egress[0].Ports[0].Port.IntValue() != 443 || api.Egress[0].Ports[1].Port.IntValue() != 6443 {
		t.Errorf("egress %+v, want TCP 443 and 6443", api.Egress)
	}
	for _, peer := range api.Egress[0].To {
		if peer.IPBlock == nil || len(peer.IPBlock.Except) > 0 {
			t.Errorf("peer %+v, want every address", peer)
		}
	}
	selector := labels.SelectorFromSet(api.PodSelector.MatchLabels)
	selected := 0
	for _, o := range out.Objects {
		pods, err := kuberules.PodTemplates(o)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pods {
			if !selector.Matches(labels.Set(p.Meta.Labels)) {
				continue
			}
			selected++
			if o.GetName() != out.Model.DatabaseSecrets.Name || p.Spec.AutomountServiceAccountToken == nil || !*p.Spec.AutomountServiceAccountToken {
				t.Errorf("%s %s is selected", o.GetKind(), o.GetName())
			}
		}
	}
	if selected != 1 {
		t.Errorf("%d pod templates are selected, want the password Job's", selected)
	}

	// Without databases, or without NetworkPolicies, there is no such
	// policy.
	env.Spec.Databases = nil
	m, err := plan.Plan(env, 7)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(m.NetworkPolicies, func(n plan.NetworkPolicyModel) bool { return n.Name == plan.NetworkPolicyKubeAPI }) {
		t.Error("an env without databases has the policy")
	}
}
