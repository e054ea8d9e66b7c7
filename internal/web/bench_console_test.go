package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/alert"
	"github.com/picket-dev/picket/internal/store"
	"github.com/picket-dev/picket/internal/store/sqlite"
	"github.com/picket-dev/picket/internal/store/sqlite/sqlitebench"
)

// BenchmarkConsole serves console pages through the real handlers
// (session cookie, scope, store queries, templates) on a SQLite database
// of a million findings and ten million stored events, which package
// sqlitebench builds once into os.TempDir(). ns/op is the server time of
// one request. "Big" is the account with the most findings and events.
//
//	go test -run '^$' -bench Console -benchtime 20x ./internal/web
func BenchmarkConsole(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 1M-finding, 10M-event database; skipped with -short")
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlitebench.Combined(b))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	since, until := sqlitebench.EventDay(sqlitebench.EventDays / 2)
	var scope []string // a console user's 100 accounts
	for i := range 100 {
		scope = append(scope, sqlitebench.Account(i*7))
	}
	srv := &Server{Store: st, Now: func() time.Time { return until },
		Users: []User{
			{Principal: Principal{Name: "alice", Role: Admin}},
			{Principal: Principal{Name: "dana", Role: Responder, Accounts: scope}},
		}}
	h := srv.Handler()
	cookie := func(user string) []*http.Cookie {
		rec := httptest.NewRecorder()
		srv.sessions.issue(rec, user, until)
		return rec.Result().Cookies()
	}
	admin, scoped := cookie("alice"), cookie("dana")

	big := sqlitebench.Account(0)
	// A finding of the big account with an alert (so its history is read
	// too), and one of a mid-sized account.
	detail := func(acct string) string {
		fs, _, err := st.ListFindings(ctx, store.FindingQuery{Accounts: []string{acct}, AlertStates: []string{string(alert.Acknowledged)}, Limit: 1})
		if err != nil || len(fs) == 0 {
			b.Fatalf("no finding in %s: %v", acct, err)
		}
		return "/findings/" + fs[0].ID
	}
	day := func(q, acct string) string {
		if acct != "" {
			q = strings.TrimSpace(`account="` + acct + `" ` + q)
		}
		return "/search?" + url.Values{"q": {q}, "since": {since.Format(time.RFC3339)}, "until": {until.Format(time.RFC3339)}}.Encode()
	}
	pages := []struct {
		name    string
		path    string
		cookies []*http.Cookie
	}{
		{"Findings", "/findings", admin},
		{"FindingsHigh", "/findings?band=High", admin},
		{"FindingsAccount", "/findings?account=" + big, admin},
		{"FindingsText", "/findings?q=deploy-bot-17", admin},
		{"FindingsAccountHighText", "/findings?account=" + big + "&band=High&q=deploy-bot-17", admin},
		{"FindingsScope100", "/findings", scoped},
		{"FindingsScope100High", "/findings?band=High", scoped},
		{"FindingDetailBig", detail(big), admin},
		{"FindingDetailMid", detail(sqlitebench.Account(50)), admin},
		{"SearchBigDay", day("", big), admin},
		{"SearchBigDayActionDelete", day("action=Delete*", big), admin},
		{"SearchBigDayActorAlice", day("actor=*alice*", big), admin},
		{"SearchMidDay", day("", sqlitebench.Account(50)), admin},
		{"SearchAdminDay", day("", ""), admin},
		{"SearchScope100Day", day("", ""), scoped},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			var size int
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, p.path, nil)
				for _, c := range p.cookies {
					req.AddCookie(c)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("GET %s: %d %s", p.path, rec.Code, rec.Body.String()[:min(rec.Body.Len(), 500)])
				}
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(size), "bytes")
		})
	}
}
