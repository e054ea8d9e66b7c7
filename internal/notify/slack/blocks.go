package slack

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/notify"
	"github.com/picket-dev/picket/internal/report"
)

// Action IDs of the buttons. The alert workflow answers clicks on the
// last three; it adds those buttons through Notifier.Buttons (or Render's
// extra argument) so that they survive chat.update.
const (
	ActionOpenConsole = "picket_open_console"
	ActionRunbook     = "picket_runbook"
	ActionAck         = "picket_ack"
	ActionArchive     = "picket_archive"
	ActionEscalate    = "picket_escalate"
)

// BlockActions is the block_id of the buttons' actions block, so an
// interaction handler can find and rewrite it.
const BlockActions = "picket_actions"

// Colours of the attachment bar, by severity band (Material palette:
// purple 700, red 700, orange 700, blue 700): Critical stands apart from
// High, and Low reads as informational rather than as "OK" green.
var colours = map[finding.Label]string{
	finding.Critical: "#7B1FA2",
	finding.High:     "#D32F2F",
	finding.Medium:   "#F57C00",
	finding.Low:      "#1976D2",
}

// Colour is the attachment colour of a severity band.
func Colour(l finding.Label) string { return colours[l] }

// Slack's limits (https://docs.slack.dev/reference/block-kit): exceeding
// one rejects the whole message as invalid_blocks, so text is cut instead.
const (
	maxHeader     = 150
	maxText       = 3000 // section and context text objects
	maxField      = 2000 // a section field
	maxButtonText = 75
	maxURL        = 3000
	maxFallback   = 3000 // the notification text; Slack advises under 4000
)

