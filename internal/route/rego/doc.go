// Package rego runs optional Rego (Open Policy Agent) filter policies over
// findings before they are notified: teams that already write OPA policies
// can drop noise, change the notified severity, add labels and add
// channels without touching the routing YAML.
//
// # Policy contract
//
// Policies are Rego v1 modules (OPA 1.x syntax; [WithRegoV0] accepts OPA
// 0.x syntax) in package picket.notify. Several files may contribute rules
// to it, and modules in other packages can hold helpers they import.
//
// The input document is
//
//	{"finding": <the finding as GuardDuty JSON>, "event": <the raw source event, or null>}
//
// The engine reads these rules of data.picket.notify; all are optional and
// any other rule in the package is ignored:
//
//	drop      boolean              true: do not notify (the finding stays stored)
//	deny      set of messages      non-empty: drop, with the messages as reasons
//	                               (deny contains msg if ...; a v1 "deny[msg] if"
//	                               object and an array work too; a message is a
//	                               string or an object with a "msg" string)
//	severity  number 1.0–10.0      override the notified severity
//	labels    object of strings    extra labels shown in the message
//	channels  set/array of strings extra targets (keys of routing.targets)
//	reasons   set/array of strings more reasons to show (why a channel was added ...)
//
// Rules are complete documents, so two rules that give one of them
// different values for the same finding are a conflict, which OPA reports
// as an evaluation error. Write contributions that combine: labels.team :=
// ... (one key per rule), channels contains ..., deny contains ..., and for
// severity a set of candidates with severity := max(candidates).
//
// A wrong type (drop not a boolean, a channel that is not a string, a
// label that is not a string) or a severity outside 1.0–10.0 is an error
// naming the policy file and line of the rule; when the rule's value is a
// constant it is already reported by [Load] and [Compile].
//
// # Example
//
//	package picket.notify
//
//	sandbox_accounts := {"111111111111", "222222222222"}
//
//	team_by_account := {"333333333333": "payments"}
//
//	# Low findings from sandbox accounts are noise.
//	deny contains msg if {
//		input.finding.accountId in sandbox_accounts
//		input.finding.severity < 4
//		msg := sprintf("low severity finding in sandbox account %s", [input.finding.accountId])
//	}
//
//	# Root credentials used from a console login are always critical.
//	severity_candidates contains 9.5 if input.finding.type == "Policy:IAMUser/RootCredentialUsage"
//
//	severity_candidates contains 8 if input.event.userIdentity.type == "Root"
//
//	severity := max(severity_candidates) if count(severity_candidates) > 0
//
//	labels.team := team_by_account[input.finding.accountId]
//
//	channels contains "pagerduty" if input.finding.severity >= 9
//
//	reasons contains "paged: critical finding" if input.finding.severity >= 9
//
// # Failing open
//
// [Engine.Decide] returns an error when evaluation fails (a conflict, a
// wrong output, the per-evaluation timeout, a cancelled context). The
// dispatcher logs it and notifies as if there were no policy: a broken
// policy must not silence alerts.
//
// # Tests
//
// Policies are tested with OPA's own convention, test_ rules in
// *_test.rego files, run by [RunTests] (picket rules test):
//
//	package picket.notify_test
//
//	import data.picket.notify
//
//	test_sandbox_low_dropped if {
//		count(notify.deny) == 1 with input as {"finding": {"accountId": "111111111111", "severity": 2}}
//	}
//
// [Load] skips *_test.rego files, so tests never run per finding.
package rego
