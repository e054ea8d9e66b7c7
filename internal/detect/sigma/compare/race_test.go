//go:build race

package compare

// raceEnabled: the race detector slows the engines about fifteenfold, so
// the agreement test uses fewer generated records under it.
const raceEnabled = true
