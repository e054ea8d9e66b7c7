package picket.notify

drop if {
	input.finding.severity < 
}
