package app

import (
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/picket-dev/picket/internal/config"
	"github.com/picket-dev/picket/internal/route"
	"github.com/picket-dev/picket/internal/web"
)

// consoleUsers converts the configured console users.
func consoleUsers(h *config.HTTPConfig) []web.User {
	var out []web.User
	for _, u := range h.Users {
		role, _ := web.ParseRole(u.Role) // checked by Validate
		out = append(out, web.User{Principal: web.Principal{Name: u.Name, Role: role, Accounts: h.ResolveAccounts(u.Accounts)},
			PasswordHash: []byte(u.PasswordHash)})
	}
	return out
}

func proxyAuth(h *config.HTTPConfig) *web.ProxyAuth {
	if h.ProxyAuth == nil {
		return nil
	}
	p := &web.ProxyAuth{Header: h.ProxyAuth.Header}
	for _, s := range h.ProxyAuth.TrustedProxies {
		if pr, err := config.ParsePrefixOrAddr(s); err == nil {
			p.Trusted = append(p.Trusted, pr)
		}
	}
	return p
}

// secureCookies: on unless set off, or listening on loopback (plain HTTP
// on a developer's machine, where Secure cookies would never be sent).
func secureCookies(h *config.HTTPConfig) bool {
	if h.SecureCookies != nil {
		return *h.SecureCookies
	}
	host, _, err := net.SplitHostPort(h.Listen)
	if err != nil {
		return true
	}
	if host == "localhost" {
		return false
	}
	a, err := netip.ParseAddr(host)
	return err != nil || !a.IsLoopback()
}

// consoleAccounts lists the routing table for the accounts page.
func (a *App) consoleAccounts() []web.AccountInfo {
	var out []web.AccountInfo
	f := a.cfg.Routing.AccountsFile
	if f == "" {
		return nil
	}
	b, err := os.ReadFile(f)
	if err != nil {
		a.log.Warn("accounts page: reading the accounts file", "err", err)
		return nil
	}
	accts, err := route.ParseAccounts(b)
	if err != nil {
		a.log.Warn("accounts page: parsing the accounts file", "err", err)
		return nil
	}
	for _, r := range accts {
		ch := r.SlackConfig.ChannelName
		if ch == "" {
			ch = r.SlackConfig.ChannelID
		}
		out = append(out, web.AccountInfo{AccountID: r.AccountID, Channel: ch,
			Enabled: r.SlackConfig.Enabled == nil || *r.SlackConfig.Enabled, Webhooks: len(r.SlackConfig.WebhookOverrides)})
	}
	return out
}

// sourceHealth reads the pipeline's counters per source, with a rate
// over the last minute from the previous reading.
type sourceHealth struct {
	mu   sync.Mutex
	reg  prometheus.Gatherer
	now  func() time.Time
	last map[string]healthSample
}

type healthSample struct {
	at     time.Time
	events float64
}

func (h *sourceHealth) read() []web.SourceHealth {
	mfs, err := h.reg.Gather()
	if err != nil {
		return nil
	}
	by := map[string]*web.SourceHealth{}
	get := func(m *dto.Metric) *web.SourceHealth {
		var src string
		for _, l := range m.GetLabel() {
			if l.GetName() == "source" {
				src = l.GetValue()
			}
		}
		if src == "" {
			return nil
		}
		s := by[src]
		if s == nil {
			s = &web.SourceHealth{Source: src}
			by[src] = s
		}
		return s
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			switch mf.GetName() {
			case "picket_events_out_total":
				if s := get(m); s != nil {
					s.Events += m.GetCounter().GetValue()
				}
			case "picket_quarantined_total":
				if s := get(m); s != nil {
					s.Quarantined += m.GetCounter().GetValue()
				}
			case "picket_last_event_timestamp_seconds":
				if s := get(m); s != nil {
					if v := m.GetGauge().GetValue(); v > 0 {
						s.LastEventTime = time.Unix(int64(v), 0).UTC()
					}
				}
			}
		}
	}
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []web.SourceHealth
	for name, s := range by {
		prev, ok := h.last[name]
		if ok && now.Sub(prev.at) > time.Second {
			s.PerSecond = (s.Events - prev.events) / now.Sub(prev.at).Seconds()
		}
		if !ok || now.Sub(prev.at) >= time.Minute {
			h.last[name] = healthSample{at: now, events: s.Events}
		}
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b web.SourceHealth) int { return strings.Compare(a.Source, b.Source) })
	return out
}
