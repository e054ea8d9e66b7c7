package chart

// Stylesheet is a default theme listing every class the charts use. The
// console can serve it as is, or copy and adapt it. Series colours are
// s0–s7; severity classes are low, medium, high and critical.
const Stylesheet = `.chart { font: 11px/1.2 system-ui, sans-serif; overflow: visible; }
.chart text { fill: #444; }
.chart .empty { fill: #888; font-style: italic; }
.chart .bar, .chart .segment, .chart .swatch { fill: #5b8def; }
.chart a:hover .bar, .chart a:focus .bar { opacity: .8; }
.chart a .label { text-decoration: underline; }
.chart .value { fill: #222; }
.chart .grid { stroke: #e5e5e5; }
.chart .axis-line, .chart .tick, .chart .zero { stroke: #999; }
.chart text.tick { stroke: none; fill: #666; }
.chart .line { fill: none; stroke: #5b8def; stroke-width: 1.5; stroke-linejoin: round; }
.chart .dot { fill: #5b8def; }
.chart .series.s0 .line, .chart-spark .line { stroke: #5b8def; }
.chart .s0 { fill: #5b8def; }
.chart .series.s1 .line { stroke: #e8833a; } .chart .s1, .chart .series.s1 .dot { fill: #e8833a; }
.chart .series.s2 .line { stroke: #3aa876; } .chart .s2, .chart .series.s2 .dot { fill: #3aa876; }
.chart .series.s3 .line { stroke: #a05cc6; } .chart .s3, .chart .series.s3 .dot { fill: #a05cc6; }
.chart .series.s4 .line { stroke: #d4b42a; } .chart .s4, .chart .series.s4 .dot { fill: #d4b42a; }
.chart .series.s5 .line { stroke: #3ab0c8; } .chart .s5, .chart .series.s5 .dot { fill: #3ab0c8; }
.chart .series.s6 .line { stroke: #c85a7c; } .chart .s6, .chart .series.s6 .dot { fill: #c85a7c; }
.chart .series.s7 .line { stroke: #7a7a7a; } .chart .s7, .chart .series.s7 .dot { fill: #7a7a7a; }
.chart .low { fill: #8fb8de; } .chart .series.low .line { stroke: #8fb8de; }
.chart .medium { fill: #f2c14e; } .chart .series.medium .line { stroke: #f2c14e; }
.chart .high { fill: #f08a4b; } .chart .series.high .line { stroke: #f08a4b; }
.chart .critical { fill: #d7263d; } .chart .series.critical .line { stroke: #d7263d; }
.chart .series text, .chart .legend-label { fill: #444; }
`
