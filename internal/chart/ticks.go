package chart

import (
	"math"
	"time"
)

// durationSteps are the nice tick steps, in seconds, for Duration axes
// between one second and one week.
var durationSteps = []float64{
	1, 2, 5, 10, 15, 30,
	60, 2 * 60, 5 * 60, 10 * 60, 15 * 60, 30 * 60,
	3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600,
	86400, 2 * 86400, 7 * 86400,
}

// niceStep returns the smallest 1-2-5 step (or, for Duration from one
// second up, a clock-friendly step) not below rough.
func niceStep(rough float64, u Unit) float64 {
	if !(rough > 0) || math.IsInf(rough, 0) {
		return 1
	}
	if u == Duration && rough > 1 && rough <= durationSteps[len(durationSteps)-1] {
		for _, s := range durationSteps {
			if s >= rough {
				return s
			}
		}
	}
	base := 1.0
	if u == Duration && rough > 7*86400 {
		base = 86400 // whole days
		rough /= base
	}
	mag := math.Pow(10, math.Floor(math.Log10(rough)))
	for _, m := range []float64{1, 2, 5, 10} {
		if s := m * mag; s >= rough*(1-1e-9) {
			return s * base
		}
	}
	return 10 * mag * base
}

// niceRange widens [lo, hi] to multiples of a nice step chosen for about
// target intervals and returns the ticks. lo < hi and both finite.
func niceRange(lo, hi float64, target int, u Unit) (ticks []float64, nlo, nhi float64) {
	rough := hi/float64(target) - lo/float64(target) // no overflow for huge ranges
	step := niceStep(rough, u)
	nlo = math.Floor(lo/step) * step
	nhi = math.Ceil(hi/step) * step
	if math.IsInf(nlo, 0) {
		nlo = lo
	}
	if math.IsInf(nhi, 0) {
		nhi = hi
	}
	for k := math.Ceil(nlo / step); len(ticks) < 4*target+2; k++ {
		v := k * step
		if v > nhi*(1+1e-12)+step*1e-9 || math.IsInf(v, 0) {
			break
		}
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		ticks = append(ticks, v)
	}
	return ticks, nlo, nhi
}

// A timeStep is either a fixed duration or a number of calendar months.
type timeStep struct {
	d      time.Duration
	months int
}

var timeSteps = []timeStep{
	{d: time.Second}, {d: 2 * time.Second}, {d: 5 * time.Second}, {d: 10 * time.Second},
	{d: 15 * time.Second}, {d: 30 * time.Second},
	{d: time.Minute}, {d: 2 * time.Minute}, {d: 5 * time.Minute}, {d: 10 * time.Minute},
	{d: 15 * time.Minute}, {d: 30 * time.Minute},
	{d: time.Hour}, {d: 2 * time.Hour}, {d: 3 * time.Hour}, {d: 6 * time.Hour}, {d: 12 * time.Hour},
	{d: 24 * time.Hour}, {d: 48 * time.Hour}, {d: 7 * 24 * time.Hour}, {d: 14 * 24 * time.Hour},
	{months: 1}, {months: 2}, {months: 3}, {months: 6},
	{months: 12}, {months: 24}, {months: 60}, {months: 120}, {months: 240}, {months: 600},
	{months: 1200}, {months: 2400}, {months: 6000}, {months: 12000},
}

func (s timeStep) approx() float64 {
	if s.months > 0 {
		return float64(s.months) * 30.44 * 86400
	}
	return s.d.Seconds()
}

// timeTick is a tick on the time axis.
type timeTick struct {
	t     time.Time
	label string
}

// timeTicks returns ticks between start and end (UTC) for about target
// intervals. Ticks fall on whole seconds, minutes, hours, days (UTC
// midnight), Mondays, months or years, so they read naturally; a tick at
// midnight is labelled with its date.
func timeTicks(start, end time.Time, target int) []timeTick {
	start, end = start.UTC(), end.UTC()
	span := secs(end) - secs(start)
	if !(span > 0) || target < 1 {
		return nil
	}
	// Accept a step a little below the ideal: up to a third more ticks
	// reads better than half as many.
	rough := 0.75 * span / float64(target)
	step := timeSteps[len(timeSteps)-1]
	for _, s := range timeSteps {
		if s.approx() >= rough {
			step = s
			break
		}
	}
	var ticks []timeTick
	if step.months == 0 {
		// Truncate counts from 1 January of year 1, a Monday, so steps that
		// divide a day align with UTC midnight and weekly steps with Mondays.
		t := start.Truncate(step.d)
		if t.Before(start) {
			t = t.Add(step.d)
		}
		for ; !t.After(end) && len(ticks) < 4*target+2; t = t.Add(step.d) {
			ticks = append(ticks, timeTick{t, timeLabel(t, step)})
		}
		return ticks
	}
	m := step.months
	// Months since year 0, rounded up to a multiple of the step.
	idx := start.Year()*12 + int(start.Month()) - 1
	first := time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, time.UTC)
	if first.Before(start) {
		idx++
	}
	if r := ((idx % m) + m) % m; r != 0 {
		idx += m - r
	}
	for ; len(ticks) < 4*target+2; idx += m {
		t := time.Date(idx/12, time.Month(idx%12+1), 1, 0, 0, 0, 0, time.UTC)
		if t.After(end) {
			break
		}
		ticks = append(ticks, timeTick{t, timeLabel(t, step)})
	}
	return ticks
}

func timeLabel(t time.Time, step timeStep) string {
	switch {
	case step.months >= 12:
		return t.Format("2006")
	case step.months > 0:
		return t.Format("Jan 2006")
	case step.d >= 24*time.Hour:
		return t.Format("Jan 2")
	case t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0:
		return t.Format("Jan 2")
	case step.d < time.Minute:
		return t.Format("15:04:05")
	}
	return t.Format("15:04")
}

// secs is t as floating-point seconds since the Unix epoch; unlike
// time.Time.Sub it does not saturate for spans over 292 years.
func secs(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}
