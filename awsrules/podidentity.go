package awsrules

import "regexp"

// EKS cluster names (Amazon EKS API Reference, CreateCluster, name: 1 to
// 100 characters, pattern ^[0-9A-Za-z][A-Za-z0-9\-_]*$).
const MaxClusterNameLen = 100

// ClusterNamePattern is EKS's pattern of cluster names.
const ClusterNamePattern = `^[0-9A-Za-z][A-Za-z0-9\-_]*$`

var clusterNameRE = regexp.MustCompile(ClusterNamePattern)

// ClusterNameProblem returns the EKS naming rule name breaks, or "".
func ClusterNameProblem(name string) string {
	switch {
	case len(name) < 1 || len(name) > MaxClusterNameLen:
		return "an EKS cluster name has 1 to 100 characters"
	case !clusterNameRE.MatchString(name):
		return "an EKS cluster name has only letters, digits, '-' and '_' and begins with a letter or digit (regex " + clusterNameRE.String() + ")"
	}
	return ""
}

// ClusterARN is the ARN of an EKS cluster (Service Authorization
// Reference, Amazon EKS: cluster
// arn:${Partition}:eks:${Region}:${Account}:cluster/${ClusterName}).
func ClusterARN(partition, region, account, cluster string) string {
	return ARN(partition, "eks", region, account, "cluster/"+cluster)
}

// PodIdentityPrincipal is the service principal that EKS Pod Identity
// assumes roles as (Amazon EKS User Guide, "Create IAM role with trust
// policy required by EKS Pod Identity").
const PodIdentityPrincipal = "pods.eks.amazonaws.com"

// Session tags that EKS Pod Identity adds when it assumes a role (Amazon
// EKS User Guide, "Grant Pods access to AWS resources based on tags",
// list of session tags: eks-cluster-arn, eks-cluster-name,
// kubernetes-namespace, kubernetes-service-account, kubernetes-pod-name,
// kubernetes-pod-uid). A trust policy reads them as aws:RequestTag/<key>.
const (
	SessionTagClusterARN     = "eks-cluster-arn"
	SessionTagNamespace      = "kubernetes-namespace"
	SessionTagServiceAccount = "kubernetes-service-account"
)

// PodIdentityTrustPolicy lets exactly the env's ServiceAccount assume the
// role through an EKS Pod Identity association of the given cluster: the
// pods.eks.amazonaws.com principal may call sts:AssumeRole and
// sts:TagSession only when the session tags EKS adds name the cluster (its
// ARN: name, region and account), the env's namespace and ServiceAccount,
// and the call comes from the env's account (aws:SourceAccount). Without
// these conditions every association of the account, in any cluster, could
// use the role (Amazon EKS User Guide, "Create IAM role with trust policy
// required by EKS Pod Identity", Setting Conditions).
func PodIdentityTrustPolicy(partition, region, account, cluster, namespace, sa string) (string, error) {
	return DocumentJSON(PolicyDocument{
		Version: "2012-10-17",
		Statement: []PolicyStatement{{
			Effect:    "Allow",
			Principal: map[string]string{"Service": PodIdentityPrincipal},
			Action:    []string{"sts:AssumeRole", "sts:TagSession"},
			Condition: map[string]map[string]PolicyConditionVal{
				"StringEquals": {
					"aws:SourceAccount":                          {account},
					"aws:RequestTag/" + SessionTagClusterARN:     {ClusterARN(partition, region, account, cluster)},
					"aws:RequestTag/" + SessionTagNamespace:      {namespace},
					"aws:RequestTag/" + SessionTagServiceAccount: {sa},
				},
			},
		}},
	})
}
