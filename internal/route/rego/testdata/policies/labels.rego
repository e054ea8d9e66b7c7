package picket.notify

team_by_account := {
	"333333333333": "payments",
	"444444444444": "identity",
}

labels.team := team_by_account[input.finding.accountId]

labels.source := input.event.eventSource
