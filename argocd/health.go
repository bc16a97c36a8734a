package argocd

import (
	"slices"
	"strings"

	"prenv.dev/prenv/render"
)

// HealthLua is the health check of an ACK resource, in the Lua that Argo CD
// runs for resource.customizations.health.<group>_<kind> keys of argocd-cm
// (no standard library beyond the base and table functions; it only reads
// obj). Degraded when ACK.Terminal is True (the spec must change before ACK
// tries again); Healthy when the controller reports the AWS resource in
// sync: condition Ready True, or on ACK runtimes older than the Ready
// condition ACK.ResourceSynced True (Ready wins when both are present);
// Progressing otherwise, with the message of the sync or ACK.Recoverable
// condition when there is one, and while the object is being deleted.
//
// Without a health check Argo CD counts a custom resource as Healthy as soon
// as it exists, so sync waves would not wait for AWS at all.
const HealthLua = `-- prenv: health of an AWS Controllers for Kubernetes (ACK) resource.
local hs = {}
hs.status = "Progressing"
hs.message = "Waiting for the ACK controller to sync the resource with AWS"
if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil then
  hs.message = "Being deleted: waiting for the ACK controller to delete the AWS resource"
  return hs
end
local ready = nil
local synced = nil
local recoverable = nil
if obj.status ~= nil and obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "ACK.Terminal" and c.status == "True" then
      hs.status = "Degraded"
      hs.message = c.message or c.reason or "ACK reports a terminal condition: fix the spec"
      return hs
    elseif c.type == "Ready" then
      ready = c
    elseif c.type == "ACK.ResourceSynced" then
      synced = c
    elseif c.type == "ACK.Recoverable" and c.status == "True" then
      recoverable = c
    end
  end
end
local cond = ready or synced
if cond ~= nil and cond.status == "True" then
  hs.status = "Healthy"
  hs.message = cond.message or ""
  return hs
end
if recoverable ~= nil and (recoverable.message or recoverable.reason) ~= nil then
  hs.message = recoverable.message or recoverable.reason
elseif cond ~= nil and (cond.message or cond.reason) ~= nil then
  hs.message = cond.message or cond.reason
end
return hs
`

// ACKKinds are the ACK kinds prenv emits, whose health Argo CD must judge.
var ACKKinds = []render.GroupKind{
	{Group: "dynamodb.services.k8s.aws", Kind: "Table"},
	{Group: "iam.services.k8s.aws", Kind: "Policy"},
	{Group: "iam.services.k8s.aws", Kind: "Role"},
	{Group: "sqs.services.k8s.aws", Kind: "Queue"},
}

// ackGroupSuffix marks the API groups of ACK controllers.
const ackGroupSuffix = ".services.k8s.aws"

// HealthKey is the argocd-cm key of a kind's health check:
// resource.customizations.health.<group>_<kind>.
func HealthKey(gk render.GroupKind) string {
	return "resource.customizations.health." + gk.Group + "_" + gk.Kind
}

// HealthChecks returns the argocd-cm data that gives every ACK kind prenv
// emits, and every ACK kind among extra (the app's own), the [HealthLua]
// check, keyed by [HealthKey].
func HealthChecks(extra []render.GroupKind) map[string]string {
	kinds := slices.Clone(ACKKinds)
	for _, gk := range extra {
		if strings.HasSuffix(gk.Group, ackGroupSuffix) && !slices.Contains(kinds, gk) {
			kinds = append(kinds, gk)
		}
	}
	out := make(map[string]string, len(kinds))
	for _, gk := range kinds {
		out[HealthKey(gk)] = HealthLua
	}
	return out
}
