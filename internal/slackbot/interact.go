package slackbot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"unicode/utf8"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/store"
)

// interaction is the part of an interaction payload (block_actions,
// view_submission) the bot reads.
type interaction struct {
	Type string `json:"type"`
	User struct {
		ID string `json:"id"`
	} `json:"user"`
	Channel struct {
		ID string `json:"id"`
	} `json:"channel"`
	Container struct {
		ChannelID string `json:"channel_id"`
		MessageTS string `json:"message_ts"`
	} `json:"container"`
	Message *struct {
		TS string `json:"ts"`
		message
	} `json:"message"`
	TriggerID string `json:"trigger_id"`
	Actions   []struct {
		ActionID string `json:"action_id"`
		BlockID  string `json:"block_id"`
		Value    string `json:"value"`
	} `json:"actions"`
	View struct {
		CallbackID      string `json:"callback_id"`
		PrivateMetadata string `json:"private_metadata"`
		State           struct {
			Values map[string]map[string]struct {
				Value          *string `json:"value"`
				SelectedOption *struct {
					Value string `json:"value"`
				} `json:"selected_option"`
			} `json:"values"`
		} `json:"state"`
	} `json:"view"`
}

// viewErrors is a view_submission answer showing errors in the modal.
type viewErrors struct {
	ResponseAction string            `json:"response_action"` // "errors"
	Errors         map[string]string `json:"errors"`          // block_id → message
}

// interact handles an interaction payload and returns the immediate
// answer (nil: an empty 200, or an ack without payload); the work goes on
// in the background. The error is errBadPayload.
func (b *Bot) interact(ctx context.Context, payload []byte) (any, error) {
	var in interaction
	if len(payload) == 0 || json.Unmarshal(payload, &in) != nil || !validID(in.User.ID) {
		return nil, errBadPayload
	}
	switch in.Type {
	case "block_actions":
		b.blockActions(ctx, &in)
		return nil, nil
	case "view_submission":
		return b.viewSubmission(ctx, &in), nil
	}
	return nil, nil // view_closed, shortcuts, …: nothing to do
}

func (b *Bot) blockActions(ctx context.Context, in *interaction) {
	if len(in.Actions) == 0 {
		return
	}
	act, user := in.Actions[0], in.User.ID
	ref := msgRef{Channel: in.Channel.ID, TS: in.Container.MessageTS}
	if ref.Channel == "" {
		ref.Channel = in.Container.ChannelID
	}
	if in.Message != nil && in.Message.TS != "" {
		ref.TS = in.Message.TS
	}
	if !validChannel(ref.Channel) {
		ref = msgRef{}
	} else if !validTS.MatchString(ref.TS) {
		ref.TS = ""
	}
	switch act.ActionID {
	case ActionRunbook, ActionOpenConsole:
		return // links: Slack opens them
	case ActionAck, ActionEscalate, ActionArchive:
		id := act.Value
		if !validAlertID(id) {
			b.log.Warn("slack action with an invalid alert ID", "action", act.ActionID, "user", user)
			return
		}
		if in.Message != nil && ref.valid() {
			b.msgs.put(id, ref, in.Message.message, b.now())
		}
		trigger := in.TriggerID
		b.spawn(ctx, func(ctx context.Context) { b.onAlertButton(ctx, act.ActionID, user, id, ref, trigger) })
	case ActionObject:
		r, ok := decodeAlertRef(act.Value)
		if !ok {
			b.log.Warn("slack action with an invalid value", "action", act.ActionID, "user", user)
			return
		}
		var m *message
		if in.Message != nil {
			m = &in.Message.message
		}
		b.spawn(ctx, func(ctx context.Context) { b.onObject(ctx, user, r, ref, m) })
	default:
		b.log.Debug("slack action ignored", "action", truncate(act.ActionID, 64), "user", user)
	}
}

// onAlertButton handles Acknowledge, Escalate and Archive.
func (b *Bot) onAlertButton(ctx context.Context, action, user, id string, ref msgRef, trigger string) {
	a, refusal := b.authorize(ctx, user, id)
	if refusal != "" {
		b.tell(ctx, ref.Channel, user, refusal)
		b.logAction(ctx, action, user, id, "refused")
		return
	}
	switch action {
	case ActionAck, ActionEscalate:
		kind, verb := alert.Acknowledge, "acknowledge"
		if action == ActionEscalate {
			kind, verb = alert.Escalate, "escalate"
		}
		a, err := b.svc.Act(ctx, id, alert.Action{Kind: kind, Actor: actor(user), At: b.now()})
		if err != nil {
			b.tell(ctx, ref.Channel, user, b.failure(ctx, verb, id, err))
			b.logAction(ctx, action, user, id, "failed")
			return
		}
		if kind == alert.Escalate {
			b.postEscalation(ctx, a, user, ref)
		}
		b.refresh(ctx, a, ref)
		b.logAction(ctx, action, user, id, "done")
	case ActionArchive:
		if !a.State.Open() {
			b.tell(ctx, ref.Channel, user, fmt.Sprintf("Alert %s is already %s.", code(id, 200), a.State))
			b.logAction(ctx, action, user, id, "closed")
			return
		}
		if err := b.api.openView(ctx, trigger, archiveModal(a, alertRef{Alert: a.ID, msgRef: ref})); err != nil {
			b.log.Warn("slack views.open failed", "alert", id, "user", user, "error", err)
			b.tell(ctx, ref.Channel, user, "Picket could not open the archive form; click Archive again.")
			return
		}
		b.logAction(ctx, action, user, id, "modal opened")
	}
}

