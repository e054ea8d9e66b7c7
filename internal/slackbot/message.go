package slackbot

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/finding"
	slackn "github.com/picket-dev/picket/internal/notify/slack"
	"github.com/picket-dev/picket/internal/report"
)

// Block IDs of the bot's own blocks.
const (
	blockReason = "picket_reason" // the modal's reason select
	blockNote   = "picket_note"   // the modal's text input
	blockReview = "picket_review" // the archive request's Object button
	fieldReason = "reason"
	fieldNote   = "note"
	// maxNote bounds an archive note (the modal's max_length too).
	maxNote = 2000
)

// Slack's limits.
const (
	maxText     = 3000 // section and context text
	maxField    = 2000 // a section field
	maxFallback = 3000
	maxContext  = 10 // elements of a context block
)

// message is a message's content, as read from an interaction payload and
// written back with chat.update. Blocks are kept as Slack sent them, so a
// rewrite changes only the status line and the buttons.
type message struct {
	Text        string            `json:"text"`
	Blocks      []json.RawMessage `json:"blocks,omitempty"`
	Attachments []attachment      `json:"attachments,omitempty"`
}

// attachment is the notifier's colour-bar attachment: only its colour and
// blocks are kept (not the id and generated fallback Slack adds).
type attachment struct {
	Color  string            `json:"color,omitempty"`
	Blocks []json.RawMessage `json:"blocks,omitempty"`
}

// msgRef locates a message.
type msgRef struct {
	Channel string `json:"channel,omitempty"`
	TS      string `json:"ts,omitempty"`
}

func (r msgRef) valid() bool { return validChannel(r.Channel) && validTS.MatchString(r.TS) }

// alertRef is an alert and its message: the archive modal's
// private_metadata and the Object button's value.
type alertRef struct {
	Alert string `json:"alert"`
	msgRef
}

func (r alertRef) encode() string {
	b, _ := json.Marshal(r) // strings only
	return string(b)
}

func decodeAlertRef(s string) (alertRef, bool) {
	var r alertRef
	if err := json.Unmarshal([]byte(s), &r); err != nil || !validAlertID(r.Alert) {
		return alertRef{}, false
	}
	if !r.valid() {
		r.msgRef = msgRef{}
	}
	return r, true
}

var (
	idPattern = regexp.MustCompile(`^[A-Z0-9]{2,40}$`)
	validTS   = regexp.MustCompile(`^[0-9]{1,12}\.[0-9]{1,9}$`)
)

// validID accepts a Slack user, user group or team ID.
func validID(s string) bool { return idPattern.MatchString(s) }

// validChannel accepts a channel ID (public C…, private G… or DM D…).
func validChannel(s string) bool { return validID(s) && strings.IndexByte("CGD", s[0]) >= 0 }

// validAlertID accepts an alert ID from a button or a command.
func validAlertID(s string) bool {
	if s == "" || len(s) > maxAlertID {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r == '<' || r == '>' || r == '&' || r == '`' || r == '|' {
			return false
		}
	}
	return true
}

// raw encodes a block built by the bot.
func raw(v any) json.RawMessage {
	b, err := marshal(v)
	if err != nil {
		panic(err) // the bot's own block types always encode
	}
	return b
}

// blockHead is what the bot reads of a block or an element.
type blockHead struct {
	Type     string            `json:"type"`
	BlockID  string            `json:"block_id"`
	ActionID string            `json:"action_id"`
	Elements []json.RawMessage `json:"elements"`
}

func head(b json.RawMessage) blockHead {
	var h blockHead
	_ = json.Unmarshal(b, &h)
	return h
}

var hexColour = regexp.MustCompile(`^[0-9A-Fa-f]{6}$`)

