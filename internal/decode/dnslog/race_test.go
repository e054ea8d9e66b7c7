//go:build race

package dnslog

const raceEnabled = true