func (b *Bot) viewSubmission(ctx context.Context, in *interaction) any {
	if in.View.CallbackID != CallbackArchive {
		return nil
	}
	user := in.User.ID
	r, ok := decodeAlertRef(in.View.PrivateMetadata)
	if !ok {
		return viewErrors{"errors", map[string]string{blockReason: "This form is out of date: close it and click Archive again."}}
	}
	vals := in.View.State.Values
	var reasonText, note string
	if v := vals[blockReason][fieldReason]; v.SelectedOption != nil {
		reasonText = v.SelectedOption.Value
	}
	if v := vals[blockNote][fieldNote]; v.Value != nil {
		note = *v.Value
	}
	errs := map[string]string{}
	reason, err := alert.ParseReason(reasonText)
	switch {
	case reasonText == "":
		errs[blockReason] = "Choose why the alert is archived."
	case err != nil:
		errs[blockReason] = "Choose one of the listed reasons."
	}
	if utf8.RuneCountInString(note) > maxNote {
		errs[blockNote] = fmt.Sprintf("Keep it under %d characters.", maxNote)
	}
	if len(errs) > 0 {
		return viewErrors{"errors", errs}
	}
	b.spawn(ctx, func(ctx context.Context) {
		if _, refusal := b.authorize(ctx, user, r.Alert); refusal != "" {
			b.tell(ctx, r.Channel, user, refusal)
			b.logAction(ctx, "archive", user, r.Alert, "refused")
			return
		}
		text, changed, shown := b.archive(ctx, user, r.Alert, reason, note, r.msgRef)
		if !changed || !shown {
			b.tell(ctx, r.Channel, user, text)
		}
	})
	return nil
}

// archive asks the service to archive, tells the security channel when
// the archive is pending, and rewrites the alert's message. It returns
// what happened for the user, whether the alert changed, and whether its
// message shows it.
func (b *Bot) archive(ctx context.Context, user, id string, reason alert.Reason, note string, ref msgRef) (text string, changed, shown bool) {
	a, err := b.svc.RequestArchive(ctx, id, actor(user), reason, note)
	if err != nil {
		b.logAction(ctx, "archive", user, id, "failed")
		return b.failure(ctx, "archive", id, err), false, false
	}
	now := b.now()
	label := oneLine(reason.Label(), 100)
	if !a.State.Open() {
		b.notes.put(a.ID, notes{}, now)
		b.logAction(ctx, "archive", user, id, "archived")
		return fmt.Sprintf("Alert %s is %s (%s).", code(a.ID, 200), a.State, label), true, b.refresh(ctx, a, ref)
	}
	req := archiveRequest{By: actor(user), Reason: reason, Note: note, At: now}
	b.notes.put(a.ID, notes{Request: &req}, now)
	msgAt, _, _ := b.msgs.lookup(a.ID, ref, now)
	if !msgAt.valid() {
		msgAt = ref
	}
	permalink := b.permalink(ctx, msgAt)
	if _, err := b.api.postMessage(ctx, b.securityChannel, requestMessage(a, req, permalink, msgAt, now)); err != nil {
		b.log.Error("slack: posting an archive request to the security channel failed", "alert", id, "error", err)
	}
	b.logAction(ctx, "archive", user, id, "pending")
	return fmt.Sprintf("Archive of alert %s requested (%s): Picket archives it after the review delay unless the security team objects.", code(a.ID, 200), label),
		true, b.refresh(ctx, a, ref)
}

// onObject handles a security engineer's objection to a pending archive.
func (b *Bot) onObject(ctx context.Context, user string, r alertRef, reqRef msgRef, reqMsg *message) {
	ok, err := b.memberOf(ctx, user, b.securityChannel)
	switch {
	case err != nil:
		b.log.Warn("slack: membership check failed", "user", user, "error", err)
		b.tell(ctx, reqRef.Channel, user, "Picket could not check that you are in the security team; try again in a moment.")
		return
	case !ok:
		b.tell(ctx, reqRef.Channel, user, "Only members of the security team (<#"+b.securityChannel+">) can object to an archive.")
		b.logAction(ctx, ActionObject, user, r.Alert, "refused")
		return
	}
	a, err := b.svc.Object(ctx, r.Alert, actor(user))
	if err != nil {
		b.tell(ctx, reqRef.Channel, user, b.failure(ctx, "object to the archive of", r.Alert, err))
		b.logAction(ctx, ActionObject, user, r.Alert, "failed")
		return
	}
	now := b.now()
	b.notes.update(a.ID, now, func(n notes) notes {
		n.Objection = &objection{By: actor(user), At: now}
		return n
	})
	if reqMsg != nil && reqRef.valid() {
		line := fmt.Sprintf("Objected to by <@%s> at %s: the alert stays open", user, clock(now, now))
		out := rewrite(*reqMsg, blockReview, []string{line}, func([]json.RawMessage) []json.RawMessage { return nil })
		if err := b.api.update(ctx, reqRef, out); err != nil {
			b.log.Warn("slack: rewriting the archive request failed", "alert", a.ID, "error", err)
		}
	}
	b.refresh(ctx, a, r.msgRef)
	b.logAction(ctx, ActionObject, user, r.Alert, "done")
}

