package slackbot

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/picket-dev/picket/internal/alert"
)

// mineLimit bounds the alerts /picket mine lists.
const mineLimit = 20

// command is a slash command: form fields over HTTPS, a JSON object over
// Socket Mode.
type command struct {
	Command     string `json:"command"`
	Text        string `json:"text"`
	UserID      string `json:"user_id"`
	ChannelID   string `json:"channel_id"`
	ResponseURL string `json:"response_url"`
}

func commandFromForm(f url.Values) command {
	return command{
		Command:     f.Get("command"),
		Text:        f.Get("text"),
		UserID:      f.Get("user_id"),
		ChannelID:   f.Get("channel_id"),
		ResponseURL: f.Get("response_url"),
	}
}

// commandReply is a slash command's answer, shown to the user only.
type commandReply struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

func ephemeralReply(text string) commandReply {
	return commandReply{ResponseType: "ephemeral", Text: cut(text, 3900)}
}

var commandName = regexp.MustCompile(`^/[a-z0-9_-]{1,31}$`)

// command answers a slash command: at once for help and mistakes; for the
// rest, with the result when it comes within replyWithin, else with
// "working on it" and the result later through the response_url. The
// error is errBadPayload.
func (b *Bot) command(ctx context.Context, cmd command) (any, error) {
	if !validID(cmd.UserID) {
		return nil, errBadPayload
	}
	name := "/picket"
	if commandName.MatchString(cmd.Command) {
		name = cmd.Command
	}
	text := unescape(cmd.Text)
	fields := strings.Fields(text)
	sub := "help"
	if len(fields) > 0 {
		sub = strings.ToLower(fields[0])
	}
	user := cmd.UserID
	var work func(ctx context.Context) string
	switch sub {
	case "help":
		return ephemeralReply(help(name)), nil
	case "status":
		if len(fields) != 2 || !validAlertID(fields[1]) {
			return ephemeralReply("Usage: `" + name + " status &lt;alert-id&gt;`"), nil
		}
		id := fields[1]
		work = func(ctx context.Context) string { return b.statusText(ctx, user, id) }
	case "mine":
		work = func(ctx context.Context) string { return b.mine(ctx, user) }
	case "archive":
		if len(fields) < 3 || !validAlertID(fields[1]) {
			return ephemeralReply("Usage: `" + name + " archive &lt;alert-id&gt; &lt;reason&gt; [details…]` with a reason of " + reasonList()), nil
		}
		id := fields[1]
		reason, err := alert.ParseReason(fields[2])
		if err != nil {
			return ephemeralReply("Unknown reason " + code(fields[2], 100) + ": use one of " + reasonList() + "."), nil
		}
		note := afterFields(text, 3)
		if len([]rune(note)) > maxNote {
			return ephemeralReply(fmt.Sprintf("Keep the details under %d characters.", maxNote)), nil
		}
		work = func(ctx context.Context) string {
			if _, refusal := b.authorize(ctx, user, id); refusal != "" {
				b.logAction(ctx, "archive", user, id, "refused")
				return refusal
			}
			text, _, _ := b.archive(ctx, user, id, reason, note, msgRef{})
			return text
		}
	default:
		return ephemeralReply("Unknown command " + code(fields[0], 50) + ".\n" + help(name)), nil
	}
	return b.runCommand(ctx, cmd, work), nil
}

// runCommand runs work in the background and answers with its result, or
// with "working on it" when it takes longer than replyWithin; the result
// then goes to the command's response_url.
func (b *Bot) runCommand(ctx context.Context, cmd command, work func(ctx context.Context) string) commandReply {
	result := make(chan string)
	gaveUp := make(chan struct{})
	b.spawn(ctx, func(ctx context.Context) {
		text := work(ctx)
		select {
		case result <- text:
		case <-gaveUp:
			if err := b.respond(ctx, cmd.ResponseURL, ephemeralReply(text)); err != nil {
				b.log.Warn("slack: answering a command late failed", "user", cmd.UserID, "error", err)
			}
		}
	})
	t := time.NewTimer(b.replyWithin)
	defer t.Stop()
	select {
	case text := <-result:
		return ephemeralReply(text)
	case <-t.C:
		close(gaveUp)
		return ephemeralReply("Working on it…")
	}
}

