// Package chart renders small, accessible, server-side SVG charts for the
// web console: horizontal bar charts, stacked bar charts, time-series line
// charts and sparklines. No JavaScript and no front-end build are needed;
// each function returns a self-contained inline <svg> element as a
// template.HTML value that html/template inserts verbatim.
//
// # Safety
//
// Labels, titles, series names and links usually come from data an attacker
// can influence (account names, finding types, hostnames), so every piece of
// text is cleaned and escaped before it is written: invalid UTF-8, control
// characters and bidirectional overrides are replaced or removed, then the
// text goes through html.EscapeString. Numbers are written with strconv.
// Links are kept only when they are relative or use http or https. Class
// names are reduced to a single lower-case CSS identifier. The result is
// both valid HTML and well-formed XML.
//
// # Styling
//
// Charts carry no inline colours or fonts; they use CSS classes so the
// console's stylesheet themes them (see Stylesheet for the class names and a
// default theme). Layout assumes a font of about 11–12px: text widths are
// estimated at 7px per character.
//
// # Accessibility
//
// The root element has role="img" (role="group" when the chart holds
// links, so they stay reachable; each link then carries an aria-label), an
// aria-label and a <title>; bar and
// stacked charts add a <desc> listing the values. Every bar, segment and
// series has its own <title>, which browsers show as a tooltip and which
// holds the full text of truncated labels.
//
// # Data rules
//
//   - NaN and ±Inf values are ignored: such bars are left out, such segments
//     count as zero, and such points are gaps in a line.
//   - Bar and stacked charts draw negative values as zero-length bars (the
//     printed value stays the real one); line charts and sparklines support
//     negative values.
//   - Empty input renders a chart with the text "no data".
//   - Output is deterministic: the same input always gives the same bytes.
package chart
