package picket.notify_test

import data.picket.notify

test_critical_paged if {
	notify.channels == {"pagerduty"} with input as {"finding": {"severity": 9.5}}
}

# Wrong on purpose: High is not paged.
test_high_paged if {
	print("severity 7")
	notify.channels == {"pagerduty"} with input as {"finding": {"severity": 7}}
}

# A runtime error: a function with conflicting outputs.
f(_) := 1

f(_) := 2

test_conflict if {
	f(1) == 1
}

todo_test_later if {
	false
}
