package picket.notify

# Types that matter more here than GuardDuty's default severity says.
raised := {
	"Policy:IAMUser/RootCredentialUsage": 9.5,
	"Stealth:IAMUser/CloudTrailLoggingDisabled": 8,
}

severity_candidates contains s if s := raised[input.finding.type]

# Root acting, per the source event.
severity_candidates contains 8.5 if input.event.userIdentity.type == "Root"

severity := max(severity_candidates) if count(severity_candidates) > 0

# The severity the message will carry.
effective_severity := severity if {
	severity
} else := input.finding.severity
