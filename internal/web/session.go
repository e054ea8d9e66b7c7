package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// User is a console user: a principal and, for password logins, the
// bcrypt hash of the password (the password itself is never stored).
type User struct {
	Principal
	PasswordHash []byte // empty: logs in only through the proxy header
}

// ProxyAuth trusts an identity header, but only on requests whose
// immediate peer is one of the trusted proxies: anyone else could set it.
type ProxyAuth struct {
	Header  string
	Trusted []netip.Prefix
}

// sessionCookie is the console's session cookie. __Host- cookies must be
// Secure, so the plain name is used when cookies are not.
const (
	sessionCookie       = "picket_session"
	secureSessionCookie = "__Host-picket_session"
)

// session is what the signed cookie carries. The cookie is the session:
// nothing is kept server-side but the IDs of sessions logged out early.
type session struct {
	User string `json:"u"`
	ID   string `json:"sid"`
	CSRF string `json:"csrf"`
	Exp  int64  `json:"exp"`
}

// sessions signs and verifies session cookies and remembers logouts.
type sessions struct {
	key    []byte
	ttl    time.Duration
	secure bool

	mu      sync.Mutex
	revoked map[string]int64       // session ID → expiry
	fails   map[string][]time.Time // login failures by user and address
}

func newSessions(key []byte, ttl time.Duration, secure bool) *sessions {
	if len(key) == 0 {
		key = make([]byte, 32)
		rand.Read(key)
	}
	if ttl <= 0 {
		ttl = 12 * time.Hour
	}
	return &sessions{key: key, ttl: ttl, secure: secure, revoked: map[string]int64{}, fails: map[string][]time.Time{}}
}

func (ss *sessions) cookieName() string {
	if ss.secure {
		return secureSessionCookie
	}
	return sessionCookie
}

func randomToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (ss *sessions) sign(payload []byte) []byte {
	m := hmac.New(sha256.New, ss.key)
	m.Write([]byte("picket-session\x00"))
	m.Write(payload)
	return m.Sum(nil)
}

// issue sets a new session cookie for user.
func (ss *sessions) issue(w http.ResponseWriter, user string, now time.Time) session {
	s := session{User: user, ID: randomToken(), CSRF: randomToken(), Exp: now.Add(ss.ttl).Unix()}
	payload, _ := json.Marshal(s)
	v := base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(ss.sign(payload))
	http.SetCookie(w, &http.Cookie{Name: ss.cookieName(), Value: v, Path: "/", HttpOnly: true, Secure: ss.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(ss.ttl.Seconds())})
	return s
}

// read returns the request's valid session, if any.
func (ss *sessions) read(r *http.Request, now time.Time) (session, bool) {
	var s session
	c, err := r.Cookie(ss.cookieName())
	if err != nil {
		return s, false
	}
	p, sig, ok := strings.Cut(c.Value, ".")
	if !ok {
		return s, false
	}
	payload, err1 := base64.RawURLEncoding.Strict().DecodeString(p)
	mac, err2 := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, ss.sign(payload)) {
		return s, false
	}
	if json.Unmarshal(payload, &s) != nil || s.User == "" || s.CSRF == "" || now.Unix() >= s.Exp {
		return session{}, false
	}
	ss.mu.Lock()
	_, gone := ss.revoked[s.ID]
	ss.mu.Unlock()
	if gone {
		return session{}, false
	}
	return s, true
}

// revoke ends a session before its expiry and clears the cookie.
func (ss *sessions) revoke(w http.ResponseWriter, s session, now time.Time) {
	ss.mu.Lock()
	ss.revoked[s.ID] = s.Exp
	for id, exp := range ss.revoked {
		if exp <= now.Unix() {
			delete(ss.revoked, id)
		}
	}
	ss.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: ss.cookieName(), Value: "", Path: "/", HttpOnly: true, Secure: ss.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// Login throttling: at most loginFailures failed attempts per user and
// client address in loginWindow.
const (
	loginFailures = 5
	loginWindow   = 5 * time.Minute
)

func (ss *sessions) throttled(key string, now time.Time) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	recent := ss.fails[key][:0]
	for _, t := range ss.fails[key] {
		if now.Sub(t) < loginWindow {
			recent = append(recent, t)
		}
	}
	ss.fails[key] = recent
	return len(recent) >= loginFailures
}

func (ss *sessions) failed(key string, now time.Time) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.fails) > 100_000 { // bound memory under a spray of names
		clear(ss.fails)
	}
	ss.fails[key] = append(ss.fails[key], now)
}

// dummyHash is compared against for unknown users, so that a login's
// timing does not tell which user names exist.
// Made on first use: hashing costs ~100 ms, which every command would pay.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("picket-no-such-user"), 12)
	return h
})

// checkPassword verifies a login; u is nil for unknown users.
func checkPassword(u *User, password string) bool {
	if u == nil || len(u.PasswordHash) == 0 {
		bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(password)) == nil
}

// HashPassword returns a bcrypt hash for http.users[].password_hash.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), 12)
	return string(h), err
}

// fromTrustedProxy reports whether the request's immediate peer is one of
// the trusted proxies.
func (p *ProxyAuth) fromTrustedProxy(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, pr := range p.Trusted {
		if pr.Contains(a) {
			return true
		}
	}
	return false
}

// csrfOK checks a form's token against the session's in constant time.
func csrfOK(r *http.Request, want string) bool {
	got := r.PostFormValue("csrf")
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
