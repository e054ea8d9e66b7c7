package event

import "unsafe"

// B2S converts b to a string without copying. The string is only valid while
// b is unchanged: decoders use it for fields that live as long as the event.
func B2S(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}
