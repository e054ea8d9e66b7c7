package web

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// Whatever a client puts in the session cookie, reading it does not panic,
// and only a cookie this server signed is a session.
func FuzzSessionCookie(f *testing.F) {
	ss := newSessions([]byte("0123456789abcdef0123456789abcdef"), time.Hour, false)
	now := time.Unix(1_800_000_000, 0)
	// Made by hand, not by issue (random IDs): every fuzz worker must
	// compute the same cookie.
	good := session{User: "alice", ID: "sid", CSRF: "csrf-token", Exp: now.Add(time.Hour).Unix()}
	payload, _ := json.Marshal(good)
	signed := base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(ss.sign(payload))
	f.Add(signed)
	f.Add("")
	f.Add(".")
	f.Add("eyJ1IjoiYWxpY2UifQ.AAAA")
	f.Add(signed[:len(signed)-2])
	if _, ok := ss.read(cookieReq(signed), now); !ok {
		f.Fatal("the signed cookie is not read back")
	}
	f.Fuzz(func(t *testing.T, v string) {
		s, ok := ss.read(cookieReq(v), now)
		if ok && (v != signed || s.User != "alice" || s.CSRF != good.CSRF) {
			t.Fatalf("accepted a cookie this server did not issue: %q -> %+v", v, s)
		}
	})
}

func cookieReq(v string) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: sessionCookie, Value: v})
	return r
}
