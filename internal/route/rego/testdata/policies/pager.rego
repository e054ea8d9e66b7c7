package picket.notify

channels contains "pagerduty" if effective_severity >= 9

reasons contains "paged: critical finding" if effective_severity >= 9