// rewrite returns m with its status block set to lines (removed when
// there are none) and the elements of its actions block (block_id
// actionsID) replaced by buttons(old elements); an actions block left
// empty is removed. The status block goes just above the actions block,
// or at the end of the message (of its attachment, if any) when there is
// none.
func rewrite(m message, actionsID string, lines []string, buttons func([]json.RawMessage) []json.RawMessage) message {
	out := message{Text: m.Text, Blocks: withoutStatus(m.Blocks)}
	for _, a := range m.Attachments {
		if hexColour.MatchString(a.Color) {
			a.Color = "#" + a.Color // Slack answers colours without the #
		}
		a.Blocks = withoutStatus(a.Blocks)
		out.Attachments = append(out.Attachments, a)
	}
	var status json.RawMessage
	if len(lines) > 0 {
		status = raw(contextBlock(BlockStatus, lines...))
	}
	lists := []*[]json.RawMessage{&out.Blocks}
	for i := range out.Attachments {
		lists = append(lists, &out.Attachments[i].Blocks)
	}
	for _, l := range lists {
		for i, b := range *l {
			h := head(b)
			if h.Type != "actions" || h.BlockID != actionsID {
				continue
			}
			var repl []json.RawMessage
			if status != nil {
				repl = append(repl, status)
			}
			if els := buttons(h.Elements); len(els) > 0 {
				repl = append(repl, raw(struct {
					Type     string            `json:"type"`
					BlockID  string            `json:"block_id"`
					Elements []json.RawMessage `json:"elements"`
				}{"actions", actionsID, els}))
			}
			*l = slices.Concat((*l)[:i:i], repl, (*l)[i+1:])
			return out
		}
	}
	if status != nil {
		last := lists[len(lists)-1]
		*last = append(*last, status)
	}
	return out
}

func withoutStatus(blocks []json.RawMessage) []json.RawMessage {
	var out []json.RawMessage
	for _, b := range blocks {
		if head(b).BlockID != BlockStatus {
			out = append(out, b)
		}
	}
	return out
}

// workflow are the alert message's state-changing buttons, in their
// default order.
var workflow = []string{ActionAck, ActionArchive, ActionEscalate}

// alertButtons keeps the buttons of an alert message that still apply to
// a: links as they are, then the workflow buttons that apply, in their
// default order: Acknowledge while new or notified; Archive while open
// and no archive is pending; Escalate while open and not escalated. A
// workflow button that applies again (Archive after an objection) but is
// no longer in the message is made anew.
func alertButtons(a alert.Alert, pending bool) func([]json.RawMessage) []json.RawMessage {
	applies := map[string]bool{
		ActionAck:      a.State == alert.New || a.State == alert.Notified,
		ActionArchive:  a.State.Open() && !pending,
		ActionEscalate: a.State.Open() && !a.Escalated,
	}
	return func(old []json.RawMessage) []json.RawMessage {
		var out []json.RawMessage
		had := map[string]json.RawMessage{}
		for _, el := range old {
			id := head(el).ActionID
			if _, isWorkflow := applies[id]; isWorkflow {
				had[id] = el
				continue
			}
			out = append(out, el)
		}
		for _, id := range workflow {
			switch {
			case !applies[id]:
			case had[id] != nil:
				out = append(out, had[id])
			default:
				out = append(out, raw(defaultButton(id, a.ID)))
			}
		}
		return out
	}
}

func defaultButton(actionID, alertID string) slackn.Button {
	switch actionID {
	case ActionAck:
		return slackn.Button{Label: "Acknowledge", ActionID: actionID, Value: alertID, Style: "primary"}
	case ActionArchive:
		return slackn.Button{Label: "Archive", ActionID: actionID, Value: alertID}
	}
	return slackn.Button{Label: "Escalate", ActionID: actionID, Value: alertID, Style: "danger"}
}

// archiveRequest is a pending archive the bot posted.
type archiveRequest struct {
	By     string
	Reason alert.Reason
	Note   string
	At     time.Time
}

// objection is a security engineer's objection to a pending archive.
type objection struct {
	By string
	At time.Time
}

// notes is what the bot knows of an alert beyond its state: the pending
// archive it posted, and an objection to it.
type notes struct {
	Request   *archiveRequest
	Objection *objection
}

// pending reports whether an archive request is waiting for the security
// team.
func (n notes) pending(a alert.Alert) bool {
	return n.Request != nil && n.Objection == nil && a.State.Open()
}

