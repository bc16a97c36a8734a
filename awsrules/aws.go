package awsrules

import "strings"

// partitionDomain is the DNS suffix of a partition's service endpoints.
var partitionDomain = map[string]string{
	"aws":        "amazonaws.com",
	"aws-cn":     "amazonaws.com.cn",
	"aws-us-gov": "amazonaws.com",
}

// ARN builds arn:<partition>:<service>:<region>:<account>:<resource>.
func ARN(partition, service, region, account, resource string) string {
	return "arn:" + partition + ":" + service + ":" + region + ":" + account + ":" + resource
}

// QueueURL is the queue's URL on the region's SQS endpoint.
func QueueURL(partition, region, account, name string) string {
	return "https://sqs." + region + "." + partitionDomain[partition] + "/" + account + "/" + name
}

// OIDCHost strips the scheme and any trailing slash from an issuer URL.
func OIDCHost(u string) string {
	u = strings.TrimSpace(u)
	if len(u) >= len("https://") && strings.EqualFold(u[:len("https://")], "https://") {
		u = u[len("https://"):]
	}
	return strings.TrimRight(u, "/")
}
