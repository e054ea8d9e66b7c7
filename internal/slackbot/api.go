package slackbot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Web API paging and limits.
const (
	membersPageSize  = 500 // conversations.members (Slack allows up to 1000)
	channelsPageSize = 200 // users.conversations
	maxPages         = 100
	maxAnswerBytes   = 8 << 20
)

// webAPI calls Slack's Web API with the bot token: JSON bodies for the
// write methods, forms for the read methods (which do not take JSON). The
// token goes in the Authorization header only, so it never appears in a
// URL or an error.
type webAPI struct {
	base  string // ends in "/"
	token string
	hc    *http.Client
}

// APIError is a Web API answer with ok:false.
type APIError struct {
	Method string // chat.update, views.open, …
	Code   string // Slack's error code: channel_not_found, not_in_channel, …
}

func (e *APIError) Error() string { return "slack " + e.Method + ": " + e.Code }

// apiResult is the part of every Web API answer the bot reads.
type apiResult struct {
	OK       bool   `json:"ok"`
	Error    string `json:"error"`
	Metadata struct {
		NextCursor string `json:"next_cursor"`
	} `json:"response_metadata"`
}

func (c *webAPI) postJSON(ctx context.Context, method string, body, out any) error {
	b, err := marshal(body)
	if err != nil {
		return fmt.Errorf("slack %s: encoding: %w", method, err)
	}
	return c.do(ctx, method, "application/json; charset=utf-8", b, out)
}

func (c *webAPI) postForm(ctx context.Context, method string, v url.Values, out any) error {
	return c.do(ctx, method, "application/x-www-form-urlencoded", []byte(v.Encode()), out)
}

func (c *webAPI) do(ctx context.Context, method, contentType string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+method, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("slack %s: %w", method, err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("slack %s: %w", method, redactErr(err, c.token))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return fmt.Errorf("slack %s: reading the answer: %w", method, err)
	}
	if resp.StatusCode != http.StatusOK {
		s := fmt.Sprintf("slack %s: HTTP %d", method, resp.StatusCode)
		if ra := resp.Header.Get("Retry-After"); ra != "" && resp.StatusCode == http.StatusTooManyRequests {
			s += " (retry after " + oneLine(ra, 20) + "s)"
		}
		return errors.New(s)
	}
	var r apiResult
	if err := json.Unmarshal(data, &r); err != nil {
		return fmt.Errorf("slack %s: unreadable answer: %w", method, err)
	}
	if !r.OK {
		code := r.Error
		if code == "" {
			code = "unknown_error"
		}
		return &APIError{Method: method, Code: oneLine(strings.ReplaceAll(code, c.token, "[redacted]"), 100)}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("slack %s: unreadable answer: %w", method, err)
		}
	}
	return nil
}

// marshal encodes v without escaping <, > and & (Slack's own mrkdwn
// entities and mentions stay readable).
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// redactErr keeps a transport error from carrying the token (it never
// should: the token is only in a header).
func redactErr(err error, token string) error {
	if token != "" && strings.Contains(err.Error(), token) {
		return errors.New(strings.ReplaceAll(err.Error(), token, "[redacted]"))
	}
	return err
}

// channelMembers lists a channel's members (conversations.members, all
// pages).
func (c *webAPI) channelMembers(ctx context.Context, channel string) (map[string]bool, error) {
	members := make(map[string]bool)
	cursor := ""
	for range maxPages {
		v := url.Values{"channel": {channel}, "limit": {fmt.Sprint(membersPageSize)}}
		if cursor != "" {
			v.Set("cursor", cursor)
		}
		var out struct {
			apiResult
			Members []string `json:"members"`
		}
		if err := c.postForm(ctx, "conversations.members", v, &out); err != nil {
			return nil, err
		}
		for _, m := range out.Members {
			members[m] = true
		}
		if cursor = out.Metadata.NextCursor; cursor == "" {
			return members, nil
		}
	}
	return nil, fmt.Errorf("slack conversations.members: more than %d pages", maxPages)
}

// userChannels lists the channels a user is a member of, as far as the bot
// can see (users.conversations, all pages).
func (c *webAPI) userChannels(ctx context.Context, user string) ([]string, error) {
	var ids []string
	cursor := ""
	for range maxPages {
		v := url.Values{
			"user":             {user},
			"types":            {"public_channel,private_channel"},
			"exclude_archived": {"true"},
			"limit":            {fmt.Sprint(channelsPageSize)},
		}
		if cursor != "" {
			v.Set("cursor", cursor)
		}
		var out struct {
			apiResult
			Channels []struct {
				ID string `json:"id"`
			} `json:"channels"`
		}
		if err := c.postForm(ctx, "users.conversations", v, &out); err != nil {
			return nil, err
		}
		for _, ch := range out.Channels {
			if ch.ID != "" {
				ids = append(ids, ch.ID)
			}
		}
		if cursor = out.Metadata.NextCursor; cursor == "" {
			return ids, nil
		}
	}
	return nil, fmt.Errorf("slack users.conversations: more than %d pages", maxPages)
}

