package picket.notify_test

import data.picket.notify

test_sandbox_low_denied if {
	notify.deny == {"low severity finding in sandbox account 111111111111"} with input as {"finding": {"accountId": "111111111111", "severity": 2}}
}

test_sandbox_high_kept if {
	count(notify.deny) == 0 with input as {"finding": {"accountId": "111111111111", "severity": 7}}
}

test_root_raised_and_paged if {
	notify.severity == 9.5 with input as {"finding": {"type": "Policy:IAMUser/RootCredentialUsage", "severity": 5}}
	notify.channels == {"pagerduty"} with input as {"finding": {"type": "Policy:IAMUser/RootCredentialUsage", "severity": 5}}
}

test_team_label if {
	notify.labels == {"team": "payments"} with input as {"finding": {"accountId": "333333333333", "severity": 5}}
}