// statusLines describe what happened to a, oldest first.
func statusLines(a alert.Alert, n notes, now time.Time) []string {
	type line struct {
		at   time.Time
		text string
	}
	var ls []line
	add := func(at time.Time, format string, args ...any) {
		ls = append(ls, line{at, fmt.Sprintf(format, args...)})
	}
	if !a.AckedAt.IsZero() && a.AckedBy != "" {
		add(a.AckedAt, "Acknowledged by %s at %s", who(a.AckedBy), clock(a.AckedAt, now))
	}
	if a.Escalated {
		add(a.EscalatedAt, "Escalated by %s at %s", who(a.EscalatedBy), clock(a.EscalatedAt, now))
	}
	if r := n.Request; r != nil && (a.State.Open() || n.Objection != nil) {
		waiting := ""
		if n.Objection == nil {
			waiting = " · waiting for the security team"
		}
		add(r.At, "Archive requested by %s at %s (%s)%s%s", who(r.By), clock(r.At, now), oneLine(r.Reason.Label(), 100), quoteNote(r.Note), waiting)
	}
	if o := n.Objection; o != nil {
		add(o.At, "Archive objected to by %s at %s: the alert stays open", who(o.By), clock(o.At, now))
	}
	switch a.State {
	case alert.Archived:
		add(a.ClosedAt, "Archived by %s at %s (%s)%s", who(a.ClosedBy), clock(a.ClosedAt, now), oneLine(a.Reason.Label(), 100), quoteNote(a.Note))
	case alert.Resolved:
		add(a.ClosedAt, "Resolved by %s at %s%s", who(a.ClosedBy), clock(a.ClosedAt, now), quoteNote(a.Note))
	}
	slices.SortStableFunc(ls, func(x, y line) int { return x.at.Compare(y.at) })
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.text
	}
	return out
}

// quoteNote is a note on one line, quoted.
func quoteNote(note string) string {
	if note = strings.Join(strings.Fields(note), " "); note == "" {
		return ""
	}
	return ": “" + oneLine(note, 300) + "”"
}

// who shows an actor: a Slack user as a mention, anyone else
// (console:alice, picket) as text.
func who(actor string) string {
	if u, ok := strings.CutPrefix(actor, "slack:"); ok && validID(u) {
		return "<@" + u + ">"
	}
	if actor == "" {
		return "someone"
	}
	return oneLine(actor, 100)
}

// actor is the Service's actor for a Slack user.
func actor(user string) string { return "slack:" + user }

// clock shows a time of day in UTC, with the date when it is not today.
func clock(t, now time.Time) string {
	t, now = t.UTC(), now.UTC()
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15:04 UTC")
	}
	return t.Format("2 Jan 15:04 UTC")
}

// severity is "8.0 (High)".
func severity(a alert.Alert) string {
	return fmt.Sprintf("%.1f (%s)", a.Severity, finding.LabelOf(a.Severity))
}

func account(a alert.Alert) string {
	s := oneLine(a.Account, 100)
	if a.Region != "" {
		s += " (" + oneLine(a.Region, 50) + ")"
	}
	return s
}

// headline is "*High 8.0* `Type`".
func headline(a alert.Alert) string {
	return fmt.Sprintf("*%s %.1f* %s", finding.LabelOf(a.Severity), a.Severity, code(a.Type, 300))
}

// code shows s (escaped) as inline code.
func code(s string, max int) string {
	s = strings.ReplaceAll(oneLine(s, max), "`", "'")
	if s == "" {
		return ""
	}
	return "`" + s + "`"
}

// alertFields are the alert's context as section fields.
func alertFields(a alert.Alert) []slackn.Text {
	var fs []slackn.Text
	add := func(name, value string) {
		if value != "" {
			fs = append(fs, mrkdwn("*"+name+"*\n"+value, maxField))
		}
	}
	add("Type", oneLine(a.Type, 500))
	add("Title", oneLine(a.Title, 1000))
	add("Account", account(a))
	add("Severity", severity(a))
	return fs
}

