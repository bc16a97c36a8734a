package validate

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBoundKinds: ResourceQuotas, LimitRanges and NetworkPolicies get the
// API server's rules of their kinds (k8s.io/kubernetes pkg/apis/core and
// pkg/apis/networking validation), beyond strict decoding.
func TestBoundKinds(t *testing.T) {
	v := embeddedValidator(t)
	tests := map[string]struct {
		in   string
		want []string
	}{
		"valid quota, limit range and policy": {in: `apiVersion: v1
kind: ResourceQuota
metadata: {name: q, namespace: pr-1}
spec:
  hard: {requests.cpu: "2", pods: "20", count/deployments.apps: "3", requests.example.com/gpu: "1"}
---
apiVersion: v1
kind: LimitRange
metadata: {name: l, namespace: pr-1}
spec:
  limits:
  - type: Container
    defaultRequest: {cpu: 100m}
    default: {cpu: 500m}
    max: {cpu: "2"}
  - type: PersistentVolumeClaim
    max: {storage: 10Gi}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np, namespace: pr-1}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}, podSelector: {}}]
  egress:
  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]
    ports: [{port: 443}, {protocol: UDP, port: 30000, endPort: 30100}, {port: https}]
`, want: []string{}},
		"quota": {in: `apiVersion: v1
kind: ResourceQuota
metadata: {name: q, namespace: pr-1}
spec:
  hard: {storage: 1Gi, cpus: "2", pods: 1500m, requests.cpu: "-1"}
`, want: []string{
			`f.yaml:1 ResourceQuota/q: spec.hard[cpus]: Invalid value: "cpus": must be a standard resource type or fully qualified`,
			`f.yaml:1 ResourceQuota/q: spec.hard[pods]: Invalid value: "1500m": must be an integer`,
			`f.yaml:1 ResourceQuota/q: spec.hard[requests.cpu]: Invalid value: "-1": must be greater than or equal to 0`,
			`f.yaml:1 ResourceQuota/q: spec.hard[storage]: Invalid value: "storage": must be a standard resource for quota`,
		}},
		"limit range": {in: `apiVersion: v1
kind: LimitRange
metadata: {name: l, namespace: pr-1}
spec:
  limits:
  - type: Container
    defaultRequest: {cpu: "1", memory: 1Gi}
    default: {cpu: 500m, memory: 2Gi}
    max: {memory: 1Gi, pods: "3"}
  - type: Container
  - type: Pod
    default: {cpu: "1"}
  - type: Node
  - type: PersistentVolumeClaim
    maxLimitRequestRatio: {storage: 500m}
`, want: []string{
			`f.yaml:1 LimitRange/l: spec.limits[0].defaultRequest[cpu]: Invalid value: "1": default request value 1 is greater than default limit value 500m`,
			`f.yaml:1 LimitRange/l: spec.limits[0].default[memory]: Invalid value: "2Gi": default value 2Gi is greater than max value 1Gi`,
			`f.yaml:1 LimitRange/l: spec.limits[0].max[pods]: Invalid value: "pods": must be a standard resource for containers`,
			`f.yaml:1 LimitRange/l: spec.limits[1].type: Duplicate value: "Container"`,
			`f.yaml:1 LimitRange/l: spec.limits[2].default: Forbidden: may not be specified when ` + "`type`" + ` is 'Pod'`,
			`f.yaml:1 LimitRange/l: spec.limits[3].type: Invalid value: "Node": must be a standard limit type or fully qualified`,
			`f.yaml:1 LimitRange/l: spec.limits[4].limits: Required value: either minimum or maximum storage value is required, but neither was provided`,
			`f.yaml:1 LimitRange/l: spec.limits[4].maxLimitRequestRatio[storage]: Invalid value: "500m": ratio 500m is less than 1`,
		}},
		"network policy": {in: `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np, namespace: pr-1}
spec:
  podSelector: {matchExpressions: [{key: app, operator: In}]}
  policyTypes: [Ingress, Sideways]
  ingress:
  - from: [{}, {ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]
    ports: [{protocol: ICMP, port: 0}]
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/8, 192.168.0.0/16]}}, {ipBlock: {cidr: 10.1.2.3/8}}]
    ports: [{port: https, endPort: 500}, {port: 500, endPort: 400}]
`, want: []string{
			`f.yaml:1 NetworkPolicy/np: spec.egress[0].ports[0].endPort: Invalid value: 500: may not be specified when ` + "`port`" + ` is non-numeric`,
			`f.yaml:1 NetworkPolicy/np: spec.egress[0].ports[1].endPort: Invalid value: 400: must be greater than or equal to ` + "`port`",
			`f.yaml:1 NetworkPolicy/np: spec.egress[0].to[0].ipBlock.except[0]: Invalid value: "10.0.0.0/8": must be a strict subset of ` + "`cidr`",
			`f.yaml:1 NetworkPolicy/np: spec.egress[0].to[0].ipBlock.except[1]: Invalid value: "192.168.0.0/16": must be a strict subset of ` + "`cidr`",
			`f.yaml:1 NetworkPolicy/np: spec.egress[0].to[1].ipBlock.cidr: Invalid value: "10.1.2.3/8": must not have bits set beyond the prefix length`,
			`f.yaml:1 NetworkPolicy/np: spec.ingress[0].from[0]: Required value: must specify a peer`,
			`f.yaml:1 NetworkPolicy/np: spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer`,
			`f.yaml:1 NetworkPolicy/np: spec.ingress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive`,
			`f.yaml:1 NetworkPolicy/np: spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"`,
			`f.yaml:1 NetworkPolicy/np: spec.podSelector.matchExpressions[0].values: Required value: must be specified when ` + "`operator`" + ` is 'In' or 'NotIn'`,
			`f.yaml:1 NetworkPolicy/np: spec.policyTypes[1]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"`,
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			res, err := v.ValidateStream(context.Background(), "f.yaml", []byte(tc.in), nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, texts(res)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}
