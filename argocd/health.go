package argocd

import (
	"slices"
	"strings"

	"prenv.dev/prenv/spec"
)

// HealthLua is the health check of an ACK resource, in the Lua that Argo CD
// runs for resource.customizations.health.<group>_<kind> keys of argocd-cm
// (no standard library beyond the base and table functions; it only reads
// obj). In this order:
//
//   - Degraded when ACK.Terminal is True (the spec must change before ACK
//     tries again), wherever it is in the list of conditions;
//   - Healthy when ACK.ResourceSynced is True;
//   - Healthy when there is no ACK.ResourceSynced condition at all but
//     Ready is True (ACK runtimes that report Ready instead);
//   - Progressing otherwise: with the message of ACK.Recoverable, of
//     ACK.ResourceSynced or of Ready, in that order, when there is one, and
//     a deletion message while the object is being deleted (with the
//     message of ACK.Recoverable, such as S3's BucketNotEmpty, when there
//     is one).
//
// Without a health check Argo CD counts a custom resource as Healthy as soon
// as it exists, so sync waves would not wait for AWS at all.
const HealthLua = `-- prenv: health of an AWS Controllers for Kubernetes (ACK) resource.
local hs = {}
local synced = nil
local ready = nil
local recoverable = nil
if obj.status ~= nil and obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "ACK.Terminal" and c.status == "True" then
      hs.status = "Degraded"
      hs.message = c.message or c.reason or "ACK reports a terminal condition: fix the spec"
      return hs
    elseif c.type == "ACK.ResourceSynced" then
      synced = c
    elseif c.type == "Ready" then
      ready = c
    elseif c.type == "ACK.Recoverable" and c.status == "True" then
      recoverable = c
    end
  end
end
if synced ~= nil and synced.status == "True" then
  hs.status = "Healthy"
  hs.message = synced.message or ""
  return hs
end
if synced == nil and ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message or ""
  return hs
end
hs.status = "Progressing"
hs.message = "Waiting for the ACK controller to sync the resource with AWS"
if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil then
  hs.message = "Being deleted: waiting for the ACK controller to delete the AWS resource"
  if recoverable ~= nil and (recoverable.message or recoverable.reason) ~= nil then
    hs.message = "Being deleted: " .. (recoverable.message or recoverable.reason)
  end
elseif recoverable ~= nil and (recoverable.message or recoverable.reason) ~= nil then
  hs.message = recoverable.message or recoverable.reason
elseif synced ~= nil and (synced.message or synced.reason) ~= nil then
  hs.message = synced.message or synced.reason
elseif ready ~= nil and (ready.message or ready.reason) ~= nil then
  hs.message = ready.message or ready.reason
end
return hs
`

// ACKKinds are the ACK kinds prenv emits, whose health Argo CD must judge.
var ACKKinds = []spec.GroupKind{
	{Group: "dynamodb.services.k8s.aws", Kind: "Table"},
	{Group: "eks.services.k8s.aws", Kind: "PodIdentityAssociation"},
	{Group: "iam.services.k8s.aws", Kind: "Policy"},
	{Group: "iam.services.k8s.aws", Kind: "Role"},
	{Group: "s3.services.k8s.aws", Kind: "Bucket"},
	{Group: "sqs.services.k8s.aws", Kind: "Queue"},
}

// ackGroupSuffix marks the API groups of ACK controllers.
const ackGroupSuffix = ".services.k8s.aws"

// HealthKey is the argocd-cm key of a kind's health check:
// resource.customizations.health.<group>_<kind>.
func HealthKey(gk spec.GroupKind) string {
	return "resource.customizations.health." + gk.Group + "_" + gk.Kind
}

// HealthChecks returns the argocd-cm data that gives every ACK kind prenv
// emits, and every ACK kind among extra (the app's own), the [HealthLua]
// check, keyed by [HealthKey].
func HealthChecks(extra []spec.GroupKind) map[string]string {
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
