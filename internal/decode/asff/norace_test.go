//go:build !race

package asff

const raceEnabled = false
