// Package emulators runs prenv's AWS output through implementations of AWS's
// rules on this machine, with nothing but npm packages:
//
//   - dynalite 4.0.0, a DynamoDB implementation that answers CreateTable
//     with AWS's validation errors, receives every rendered ACK Table as the
//     CreateTable request the ACK DynamoDB controller sends for it
//     ([CreateTable]), on a loopback port ([StartDynalite]);
//   - @cloud-copilot/iam-policy validates every rendered IAM policy
//     document: the managed policies' documents as identity policies, the
//     Role's trust policy as a trust policy ([ValidatePolicies]).
//
// The tools are pinned in e2e/npm/package.json and package-lock.json and
// installed by e2e/npm/install.sh (npm ci) into e2e/npm/node_modules. The
// tests skip when node or the packages are missing, and fail instead when
// PRENV_REQUIRE_TOOLS=1, as in CI.
//
// The tests prove that every table prenv renders for the examples, and for
// generated specs that render.Check accepts, is created by dynalite as
// sent; and that every policy document prenv renders passes the validator.
// They do not prove what the emulators do not check, for which prenv's own
// checks (render.Check) stay:
//
//   - dynalite drops a table's StreamSpecification, Tags and
//     DeletionProtectionEnabled without looking at them, and has no
//     UpdateTimeToLive or UpdateContinuousBackups, the calls by which the
//     controller sets a Table's timeToLive and continuousBackups (TTL and
//     point-in-time recovery);
//   - dynalite accepts, where DynamoDB refuses: attribute definitions that
//     no key uses when the table has an index, an attribute defined twice,
//     a PROVISIONED table's global index without capacity, INCLUDE without
//     NonKeyAttributes, more than 100 projected attributes;
//   - @cloud-copilot/iam-policy checks a policy's grammar, not its
//     vocabulary: it takes any Sid, duplicate Sids, unknown actions and
//     condition operators, resources that are not ARNs and characters IAM
//     refuses.
//
// TestDynaliteRules and TestIAMValidatorRules keep these lists honest: each
// gap is a case that fails once the tool starts to check it.
package emulators
