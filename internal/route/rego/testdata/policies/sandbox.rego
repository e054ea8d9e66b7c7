package picket.notify

# Sandbox accounts: Low findings there are noise.
sandbox_accounts := {"111111111111", "222222222222"}

deny contains msg if {
	input.finding.accountId in sandbox_accounts
	input.finding.severity < 4
	msg := sprintf("low severity finding in sandbox account %s", [input.finding.accountId])
}
