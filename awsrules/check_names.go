package awsrules

// IRSAAudience is the audience of the service-account tokens that IRSA
// exchanges with STS: the trust policy's <issuer>:aud condition, and what
// the EKS pod identity webhook requests unless a ServiceAccount's
// eks.amazonaws.com/audience annotation says otherwise.
const IRSAAudience = "sts.amazonaws.com"