// authorize looks the alert up and checks that user may act on it: a
// member of the channel it was routed to or of the security channel. It
// returns the refusal to show, if any.
func (b *Bot) authorize(ctx context.Context, user, id string) (alert.Alert, string) {
	a, err := b.svc.Alert(ctx, id)
	if err != nil {
		return a, b.failure(ctx, "find", id, err)
	}
	routed := b.svc.ChannelOf(a)
	if !validChannel(routed) {
		routed = ""
	}
	ok, err := b.memberOf(ctx, user, routed, b.securityChannel)
	switch {
	case err != nil:
		b.log.Warn("slack: membership check failed", "user", user, "alert", id, "error", err)
		return a, "Picket could not check your channel membership; try again in a moment."
	case !ok && routed != "":
		return a, "You are not a member of <#" + routed + "> or the security team, so you cannot act on this alert."
	case !ok:
		return a, "You are not a member of the security team, so you cannot act on this alert."
	}
	return a, ""
}

// failure is what to tell the user about a service error.
func (b *Bot) failure(ctx context.Context, verb, id string, err error) string {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "Picket has no alert " + code(id, 200) + "."
	case errors.Is(err, alert.ErrIllegal):
		return "Alert " + code(id, 200) + " was not changed: " + oneLine(err.Error(), 1000)
	}
	b.log.ErrorContext(ctx, "slack: alert service failed", "op", verb, "alert", id, "error", err)
	return "Picket could not " + verb + " alert " + code(id, 200) + " (internal error); try again in a moment."
}

// Refresh rewrites the latest message of a the bot knows (one clicked
// since it started) to show a's state: for changes made elsewhere, such
// as a pending archive applied after its delay. It reports whether it
// did.
func (b *Bot) Refresh(ctx context.Context, a alert.Alert) bool {
	return b.refresh(ctx, a, msgRef{})
}

// refresh rewrites the alert's message (at ref, or the latest one the
// bot knows) to show a's state; it reports whether it did.
func (b *Bot) refresh(ctx context.Context, a alert.Alert, ref msgRef) bool {
	now := b.now()
	ref, m, ok := b.msgs.lookup(a.ID, ref, now)
	if !ok || !ref.valid() {
		b.log.Debug("slack: the alert's message is unknown; not rewritten", "alert", a.ID)
		return false
	}
	n, _ := b.notes.get(a.ID, now)
	out := rewrite(m, BlockActions, statusLines(a, n, now), alertButtons(a, n.pending(a)))
	if err := b.api.update(ctx, ref, out); err != nil {
		b.log.Warn("slack: rewriting the alert message failed", "alert", a.ID, "error", err)
		return false
	}
	b.msgs.put(a.ID, ref, out, now)
	return true
}

// postEscalation tells the security channel, mentioning the on-duty group.
func (b *Bot) postEscalation(ctx context.Context, a alert.Alert, user string, ref msgRef) {
	m := escalationMessage(a, user, b.onDutyGroup, b.permalink(ctx, ref), b.svc.RunbookURL(a), ref, b.now())
	if _, err := b.api.postMessage(ctx, b.securityChannel, m); err != nil {
		b.log.Error("slack: posting an escalation to the security channel failed", "alert", a.ID, "error", err)
		b.tell(ctx, ref.Channel, user, "The alert is escalated, but Picket could not post to the security channel: tell them directly.")
	}
}

// permalink links to a message ("" when it cannot).
func (b *Bot) permalink(ctx context.Context, ref msgRef) string {
	if !ref.valid() {
		return ""
	}
	p, err := b.api.permalink(ctx, ref)
	if err != nil {
		b.log.Warn("slack chat.getPermalink failed", "error", err)
		return ""
	}
	return p
}

// tell shows text to user in channel (chat.postEphemeral).
func (b *Bot) tell(ctx context.Context, channel, user, text string) {
	if !validChannel(channel) {
		b.log.Warn("slack: no channel to answer the user in", "user", user)
		return
	}
	if err := b.api.ephemeral(ctx, channel, user, text); err != nil {
		b.log.Warn("slack chat.postEphemeral failed", "user", user, "error", err)
	}
}

func (b *Bot) logAction(ctx context.Context, action, user, id, result string) {
	b.log.LogAttrs(ctx, slog.LevelInfo, "slack action",
		slog.String("action", action), slog.String("user", user),
		slog.String("alert", truncate(id, 64)), slog.String("result", result))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