// link is a mrkdwn link, or "" when url cannot be one.
func link(url, text string) string {
	if url == "" || strings.ContainsAny(url, "<>| \n\t\"") || !(strings.HasPrefix(url, "https://") || strings.HasPrefix(url, "http://")) {
		return ""
	}
	return "<" + url + "|" + text + ">"
}

// where names the alert message: its link, else its channel.
func where(permalink string, ref msgRef) string {
	if l := link(permalink, "alert message"); l != "" {
		if ref.Channel != "" {
			return l + " in <#" + ref.Channel + ">"
		}
		return l
	}
	switch {
	case ref.Channel != "" && ref.TS != "":
		return "alert message in <#" + ref.Channel + "> (ts " + ref.TS + ")"
	case ref.Channel != "":
		return "<#" + ref.Channel + ">"
	}
	return ""
}

// escalationMessage is posted to the security channel on escalation.
func escalationMessage(a alert.Alert, user, group, permalink, runbook string, ref msgRef, at time.Time) message {
	mention := ""
	if group != "" {
		mention = "<!subteam^" + group + "> "
	}
	top := fmt.Sprintf("%s*Alert escalated* by <@%s> at %s: %s", mention, user, clock(at, at), headline(a))
	ctx := []string{"Alert " + code(a.ID, 200)}
	if w := where(permalink, ref); w != "" {
		ctx = append(ctx, w)
	}
	if l := link(runbook, "runbook"); l != "" {
		ctx = append(ctx, l)
	}
	text := fmt.Sprintf("%sAlert escalated by <@%s>: %s %s in %s", mention, user, finding.LabelOf(a.Severity), oneLine(a.Type, 300), oneLine(a.Account, 100))
	return message{
		Text: cut(text, maxFallback),
		Blocks: []json.RawMessage{
			raw(section(top)),
			raw(slackn.Block{Type: "section", Fields: alertFields(a)}),
			raw(contextBlock("", strings.Join(ctx, " · "))),
		},
	}
}

// requestMessage is a pending archive, posted to the security channel
// with the Object button.
func requestMessage(a alert.Alert, r archiveRequest, permalink string, ref msgRef, at time.Time) message {
	top := fmt.Sprintf("*Archive requested* by %s at %s: *%s*", who(r.By), clock(r.At, at), oneLine(r.Reason.Label(), 100))
	if note := strings.TrimSpace(r.Note); note != "" {
		top += "\n" + quoteBlock(note, 2000)
	}
	ctx := []string{"Picket archives the alert after the review delay unless a security engineer objects", "Alert " + code(a.ID, 200)}
	if w := where(permalink, ref); w != "" {
		ctx = append(ctx, w)
	}
	value := alertRef{Alert: a.ID, msgRef: ref}.encode()
	text := fmt.Sprintf("Archive requested by %s for %s %s in %s: %s", who(r.By), finding.LabelOf(a.Severity), oneLine(a.Type, 300), oneLine(a.Account, 100), oneLine(r.Reason.Label(), 100))
	return message{
		Text: cut(text, maxFallback),
		Blocks: []json.RawMessage{
			raw(section(top)),
			raw(slackn.Block{Type: "section", Fields: alertFields(a)}),
			raw(contextBlock("", strings.Join(ctx, " · "))),
			raw(slackn.Block{Type: "actions", BlockID: blockReview, Elements: []slackn.Element{
				slackn.Button{Label: "Object: keep it open", ActionID: ActionObject, Value: value, Style: "danger"},
			}}),
		},
	}
}

