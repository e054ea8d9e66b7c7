package picket.notify

channels contains "pagerduty" if input.finding.severity >= 9
