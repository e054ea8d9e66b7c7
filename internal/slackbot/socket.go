package slackbot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// RunSocketMode receives Slack's interactions and slash commands over
// Socket Mode (apps.connections.open with the app token, then a
// WebSocket) until ctx ends, handling them as ServeHTTP does: each
// envelope is acknowledged with the answer ServeHTTP would give (a
// modal's errors, a command's reply). It returns nil when ctx ends, or
// the error that stopped the connection for good (such as invalid_auth).
func (b *Bot) RunSocketMode(ctx context.Context) error {
	if b.appToken == "" {
		return errors.New("slackbot: Socket Mode needs an app-level token (xapp-…)")
	}
	api := slack.New(b.api.token,
		slack.OptionAppLevelToken(b.appToken),
		slack.OptionAPIURL(b.api.base),
		slack.OptionHTTPClient(b.hc),
		slack.OptionLog(discardLog{}))
	client := socketmode.New(api, socketmode.OptionLog(discardLog{}))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- client.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			<-done
			return nil
		case err := <-done:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("slackbot: socket mode: %w", redactErr(redactErr(err, b.appToken), b.api.token))
		case evt := <-client.Events:
			b.socketEvent(ctx, client, evt)
		}
	}
}

// socketEvent handles one Socket Mode event. Requests are handled in the
// background, so a slow one does not hold up the others.
func (b *Bot) socketEvent(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		b.log.Debug("slack socket mode: connecting")
	case socketmode.EventTypeConnected:
		b.log.Info("slack socket mode: connected")
	case socketmode.EventTypeConnectionError, socketmode.EventTypeInvalidAuth, socketmode.EventTypeIncomingError:
		b.log.Warn("slack socket mode: connection problem", "event", string(evt.Type), "error", b.redact(eventError(evt)))
	case socketmode.EventTypeErrorBadMessage:
		// The message may hold user data: only its cause is logged.
		if e, ok := evt.Data.(*socketmode.ErrorBadMessage); ok {
			b.log.Warn("slack socket mode: unreadable message", "error", e.Cause)
		}
	case socketmode.EventTypeErrorWriteFailed:
		if e, ok := evt.Data.(*socketmode.ErrorWriteFailed); ok {
			b.log.Warn("slack socket mode: an acknowledgement could not be sent", "error", e.Cause)
		}
	case socketmode.EventTypeInteractive, socketmode.EventTypeSlashCommand, socketmode.EventTypeEventsAPI:
		if evt.Request == nil {
			return
		}
		req := *evt.Request
		b.wg.Go(func() { b.socketRequest(ctx, client, evt.Type, req) })
	}
}

func (b *Bot) socketRequest(ctx context.Context, client *socketmode.Client, typ socketmode.EventType, req socketmode.Request) {
	var reply any
	var err error
	switch typ {
	case socketmode.EventTypeInteractive:
		reply, err = b.interact(ctx, req.Payload)
	case socketmode.EventTypeSlashCommand:
		var cmd command
		if err = json.Unmarshal(req.Payload, &cmd); err == nil {
			reply, err = b.command(ctx, cmd)
		} else {
			err = errBadPayload
		}
	}
	level := slog.LevelInfo
	attrs := []slog.Attr{slog.String("type", string(typ))}
	if err != nil {
		// Acknowledged anyway: Slack would only send it again.
		level = slog.LevelWarn
		attrs = append(attrs, slog.String("error", err.Error()))
		reply = nil
	}
	if err = client.AckCtx(ctx, req.EnvelopeID, reply); err != nil {
		level = slog.LevelWarn
		attrs = append(attrs, slog.String("ack_error", err.Error()))
	}
	b.log.LogAttrs(ctx, level, "slack socket request", attrs...)
}

func eventError(evt socketmode.Event) string {
	switch d := evt.Data.(type) {
	case *slack.ConnectionErrorEvent:
		return d.Error()
	case *slack.IncomingEventError:
		return d.Error()
	case *slack.InvalidAuthEvent:
		return "invalid auth"
	case error:
		return d.Error()
	}
	return ""
}

// redact keeps the tokens out of a logged error.
func (b *Bot) redact(s string) string {
	for _, t := range []string{b.appToken, b.api.token} {
		if t != "" {
			s = strings.ReplaceAll(s, t, "[redacted]")
		}
	}
	return s
}

// discardLog silences slack-go's own logger (its debug output may carry
// payloads).
type discardLog struct{}

func (discardLog) Output(int, string) error { return nil }