// permalink returns a message's link (chat.getPermalink).
func (c *webAPI) permalink(ctx context.Context, ref msgRef) (string, error) {
	var out struct {
		apiResult
		Permalink string `json:"permalink"`
	}
	err := c.postForm(ctx, "chat.getPermalink", url.Values{"channel": {ref.Channel}, "message_ts": {ref.TS}}, &out)
	return out.Permalink, err
}

// postMessage posts a message (chat.postMessage) and returns its ts.
func (c *webAPI) postMessage(ctx context.Context, channel string, m message) (string, error) {
	var out struct {
		apiResult
		TS string `json:"ts"`
	}
	err := c.postJSON(ctx, "chat.postMessage", struct {
		Channel string `json:"channel"`
		message
		UnfurlLinks bool `json:"unfurl_links"`
		UnfurlMedia bool `json:"unfurl_media"`
	}{Channel: channel, message: m}, &out)
	return out.TS, err
}

// update rewrites a message (chat.update).
func (c *webAPI) update(ctx context.Context, ref msgRef, m message) error {
	return c.postJSON(ctx, "chat.update", struct {
		Channel string `json:"channel"`
		TS      string `json:"ts"`
		message
	}{ref.Channel, ref.TS, m}, nil)
}

// ephemeral shows text to one user in a channel (chat.postEphemeral).
func (c *webAPI) ephemeral(ctx context.Context, channel, user, text string) error {
	return c.postJSON(ctx, "chat.postEphemeral", struct {
		Channel string `json:"channel"`
		User    string `json:"user"`
		Text    string `json:"text"`
	}{channel, user, text}, nil)
}

// openView opens a modal (views.open).
func (c *webAPI) openView(ctx context.Context, triggerID string, v view) error {
	return c.postJSON(ctx, "views.open", struct {
		TriggerID string `json:"trigger_id"`
		View      view   `json:"view"`
	}{triggerID, v}, nil)
}

// respond answers a slash command through its response_url.
func (b *Bot) respond(ctx context.Context, responseURL string, reply commandReply) error {
	if !b.allowedResponseURL(responseURL) {
		return errors.New("response_url is not a Slack URL")
	}
	body, err := marshal(reply)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := b.hc.Do(req)
	if err != nil {
		// The URL is a secret of sorts (it can post as the command for
		// half an hour): keep it out of the error.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("posting to the response_url: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("posting to the response_url: HTTP %d", resp.StatusCode)
	}
	return nil
}

// allowedResponseURL accepts Slack's hooks host, or the configured API
// URL's host (tests, proxies): a response_url is only ever posted to
// Slack.
func (b *Bot) allowedResponseURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.User != nil {
		return false
	}
	if u.Scheme == "https" && u.Host == "hooks.slack.com" {
		return true
	}
	base, err := url.Parse(b.api.base)
	return err == nil && u.Scheme == base.Scheme && u.Host == base.Host
}

// memberCache caches channel member lists.
type memberCache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]memberEntry
}

type memberEntry struct {
	members map[string]bool
	expires time.Time
}

func newMemberCache(ttl time.Duration) *memberCache {
	return &memberCache{ttl: ttl, m: make(map[string]memberEntry)}
}

// members returns a channel's members, from the cache while fresh.
func (b *Bot) channelMembers(ctx context.Context, channel string) (map[string]bool, error) {
	c := b.members
	now := b.now()
	c.mu.Lock()
	e, ok := c.m[channel]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.members, nil
	}
	members, err := b.api.channelMembers(ctx, channel)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.m[channel] = memberEntry{members: members, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return members, nil
}

// memberOf reports whether user is a member of one of the channels ("" is
// skipped). An error is returned only when no channel says yes and one
// could not be checked.
func (b *Bot) memberOf(ctx context.Context, user string, channels ...string) (bool, error) {
	var firstErr error
	for _, ch := range channels {
		if ch == "" {
			continue
		}
		m, err := b.channelMembers(ctx, ch)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("members of %s: %w", ch, err)
			}
			continue
		}
		if m[user] {
			return true, nil
		}
	}
	return false, firstErr
}