func help(name string) string {
	return "*" + name + "* handles Picket alerts:\n" +
		"• `" + name + " status &lt;alert-id&gt;`: an alert's state\n" +
		"• `" + name + " mine`: the open alerts of your channels\n" +
		"• `" + name + " archive &lt;alert-id&gt; &lt;reason&gt; [details…]`: archive an alert; the reason is one of " + reasonList() + "\n" +
		"• `" + name + " help`: this text"
}

func reasonList() string {
	var s []string
	for _, r := range alert.Reasons {
		s = append(s, "`"+string(r)+"`")
	}
	return strings.Join(s, ", ")
}

// statusText shows an alert to a user allowed to see it.
func (b *Bot) statusText(ctx context.Context, user, id string) string {
	a, refusal := b.authorize(ctx, user, id)
	if refusal != "" {
		return refusal
	}
	now := b.now()
	n, _ := b.notes.get(a.ID, now)
	var s strings.Builder
	fmt.Fprintf(&s, "*Alert %s*: %s", code(a.ID, 200), headline(a))
	if a.Title != "" {
		s.WriteString("\n" + oneLine(a.Title, 1000))
	}
	s.WriteString("\nAccount " + account(a))
	if ch := b.svc.ChannelOf(a); validChannel(ch) {
		s.WriteString(" · routed to <#" + ch + ">")
	}
	fmt.Fprintf(&s, "\nState: *%s*", a.State)
	if a.Escalated {
		s.WriteString(", escalated")
	}
	for _, l := range statusLines(a, n, now) {
		s.WriteString("\n• " + l)
	}
	if l := link(b.svc.RunbookURL(a), "Runbook"); l != "" {
		s.WriteString("\n" + l)
	}
	return s.String()
}

// mine lists the open alerts of the channels the user is in.
func (b *Bot) mine(ctx context.Context, user string) string {
	chans, err := b.api.userChannels(ctx, user)
	if err != nil {
		b.log.Warn("slack users.conversations failed", "user", user, "error", err)
		return "Picket could not list your channels; try again in a moment."
	}
	if len(chans) == 0 {
		return "You are in no channel Picket can see."
	}
	as, err := b.svc.OpenAlerts(ctx, chans, mineLimit)
	if err != nil {
		b.log.ErrorContext(ctx, "slack: listing open alerts failed", "user", user, "error", err)
		return "Picket could not list the open alerts (internal error); try again in a moment."
	}
	if len(as) == 0 {
		return "No open alerts in your channels."
	}
	var s strings.Builder
	fmt.Fprintf(&s, "*Open alerts in your channels* (%d):", len(as))
	for _, a := range as {
		fmt.Fprintf(&s, "\n• %s %s", code(a.ID, 200), headline(a))
		if a.Title != "" {
			s.WriteString(": " + oneLine(a.Title, 200))
		}
		fmt.Fprintf(&s, " · %s", a.State)
		if a.Escalated {
			s.WriteString(", escalated")
		}
		if ch := b.svc.ChannelOf(a); validChannel(ch) {
			s.WriteString(" · <#" + ch + ">")
		}
	}
	if len(as) >= mineLimit {
		fmt.Fprintf(&s, "\nThe first %d shown.", mineLimit)
	}
	return s.String()
}

// unescape undoes Slack's escaping of &, < and > in a command's text.
func unescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// afterFields is s after its first n whitespace-separated fields, trimmed.
func afterFields(s string, n int) string {
	for range n {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		i := strings.IndexFunc(s, unicode.IsSpace)
		if i < 0 {
			return ""
		}
		s = s[i:]
	}
	return strings.TrimSpace(s)
}
