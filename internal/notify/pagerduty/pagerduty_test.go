package pagerduty

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/notify"
	"github.com/picket-dev/picket/internal/notify/notifytest"
)

const routingKey = "R0UT1NGKEYEXAMPLE0000000000000AB"

func newNotifier() *Notifier {
	n := New(nil)
	n.now = func() time.Time { return notifytest.T0 }
	return n
}

func target(srv *notifytest.Server) notify.Target {
	return notify.Target{Kind: "pagerduty", Name: "security on-call", Token: routingKey, URL: srv.URL}
}

// accepted answers as the Events API does.
func accepted(w http.ResponseWriter, r notifytest.Request) {
	var e struct {
		DedupKey string `json:"dedup_key"`
	}
	_ = json.Unmarshal(r.Body, &e)
	notifytest.Reply(w, 202, `{"status":"success","message":"Event processed","dedup_key":"`+e.DedupKey+`"}`, "Content-Type", "application/json")
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  notify.Message
	}{
		{"high", notifytest.High()},
		{"repeat", notifytest.Repeat()},
		{"severity-increase", notifytest.SeverityIncrease()},
		{"sample", notifytest.Sample()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := notifytest.NewServer(t, accepted)
			res, err := newNotifier().Send(context.Background(), target(srv), tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			if res.Thread != tc.msg.Finding.ID {
				t.Errorf("Result.Thread = %q, want the dedup key %q", res.Thread, tc.msg.Finding.ID)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			r := reqs[0]
			if r.Method != http.MethodPost || r.Path != "/v2/enqueue" {
				t.Errorf("request %s %s, want POST /v2/enqueue", r.Method, r.Path)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			var e map[string]any
			if err := json.Unmarshal(r.Body, &e); err != nil {
				t.Fatal(err)
			}
			p, _ := e["payload"].(map[string]any)
			if e["routing_key"] != routingKey || e["event_action"] != "trigger" || e["dedup_key"] != tc.msg.Finding.ID ||
				p["summary"] == "" || p["source"] == "" || p["severity"] == "" {
				t.Errorf("event lacks required fields: %s", r.Body)
			}
			notifytest.Golden(t, tc.name+".golden.json", r.Body)
		})
	}
}

func TestSeverity(t *testing.T) {
	for _, tc := range []struct {
		sev  float64
		want string
	}{{1, "info"}, {3.9, "info"}, {4, "warning"}, {6.9, "warning"}, {7, "error"}, {8.9, "error"}, {9, "critical"}, {10, "critical"}} {
		m := notifytest.High()
		m.Finding.Severity = tc.sev
		if got := NewEvent(m).Payload.Severity; got != tc.want {
			t.Errorf("severity %.1f: %q, want %q", tc.sev, got, tc.want)
		}
		if got := Severity(finding.LabelOf(tc.sev)); got != tc.want {
			t.Errorf("Severity(%s) = %q, want %q", finding.LabelOf(tc.sev), got, tc.want)
		}
	}
}

func TestEvent(t *testing.T) {
	m := notifytest.High()
	m.Finding.Title = strings.Repeat("é", 2000)
	e := NewEvent(m)
	if n := len([]rune(e.Payload.Summary)); n != maxSummary {
		t.Errorf("summary of %d characters, want cut to %d", n, maxSummary)
	}
	if e.DedupKey != m.Finding.ID {
		t.Errorf("dedup_key %q", e.DedupKey)
	}
	if len(e.Links) != 2 || e.Links[0].Href != m.ConsoleURL || e.Links[1].Href != m.RunbookURL {
		t.Errorf("links %+v", e.Links)
	}
	m.ConsoleURL, m.RunbookURL = "", ""
	if e := NewEvent(m); e.Links != nil || e.ClientURL != "" {
		t.Errorf("links without URLs: %+v %q", e.Links, e.ClientURL)
	}
	if s := NewEvent(notifytest.Sample()).Payload.Summary; !strings.HasPrefix(s, "[SAMPLE] ") {
		t.Errorf("sample summary %q", s)
	}
}

func TestErrors(t *testing.T) {
	invalid := `{"status":"invalid event","message":"Event object is invalid","errors":["Length of 'routing_key' is incorrect"]}`
	for _, tc := range []struct {
		name   string
		status int
		body   string
		header []string
		want   *notifytest.Class // nil: success
	}{
		{"202", 202, `{"status":"success","dedup_key":"x"}`, nil, nil},
		{"202 without a body", 202, ``, nil, nil},
		{"400 invalid event", 400, invalid, nil, &notifytest.Class{Status: 400}},
		{"400 echoing the routing key", 400, `{"status":"invalid event","errors":["unknown routing key ` + routingKey + `"]}`, nil, &notifytest.Class{Status: 400}},
		{"403", 403, "", nil, &notifytest.Class{Status: 403}},
		{"404", 404, "", nil, &notifytest.Class{Status: 404}},
		{"429", 429, `{"status":"throttle event","message":"Requests for this service are arriving too quickly."}`, nil, &notifytest.Class{Retryable: true, Status: 429}},
		{"429 with Retry-After", 429, "", []string{"Retry-After", "20"}, &notifytest.Class{Retryable: true, RetryAfter: 20 * time.Second, Status: 429}},
		{"500", 500, "", nil, &notifytest.Class{Retryable: true, Status: 500}},
		{"502", 502, "", nil, &notifytest.Class{Retryable: true, Status: 502}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := notifytest.NewServer(t, func(w http.ResponseWriter, r notifytest.Request) {
				notifytest.Reply(w, tc.status, tc.body, tc.header...)
			})
			res, err := newNotifier().Send(context.Background(), target(srv), notifytest.High())
			if tc.want == nil {
				if err != nil {
					t.Errorf("error %v, want success", err)
				}
				if res.Thread == "" {
					t.Error("no dedup key in the result")
				}
				return
			}
			notifytest.CheckError(t, err, *tc.want, routingKey)
		})
	}
}

func TestNetworkError(t *testing.T) {
	srv := notifytest.NewServer(t, nil)
	tg := target(srv)
	srv.Close()
	_, err := newNotifier().Send(context.Background(), tg, notifytest.High())
	notifytest.CheckError(t, err, notifytest.Class{Retryable: true}, routingKey)
}

func TestNoRoutingKey(t *testing.T) {
	srv := notifytest.NewServer(t, accepted)
	tg := target(srv)
	tg.Token = ""
	_, err := newNotifier().Send(context.Background(), tg, notifytest.High())
	notifytest.CheckError(t, err, notifytest.Class{})
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests without a routing key", n)
	}
}

func TestDefaultURL(t *testing.T) {
	if DefaultURL+"/v2/enqueue" != "https://events.pagerduty.com/v2/enqueue" {
		t.Errorf("DefaultURL %q", DefaultURL)
	}
}
