//go:build race

package asff

const raceEnabled = true
