package chart

import (
	"math"
	"testing"
	"time"
)

func BenchmarkBarChart30(b *testing.B) {
	bars := make([]Bar, 30)
	classes := []string{"low", "medium", "high", "critical"}
	for i := range bars {
		bars[i] = Bar{
			Label: "account-" + itoa(100000000000+i*7919),
			Value: float64((i*37)%101) * 13,
			Class: classes[i%4],
			Href:  "/alerts?account=" + itoa(i),
		}
	}
	o := BarOptions{Title: "Open alerts by account", Unit: Count}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		n = len(BarChart(bars, o))
	}
	b.ReportMetric(float64(n), "bytes/chart")
}

func BenchmarkLineChart1000(b *testing.B) {
	pts := series(1000, time.Minute, func(i int) float64 {
		if i%97 == 0 {
			return math.NaN()
		}
		return 500 + 400*math.Sin(float64(i)/40)
	})
	lines := []Line{{Name: "events/s", Points: pts}}
	o := LineOptions{Title: "Events per second", Unit: Count}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		n = len(LineChart(lines, o))
	}
	b.ReportMetric(float64(n), "bytes/chart")
}

func BenchmarkSparkline100(b *testing.B) {
	v := make([]float64, 100)
	for i := range v {
		v[i] = float64(i % 13)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = Sparkline(v, SparkOptions{})
	}
}
