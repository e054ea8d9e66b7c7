package picket.notify

# Quadratic on purpose: millions of steps, never true.
drop if {
	xs := numbers.range(1, 600)
	some a in xs
	some b in xs
	a * b == -1
}