// quoteBlock shows multi-line text as a mrkdwn quote.
func quoteBlock(s string, max int) string {
	lines := strings.Split(strings.ReplaceAll(cut(s, max), "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = "> " + oneLine(l, max)
	}
	return strings.Join(lines, "\n")
}

// view is a modal.
type view struct {
	Type            string      `json:"type"`
	CallbackID      string      `json:"callback_id"`
	PrivateMetadata string      `json:"private_metadata"`
	Title           slackn.Text `json:"title"`
	Submit          slackn.Text `json:"submit"`
	Close           slackn.Text `json:"close"`
	Blocks          []any       `json:"blocks"`
}

type inputBlock struct {
	Type     string       `json:"type"`
	BlockID  string       `json:"block_id"`
	Label    slackn.Text  `json:"label"`
	Element  any          `json:"element"`
	Hint     *slackn.Text `json:"hint,omitempty"`
	Optional bool         `json:"optional,omitempty"`
}

type option struct {
	Text  slackn.Text `json:"text"`
	Value string      `json:"value"`
}

type staticSelect struct {
	Type        string      `json:"type"`
	ActionID    string      `json:"action_id"`
	Placeholder slackn.Text `json:"placeholder"`
	Options     []option    `json:"options"`
}

type textInput struct {
	Type        string      `json:"type"`
	ActionID    string      `json:"action_id"`
	Multiline   bool        `json:"multiline"`
	MaxLength   int         `json:"max_length"`
	Placeholder slackn.Text `json:"placeholder"`
}

// archiveModal asks why a is archived.
func archiveModal(a alert.Alert, ref alertRef) view {
	var opts []option
	for _, r := range alert.Reasons {
		opts = append(opts, option{Text: plain(r.Label()), Value: string(r)})
	}
	summary := headline(a)
	if a.Title != "" {
		summary += "\n" + oneLine(a.Title, 1000)
	}
	summary += "\nAccount " + account(a) + " · alert " + code(a.ID, 200)
	hint := plain("Shown in the alert's message and to the security team.")
	return view{
		Type:            "modal",
		CallbackID:      CallbackArchive,
		PrivateMetadata: ref.encode(),
		Title:           plain("Archive alert"),
		Submit:          plain("Archive"),
		Close:           plain("Cancel"),
		Blocks: []any{
			section(summary),
			inputBlock{
				Type: "input", BlockID: blockReason, Label: plain("Reason"),
				Element: staticSelect{Type: "static_select", ActionID: fieldReason, Placeholder: plain("Why is it archived?"), Options: opts},
			},
			inputBlock{
				Type: "input", BlockID: blockNote, Label: plain("Details"), Optional: true, Hint: &hint,
				Element: textInput{Type: "plain_text_input", ActionID: fieldNote, Multiline: true, MaxLength: maxNote,
					Placeholder: plain("What was it, and how do you know?")},
			},
			contextBlock("", "A security engineer's archive applies at once; anyone else's goes to the security team, who may object."),
		},
	}
}

func section(text string) slackn.Block {
	t := mrkdwn(text, maxText)
	return slackn.Block{Type: "section", Text: &t}
}

func contextBlock(id string, lines ...string) slackn.Block {
	b := slackn.Block{Type: "context", BlockID: id}
	for _, l := range lines {
		if l != "" && len(b.Elements) < maxContext {
			b.Elements = append(b.Elements, mrkdwn(l, maxText))
		}
	}
	return b
}

// mrkdwn is a verbatim mrkdwn text of s, already escaped, cut to max:
// verbatim, so a URL or a channel name inside it stays plain text.
func mrkdwn(s string, max int) slackn.Text {
	return slackn.Text{Type: "mrkdwn", Text: cut(s, max), Verbatim: true}
}

func plain(s string) slackn.Text { return slackn.Text{Type: "plain_text", Text: s} }

// oneLine makes a value from a finding safe for one line of mrkdwn:
// control characters shown escaped, &, < and > escaped, cut to max.
func oneLine(s string, max int) string {
	return cut(slackn.Escape(report.Escape(s)), max)
}

// cut shortens escaped text to at most max UTF-16 units (as Slack counts),
// ending with "…" when cut and never inside an entity such as &amp;.
func cut(s string, max int) string {
	if utf16Len(s) <= max {
		return s
	}
	n, end := 0, 0
	for i, r := range s {
		w := runeLen16(r)
		if n+w > max-1 {
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
		n += runeLen16(r)
	}
	return n
}

// runeLen16 is r's length in UTF-16 units (1 for an invalid rune).
func runeLen16(r rune) int {
	if w := utf16.RuneLen(r); w > 0 {
		return w
	}
	return 1
}