// Content is a message's content: the fallback text shown in
// notifications, the top-level blocks (the header) and one attachment
// holding the rest, for the severity colour bar.
type Content struct {
	Text        string       `json:"text"`
	Blocks      []Block      `json:"blocks,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Attachment is a legacy attachment used only for its colour bar.
type Attachment struct {
	Color  string  `json:"color"`
	Blocks []Block `json:"blocks"`
}

// Block is a Block Kit layout block: header, section, context or actions.
type Block struct {
	Type     string    `json:"type"`
	BlockID  string    `json:"block_id,omitempty"`
	Text     *Text     `json:"text,omitempty"`
	Fields   []Text    `json:"fields,omitempty"`
	Elements []Element `json:"elements,omitempty"`
}

// Element is an element of a context block (Text) or an actions block
// (Button).
type Element interface{ isElement() }

// Text is a text object. Verbatim mrkdwn is not auto-linked: a URL, a
// channel name or "@here" in a log value stays plain text.
type Text struct {
	Type     string `json:"type"` // plain_text or mrkdwn
	Text     string `json:"text"`
	Verbatim bool   `json:"verbatim,omitempty"`
}

func (Text) isElement() {}

// Button is a button element. With a URL it opens the link (Slack still
// sends the click to the app's interactivity endpoint, which must answer
// 200); without one the click goes to the interactivity endpoint only.
// Label must be plain text; Render cuts it to Slack's 75 characters.
type Button struct {
	Label    string
	ActionID string
	Value    string // the finding ID for Picket's buttons
	URL      string
	Style    string // "", primary or danger
}

func (Button) isElement() {}

// MarshalJSON writes the Block Kit button object.
func (b Button) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Type     string `json:"type"`
		Text     Text   `json:"text"`
		ActionID string `json:"action_id"`
		Value    string `json:"value,omitempty"`
		URL      string `json:"url,omitempty"`
		Style    string `json:"style,omitempty"`
	}{"button", plain(Escape(b.Label), maxButtonText), b.ActionID, b.Value, b.URL, b.Style})
}

// Render builds the top-level message for m: a header naming the
// severity and finding type (and SAMPLE for a sample finding), then, in
// an attachment coloured by severity, the title, the fields, the action
// seen, the description, context lines (why it is sent, grouped
// findings, the finding ID) and the buttons: "Open in console" and
// "Runbook" when their links are set, then extra.
//
// Every string from the finding is escaped, so a crafted title or user
// agent cannot mention a channel or make a link, and cut to Slack's
// limits, so a long one cannot get the message rejected.
func Render(m notify.Message, extra ...Button) Content {
	return render(m, contextLines(m), extra)
}

// renderOriginal is the first message rewritten with the finding's
// current state (chat.update), saying when and why it changed.
func renderOriginal(m notify.Message, extra []Button) Content {
	o := m
	o.Reason, o.Previous, o.Grouped = notify.ReasonNew, nil, 0
	lines := contextLines(o)
	lines = append(lines, fmt.Sprintf("Updated %s. %s", stamp(m.Time), changeLine(m)))
	return render(o, lines, extra)
}

// renderReply is the short thread reply about a repeat.
func renderReply(m notify.Message) Content {
	f := &m.Finding
	blocks := []Block{{Type: "section", Text: mrkdwn(changeLine(m), maxText)}}
	if ctx := contextBlock(groupedLine(m)); ctx != nil {
		blocks = append(blocks, *ctx)
	}
	text := fmt.Sprintf("Still happening: %s %s, seen %d times", f.SeverityLabel(), oneLine(f.Type), f.Service.Count)
	return Content{Text: cut(text, maxFallback), Blocks: blocks}
}

func render(m notify.Message, lines []string, extra []Button) Content {
	f := &m.Finding
	label := f.SeverityLabel()

	header := fmt.Sprintf("%s: %s", label, oneLine(f.Type))
	if m.Sample {
		header = "SAMPLE " + header
	}

	var body []Block
	if f.Title != "" {
		body = append(body, Block{Type: "section", Text: mrkdwn("*"+cut(oneLine(f.Title), maxText-2)+"*", maxText)})
	}
	body = append(body, Block{Type: "section", Fields: fields(m)})
	if a := action(f); a != "" {
		body = append(body, Block{Type: "section", Text: mrkdwn(a, maxText)})
	}
	if d := strings.TrimSpace(f.Description); d != "" {
		body = append(body, Block{Type: "section", Text: mrkdwn(multiLine(d), maxText)})
	}
	if ctx := contextBlock(lines...); ctx != nil {
		body = append(body, *ctx)
	}
	if bs := buttons(m, extra); len(bs) > 0 {
		body = append(body, Block{Type: "actions", BlockID: BlockActions, Elements: bs})
	}

	title := plain(header, maxHeader)
	return Content{
		Text:        cut(fallback(m), maxFallback),
		Blocks:      []Block{{Type: "header", Text: &title}},
		Attachments: []Attachment{{Color: Colour(label), Blocks: body}},
	}
}

// fallback is the notification text, escaped: who, where, what.
func fallback(m notify.Message) string {
	f := &m.Finding
	s := fmt.Sprintf("%s finding in %s %s: %s", f.SeverityLabel(), accountName(m), oneLine(f.Region), oneLine(f.Type))
	if f.Title != "" {
		s += ": " + oneLine(f.Title)
	}
	if m.Sample {
		s = "SAMPLE " + s
	}
	return s
}

func fields(m notify.Message) []Text {
	f := &m.Finding
	var fs []Text
	add := func(name, value string) {
		if value != "" {
			fs = append(fs, *mrkdwn("*"+name+"*\n"+cut(value, maxField-len(name)-3), maxField))
		}
	}
	add("Account", accountName(m))
	add("Region", oneLine(f.Region))
	add("Resource", oneLine(report.Resource(f)))
	add("Actor", oneLine(report.Actor(f)))
	add("Count", strconv.FormatInt(f.Service.Count, 10))
	add("Severity", fmt.Sprintf("%.1f (%s)", f.Severity, f.SeverityLabel()))
	add("First seen", stamp(f.Service.EventFirstSeen))
	add("Last seen", stamp(f.Service.EventLastSeen))
	return fs // at most 10, Slack's limit
}

func accountName(m notify.Message) string {
	id := m.Account.ID
	if id == "" {
		id = m.Finding.AccountID
	}
	if m.Account.Name != "" && m.Account.Name != id {
		return oneLine(m.Account.Name) + " (" + oneLine(id) + ")"
	}
	return oneLine(id)
}

// action says what was seen, in one or two lines, from service.action.
func action(f *finding.Finding) string {
	a := &f.Service.Action
	var s, ua string
	switch {
	case a.AwsAPICallAction != nil:
		c := a.AwsAPICallAction
		s = "API call " + oneLine(c.ServiceName) + " " + oneLine(c.API)
		if from := ipOf(c.RemoteIPDetails); from != "" {
			s += " from " + from
		} else if c.DomainDetails != nil && c.DomainDetails.Domain != "" {
			s += " from " + oneLine(c.DomainDetails.Domain)
		}
		if c.ErrorCode != "" {
			s += " (error " + oneLine(c.ErrorCode) + ")"
		}
		ua = c.UserAgent
	case a.NetworkConnectionAction != nil:
		c := a.NetworkConnectionAction
		s = strings.ToLower(oneLine(c.ConnectionDirection)) + " " + oneLine(c.Protocol) + " connection"
		if ip := ipOf(c.RemoteIPDetails); ip != "" {
			s += " with " + ip
			if c.RemotePortDetails != nil {
				s += " port " + strconv.Itoa(c.RemotePortDetails.Port)
			}
		}
	case a.PortProbeAction != nil && len(a.PortProbeAction.PortProbeDetails) > 0:
		d := a.PortProbeAction.PortProbeDetails[0]
		s = "Port probe"
		if d.LocalPortDetails != nil {
			s += " of port " + strconv.Itoa(d.LocalPortDetails.Port)
		}
		if ip := ipOf(d.RemoteIPDetails); ip != "" {
			s += " from " + ip
		}
		if n := len(a.PortProbeAction.PortProbeDetails); n > 1 {
			s += fmt.Sprintf(" (%d probes)", n)
		}
	case a.DNSRequestAction != nil:
		s = "DNS query for " + oneLine(a.DNSRequestAction.Domain)
	case a.KubernetesAPICallAction != nil:
		c := a.KubernetesAPICallAction
		s = "Kubernetes " + oneLine(c.Verb) + " " + oneLine(c.RequestURI)
		if len(c.SourceIPs) > 0 {
			s += " from " + oneLine(c.SourceIPs[0])
		}
		ua = c.UserAgent
	default:
		return ""
	}
	s = "*Action*: " + cut(s, 1000)
	if ua != "" {
		s += "\n*User agent*: " + cut(oneLine(ua), 1000)
	}
	return s
}

func ipOf(d *finding.RemoteIPDetails) string {
	if d == nil {
		return ""
	}
	if d.IPAddressV4 != "" {
		return oneLine(d.IPAddressV4)
	}
	return oneLine(d.IPAddressV6)
}

// contextLines says why the message is sent and what it stands for.
func contextLines(m notify.Message) []string {
	var lines []string
	switch {
	case m.Sample:
		lines = append(lines, "Sample finding (picket sample-findings): nothing happened, no action needed.")
	case m.Reason == notify.ReasonSeverityIncrease, m.Reason == notify.ReasonRepeat:
		lines = append(lines, changeLine(m))
	case m.Reason == notify.ReasonReminder:
		lines = append(lines, "Reminder: this alert is not acknowledged yet. "+oneLine(m.Note))
	case m.Reason == notify.ReasonEscalation:
		lines = append(lines, "Escalated to the security team: "+oneLine(m.Note))
	case m.Reason == notify.ReasonArchiveRequested:
		lines = append(lines, "Archive requested: "+oneLine(m.Note))
	case m.Reason == notify.ReasonCorrelated:
		lines = append(lines, "Also reported for the same resource and actor (same incident).")
	}
	if g := groupedLine(m); g != "" {
		lines = append(lines, g)
	}
	if m.AlertStatus != "" {
		lines = append(lines, oneLine(m.AlertStatus))
	}
	if len(m.Labels) > 0 {
		keys := make([]string, 0, len(m.Labels))
		for k := range m.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, oneLine(k)+": "+oneLine(m.Labels[k]))
		}
		lines = append(lines, "Labels · "+strings.Join(parts, " · "))
	}
	id := "Finding " + oneLine(m.Finding.ID)
	if m.Route != "" {
		id += " · route " + oneLine(m.Route)
	}
	return append(lines, id)
}

// changeLine says what changed since the last notification.
func changeLine(m notify.Message) string {
	f := &m.Finding
	switch m.Reason {
	case notify.ReasonSeverityIncrease:
		if p := m.Previous; p != nil {
			return fmt.Sprintf("Severity raised from %s %.1f to %s %.1f", finding.LabelOf(p.Severity), p.Severity, f.SeverityLabel(), f.Severity)
		}
		return fmt.Sprintf("Severity raised to %s %.1f", f.SeverityLabel(), f.Severity)
	case notify.ReasonRepeat:
		s := fmt.Sprintf("Still happening: seen %d times", f.Service.Count)
		if p := m.Previous; p != nil && f.Service.Count > p.Count {
			s += fmt.Sprintf(" (+%d since the last notice)", f.Service.Count-p.Count)
		}
		if !f.Service.EventLastSeen.IsZero() {
			s += ", last at " + stamp(f.Service.EventLastSeen)
		}
		return s
	}
	return "Notified again"
}

func groupedLine(m notify.Message) string {
	switch {
	case m.Grouped == 1:
		return "+1 more finding like this"
	case m.Grouped > 1:
		return fmt.Sprintf("+%d more findings like this", m.Grouped)
	}
	return ""
}

func contextBlock(lines ...string) *Block {
	var els []Element
	for _, l := range lines {
		if l != "" && len(els) < 10 { // Slack's limit
			els = append(els, *mrkdwn(l, maxText))
		}
	}
	if len(els) == 0 {
		return nil
	}
	return &Block{Type: "context", Elements: els}
}

func buttons(m notify.Message, extra []Button) []Element {
	var els []Element
	add := func(b Button) {
		// A too-long URL would get the whole message rejected; the
		// notification matters more than the button.
		if len(b.URL) <= maxURL && len(els) < 25 {
			els = append(els, b)
		}
	}
	if m.ConsoleURL != "" {
		add(Button{Label: "Open in console", ActionID: ActionOpenConsole, Value: m.Finding.ID, URL: m.ConsoleURL})
	}
	if m.RunbookURL != "" {
		add(Button{Label: "Runbook", ActionID: ActionRunbook, Value: m.Finding.ID, URL: m.RunbookURL})
	}
	for _, b := range extra {
		add(b)
	}
	return els
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// mrkdwn is a verbatim mrkdwn text object of s, which must be escaped
// already (it may hold Picket's own formatting), cut to max.
func mrkdwn(s string, max int) *Text {
	return &Text{Type: "mrkdwn", Text: cut(s, max), Verbatim: true}
}

// plain is a plain_text object of s, which must be escaped already, cut
// to max.
func plain(s string, max int) Text {
	return Text{Type: "plain_text", Text: cut(s, max)}
}

// Escape escapes Slack's control characters &, < and > as entities, as
// Slack asks for any text not meant as a link or mention.
func Escape(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	return escaper.Replace(s)
}

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// oneLine makes a log value safe for a one-line mrkdwn slot: control and
// invisible characters (newlines, bidi overrides) are shown escaped, so a
// value cannot fake extra lines of the message, then Slack's control
// characters are escaped.
func oneLine(s string) string { return Escape(report.Escape(s)) }

// multiLine is oneLine for each line of s, keeping the line breaks.
func multiLine(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = oneLine(l)
	}
	return strings.Join(lines, "\n")
}

// cut shortens escaped text to at most max characters, counted in UTF-16
// units as Slack's client does (an emoji counts two), ending with "…"
// when cut and never inside an entity such as &amp;.
func cut(s string, max int) string {
	if utf16Len(s) <= max {
		return s
	}
	n, end := 0, 0
	for i, r := range s {
		w := utf16.RuneLen(r)
		if w < 0 {
			w = 1
		}
		if n+w > max-1 { // room for "…"
			break
		}
		n += w
		end = i + utf8.RuneLen(r)
	}
	s = s[:end]
	if amp := strings.LastIndexByte(s, '&'); amp >= 0 && !strings.Contains(s[amp:], ";") {
		s = s[:amp]
	}
	return s + "…"
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if w := utf16.RuneLen(r); w > 0 {
			n += w
		} else {
			n++
		}
	}
	return n
}

// RenderDigest renders a daily digest: a channel's open alerts, most
// severe first, at most 30 listed.
func RenderDigest(m notify.Message) Content {
	items := append([]notify.DigestItem(nil), m.Digest...)
	sort.SliceStable(items, func(i, j int) bool { return items[i].Severity > items[j].Severity })
	title := fmt.Sprintf("Open alerts: %d", len(items))
	past := 0
	for _, it := range items {
		if it.PastSLA {
			past++
		}
	}
	if past > 0 {
		title += fmt.Sprintf(" (%d past their SLA)", past)
	}
	c := Content{Text: title, Blocks: []Block{{Type: "header", Text: &Text{Type: "plain_text", Text: cut(title, 150)}}}}
	var lines []string
	for i, it := range items {
		if i == 30 {
			lines = append(lines, fmt.Sprintf("… and %d more", len(items)-30))
			break
		}
		flag := ""
		if it.PastSLA {
			flag = " · *past SLA*"
		}
		lines = append(lines, fmt.Sprintf("• *%s %.1f* %s — %s (account %s, %s since %s)%s",
			finding.LabelOf(it.Severity), it.Severity, oneLine(it.Type), oneLine(it.Title), oneLine(it.Account), oneLine(it.State),
			it.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"), flag))
	}
	text := "Nothing open."
	if len(lines) > 0 {
		text = strings.Join(lines, "\n")
	}
	c.Blocks = append(c.Blocks, Block{Type: "section", Text: &Text{Type: "mrkdwn", Text: cut(text, maxText), Verbatim: true}})
	return c
}
