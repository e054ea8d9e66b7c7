// Package receiver is Picket's HTTP receiver for pushed logs and findings:
// POST /v1/ingest/{source}.
//
// Each configured source authenticates its clients with bearer tokens
// (Authorization: Bearer <token>, Amazon Data Firehose's
// X-Amz-Firehose-Access-Key, or a configured API-key header such as the one
// an EventBridge API destination connection sends), with HMAC-SHA256
// signatures (X-Picket-Timestamp and X-Picket-Signature, the scheme of
// Picket's outgoing webhooks), or both. Authenticated bodies are handed to
// an Ingester, which decodes, detects and commits before the receiver
// answers, so a 200 means the records are stored.
//
// Sources marked Firehose speak the Amazon Data Firehose HTTP endpoint
// delivery protocol (see firehose.go): the JSON envelope's base64 records
// are decoded (and gunzipped when they are CloudWatch Logs subscription
// records), joined by newlines and ingested as one body, and every answer is
// Firehose's {"requestId","timestamp"[,"errorMessage"]} JSON. A Firehose
// retry of a request already stored is answered again without ingesting it
// twice.
//
// The receiver never logs tokens, signatures or bodies.
package receiver

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Defaults and limits.
const (
	// Pattern is the ServeMux pattern the receiver serves.
	Pattern = "POST /v1/ingest/{source}"
	// DefaultFormat is a source's format when none is configured.
	DefaultFormat = "auto"
	// DefaultMaxBodyBytes limits a request body (and its decompressed
	// form) when a source sets no limit.
	DefaultMaxBodyBytes = 10 << 20
	// DefaultMaxSkew is how far an HMAC-signed request's timestamp may be
	// from the receiver's clock, and how long its signature is remembered
	// to refuse replays.
	DefaultMaxSkew = 5 * time.Minute
	// IdempotencyWindow is how long a stored Firehose request id is
	// remembered to answer Firehose's retries without ingesting twice
	// (at least the source's MaxSkew).
	IdempotencyWindow = time.Hour
	// MinSecretLen is the minimum length of a token or HMAC key.
	MinSecretLen = 16
	// MaxRememberedRequests bounds each of the receiver's two memories (of
	// signatures and of Firehose request ids).
	MaxRememberedRequests = 100_000
	// maxRequestIDLen bounds an X-Amz-Firehose-Request-Id (a GUID).
	maxRequestIDLen = 128
	// maxErrorMessage bounds the errorMessage of an answer.
	maxErrorMessage = 1024
	// retryAfterSeconds is the Retry-After of a 503.
	retryAfterSeconds = "10"
)

// Request headers.
const (
	HeaderTimestamp         = "X-Picket-Timestamp"
	HeaderSignature         = "X-Picket-Signature"
	HeaderFirehoseRequestID = "X-Amz-Firehose-Request-Id"
	HeaderFirehoseAccessKey = "X-Amz-Firehose-Access-Key"
	signaturePrefix         = "sha256="
)

// Ingester stores a pushed body: the receiver hands over the bytes after
// authentication; Ingest decodes (format "auto" or the source's), detects,
// and commits findings before returning (so a 200 means stored).
//
// A returned error of type *BadInputError means the body was not acceptable
// (answered 400; the Ingester has already quarantined it); any other error
// is answered 503, which Firehose and EventBridge retry.
type Ingester interface {
	Ingest(ctx context.Context, req Request) (Result, error)
}

// Request is one authenticated body handed to the Ingester.
type Request struct {
	Source    string // configured source name from the URL
	Format    string // from the source's config ("auto" default)
	Body      []byte // the records: for Firehose, the decoded records joined by "\n"
	RequestID string // Firehose X-Amz-Firehose-Request-Id, or a generated id
	Remote    string // client address (http.Request.RemoteAddr), for the quarantine origin
}

// Result counts what Ingest stored.
type Result struct {
	Records, Events, Quarantined int64
	Findings                     int
}

// BadInputError is returned by an Ingester for a body it cannot accept
// (and has quarantined). Its message is sent to the client.
type BadInputError struct {
	Msg string
	Err error
}

func (e *BadInputError) Error() string {
	switch {
	case e.Msg != "" && e.Err != nil:
		return e.Msg + ": " + e.Err.Error()
	case e.Err != nil:
		return e.Err.Error()
	case e.Msg != "":
		return e.Msg
	}
	return "bad input"
}

func (e *BadInputError) Unwrap() error { return e.Err }

// Auth is how a source authenticates its clients; a request passing any
// one method is accepted.
type Auth struct {
	// Tokens are bearer tokens (already resolved from the environment),
	// accepted in Authorization: Bearer <token>, X-Amz-Firehose-Access-Key
	// (Firehose sends its configured access key there) and Header.
	Tokens []string
	// Header optionally names another header carrying a token verbatim,
	// such as the API key header of an EventBridge API destination
	// connection ("X-Api-Key").
	Header string
	// HMACKeys verify X-Picket-Signature: sha256=<hex HMAC-SHA256 of
	// "<X-Picket-Timestamp>.<body as sent>">.
	HMACKeys []string
	// MaxSkew bounds |now - X-Picket-Timestamp| (DefaultMaxSkew if 0).
	MaxSkew time.Duration
}

// SourceConfig configures one push source.
type SourceConfig struct {
	Name   string // the {source} of the URL
	Format string // decoder format passed to the Ingester (DefaultFormat if empty)
	Auth   Auth
	// MaxBodyBytes limits the body as sent (DefaultMaxBodyBytes if 0).
	MaxBodyBytes int64
	// MaxDecodedBytes limits the body after Content-Encoding: gzip and,
	// for Firehose, the decoded records joined (MaxBodyBytes if 0).
	MaxDecodedBytes int64
	// Firehose marks an Amazon Data Firehose HTTP endpoint destination.
	Firehose bool
}

type source struct {
	cfg         SourceConfig
	tokenHashes [][sha256.Size]byte
	hmacKeys    [][]byte
	idWindow    time.Duration
}

// Receiver is the http.Handler of POST /v1/ingest/{source}.
type Receiver struct {
	sources map[string]*source
	ing     Ingester
	log     *slog.Logger
	now     func() time.Time
	metrics *metrics
	sigs    *seenCache // signatures of HMAC-signed requests: refuse replays
	ids     *seenCache // Firehose request ids: answer retries
}

var (
	validName   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
	validHeader = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_|~-]+$`)
)

// New validates the sources and returns their receiver. log may be nil (no
// logging), now nil (time.Now).
func New(sources []SourceConfig, ing Ingester, log *slog.Logger, now func() time.Time) (*Receiver, error) {
	if ing == nil {
		return nil, errors.New("receiver: nil Ingester")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	r := &Receiver{
		sources: make(map[string]*source, len(sources)),
		ing:     ing,
		log:     log,
		now:     now,
		metrics: newMetrics(),
		sigs:    newSeenCache(MaxRememberedRequests, true),
		ids:     newSeenCache(MaxRememberedRequests, false),
	}
	var errs []error
	for i, cfg := range sources {
		s, err := newSource(cfg)
		if err != nil {
			errs = append(errs, fmt.Errorf("receiver: source %d (%q): %w", i, cfg.Name, err))
			continue
		}
		if _, dup := r.sources[cfg.Name]; dup {
			errs = append(errs, fmt.Errorf("receiver: source %d: duplicate name %q", i, cfg.Name))
			continue
		}
		r.sources[cfg.Name] = s
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return r, nil
}

func newSource(cfg SourceConfig) (*source, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !validName.MatchString(cfg.Name) {
		bad("name must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	if cfg.Format == "" {
		cfg.Format = DefaultFormat
	}
	a := &cfg.Auth
	if len(a.Tokens) == 0 && len(a.HMACKeys) == 0 {
		bad("no authentication: configure at least one token or HMAC key")
	}
	if cfg.Firehose && len(a.Tokens) == 0 {
		bad("a Firehose source needs a token (Firehose sends it as its access key; it cannot sign)")
	}
	for i, t := range a.Tokens {
		if len(t) < MinSecretLen {
			bad("token %d is shorter than %d characters", i, MinSecretLen)
		}
	}
	for i, k := range a.HMACKeys {
		if len(k) < MinSecretLen {
			bad("HMAC key %d is shorter than %d characters", i, MinSecretLen)
		}
	}
	if a.Header != "" {
		if !validHeader.MatchString(a.Header) {
			bad("auth header %q is not a valid header name", a.Header)
		}
		if len(a.Tokens) == 0 {
			bad("auth header %q is set but there are no tokens to compare it to", a.Header)
		}
		switch http.CanonicalHeaderKey(a.Header) {
		case HeaderTimestamp, HeaderSignature, HeaderFirehoseRequestID:
			bad("auth header %q is reserved", a.Header)
		}
		a.Header = http.CanonicalHeaderKey(a.Header)
	}
	if a.MaxSkew < 0 || (a.MaxSkew > 0 && a.MaxSkew < time.Second) {
		bad("max skew must be at least 1s (timestamps are whole seconds)")
	} else if a.MaxSkew == 0 {
		a.MaxSkew = DefaultMaxSkew
	}
	if cfg.MaxBodyBytes < 0 || cfg.MaxDecodedBytes < 0 {
		bad("negative body size limit")
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxDecodedBytes == 0 {
		cfg.MaxDecodedBytes = cfg.MaxBodyBytes
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s := &source{cfg: cfg, idWindow: max(IdempotencyWindow, a.MaxSkew)}
	for _, t := range a.Tokens {
		s.tokenHashes = append(s.tokenHashes, sha256.Sum256([]byte(t)))
	}
	for _, k := range a.HMACKeys {
		s.hmacKeys = append(s.hmacKeys, []byte(k))
	}
	// Do not keep the secrets in the config copy.
	s.cfg.Auth.Tokens, s.cfg.Auth.HMACKeys = nil, nil
	return s, nil
}

// Register serves the receiver on mux at Pattern. Other methods on the path
// are answered 405 by the mux (unless another pattern matches them).
func (r *Receiver) Register(mux *http.ServeMux) {
	mux.Handle(Pattern, r)
}

// call is the state of one request, for its answer, log line and metrics.
type call struct {
	source       string // metric label: the configured name, or unknownSourceLabel
	pathSource   string // the {source} asked for, for the log
	requestID    string
	fromFirehose bool // requestID came from X-Amz-Firehose-Request-Id
	firehose     bool // the source is a Firehose source
	bytes        int
	status       int
	msg          string // errorMessage
	cause        string // detail for the log only
	res          *Result
	rejected     bool // the Ingester returned a BadInputError
	duplicate    bool // answered from the memory of a completed request
	retry        bool // add Retry-After
}

func (c *call) fail(status int, msg string) {
	c.status, c.msg = status, msg
}

// ServeHTTP implements http.Handler.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	start := time.Now()
	c := &call{source: unknownSourceLabel, requestID: req.Header.Get(HeaderFirehoseRequestID)}
	c.fromFirehose = c.requestID != ""
	if !c.fromFirehose {
		c.requestID = newRequestID()
	}
	r.handle(w, req, c)
	r.respond(w, c)
	r.record(req, c, time.Since(start))
}

func (r *Receiver) handle(w http.ResponseWriter, req *http.Request, c *call) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		c.fail(http.StatusMethodNotAllowed, "method not allowed: use POST")
		return
	}
	name := sourceName(req)
	c.pathSource = name
	src, ok := r.sources[name]
	if !ok {
		c.fail(http.StatusNotFound, "unknown source")
		return
	}
	c.source = name
	c.firehose = src.cfg.Firehose
	now := r.now()

	var raw []byte
	haveRaw := false
	if tokenOK, presented := src.checkToken(req.Header); !tokenOK {
		sig := req.Header.Get(HeaderSignature)
		if sig == "" || len(src.hmacKeys) == 0 {
			if presented || sig != "" {
				c.fail(http.StatusUnauthorized, "invalid credentials")
			} else {
				c.fail(http.StatusUnauthorized, "missing credentials")
			}
			return
		}
		tsText := req.Header.Get(HeaderTimestamp)
		ts, err := strconv.ParseInt(tsText, 10, 64)
		if err != nil {
			c.fail(http.StatusUnauthorized, "missing or invalid "+HeaderTimestamp+": want Unix seconds")
			return
		}
		skew := src.cfg.Auth.MaxSkew
		signed := time.Unix(ts, 0)
		// Whole seconds, as the timestamp is: |now - ts| <= skew.
		if d := now.Unix() - ts; d > int64(skew/time.Second) || d < -int64(skew/time.Second) {
			c.fail(http.StatusUnauthorized, fmt.Sprintf("%s is outside the allowed window of ±%s", HeaderTimestamp, skew))
			return
		}
		mac, ok := parseSignature(sig)
		if !ok {
			c.fail(http.StatusUnauthorized, "malformed "+HeaderSignature+": want sha256=<hex>")
			return
		}
		if raw, ok = r.readBody(w, req, src, c); !ok {
			return
		}
		haveRaw = true
		if !src.verifySignature(tsText, raw, mac) {
			c.fail(http.StatusUnauthorized, "invalid signature")
			return
		}
		// Remember the signature while its timestamp is acceptable (and a
		// second more, as timestamps are whole seconds).
		key := name + "\x00" + string(mac)
		expires := signed.Add(skew + time.Second)
		switch res, _ := r.sigs.begin(key, now, expires); res {
		case beginNew:
		case beginFull:
			c.fail(http.StatusServiceUnavailable, "too many recent signed requests to guard against replay; retry later")
			c.retry = true
			return
		default:
			c.fail(http.StatusConflict, "replayed request: this signature has already been used")
			return
		}
		defer func() {
			if c.status == 0 || c.status >= 500 {
				r.sigs.release(key) // not processed: let the client retry
			} else {
				r.sigs.complete(key, expires, c.status, "")
			}
		}()
	}

	if c.firehose && c.fromFirehose {
		if len(c.requestID) > maxRequestIDLen {
			c.fail(http.StatusBadRequest, fmt.Sprintf("%s is longer than %d characters", HeaderFirehoseRequestID, maxRequestIDLen))
			return
		}
		key := name + "\x00" + c.requestID
		switch res, e := r.ids.begin(key, now, now.Add(src.idWindow)); res {
		case beginDone:
			c.status, c.msg, c.duplicate = e.status, e.msg, true
			return
		case beginPending:
			c.fail(http.StatusServiceUnavailable, "a request with this "+HeaderFirehoseRequestID+" is still being processed; retry later")
			c.retry = true
			return
		}
		defer func() {
			if c.status == http.StatusOK || c.rejected {
				r.ids.complete(key, r.now().Add(src.idWindow), c.status, c.msg)
			} else {
				r.ids.release(key)
			}
		}()
	}

	if !haveRaw {
		var ok bool
		if raw, ok = r.readBody(w, req, src, c); !ok {
			return
		}
	}
	body, err := decodeContent(raw, req.Header.Get("Content-Encoding"), src.cfg.MaxDecodedBytes)
	if err != nil {
		c.fail(statusOf(err), err.Error())
		return
	}

	var payload []byte
	if c.firehose {
		out, n, _, err := parseFirehose(body, src.cfg.MaxDecodedBytes)
		if err != nil {
			c.fail(statusOf(err), err.Error())
			return
		}
		if n == 0 {
			c.status, c.res = http.StatusOK, &Result{}
			return
		}
		payload = out
	} else {
		if len(bytes.TrimSpace(body)) == 0 {
			c.fail(http.StatusBadRequest, "empty body")
			return
		}
		payload = body
	}

	res, err := r.ing.Ingest(req.Context(), Request{
		Source:    name,
		Format:    src.cfg.Format,
		Body:      payload,
		RequestID: c.requestID,
		Remote:    req.RemoteAddr,
	})
	if err != nil {
		var bad *BadInputError
		if errors.As(err, &bad) {
			c.fail(http.StatusBadRequest, truncate(bad.Error(), maxErrorMessage))
			c.rejected = true
			return
		}
		c.fail(http.StatusServiceUnavailable, "the records could not be stored; retry later")
		c.cause = err.Error()
		c.retry = true
		return
	}
	c.status, c.res = http.StatusOK, &res
}

// sourceName returns the {source} of the URL; without a ServeMux pattern
// (the receiver used as a plain handler) it is the last path segment after
// /v1/ingest/.
func sourceName(req *http.Request) string {
	if name := req.PathValue("source"); name != "" {
		return name
	}
	name, ok := strings.CutPrefix(req.URL.Path, "/v1/ingest/")
	if !ok || strings.Contains(name, "/") {
		return ""
	}
	return name
}

// checkToken reports whether a token header matches one of the source's
// tokens, and whether any token header was presented. Every candidate is
// compared, as a SHA-256 digest (so lengths do not leak), to every token in
// constant time.
func (s *source) checkToken(h http.Header) (ok, presented bool) {
	var cands []string
	if v := h.Get("Authorization"); v != "" {
		presented = true
		if scheme, tok, found := strings.Cut(v, " "); found && strings.EqualFold(scheme, "Bearer") {
			cands = append(cands, strings.TrimSpace(tok))
		}
	}
	if v := h.Get(HeaderFirehoseAccessKey); v != "" {
		presented = true
		cands = append(cands, v)
	}
	if s.cfg.Auth.Header != "" {
		if v := h.Get(s.cfg.Auth.Header); v != "" {
			presented = true
			cands = append(cands, v)
		}
	}
	match := 0
	for _, cand := range cands {
		sum := sha256.Sum256([]byte(cand))
		for i := range s.tokenHashes {
			match |= subtle.ConstantTimeCompare(sum[:], s.tokenHashes[i][:])
		}
	}
	return match == 1, presented
}

// parseSignature decodes "sha256=<hex>".
func parseSignature(v string) ([]byte, bool) {
	hexMAC, ok := strings.CutPrefix(strings.TrimSpace(v), signaturePrefix)
	if !ok || len(hexMAC) != 2*sha256.Size {
		return nil, false
	}
	mac, err := hex.DecodeString(hexMAC)
	if err != nil {
		return nil, false
	}
	return mac, true
}

// Sign returns the X-Picket-Signature value for body sent with timestamp
// (Unix seconds as sent in X-Picket-Timestamp): "sha256=" and the hex
// HMAC-SHA256 of "<timestamp>.<body>".
func Sign(key []byte, timestamp string, body []byte) string {
	return signaturePrefix + hex.EncodeToString(computeMAC(key, timestamp, body))
}

func computeMAC(key []byte, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	io.WriteString(m, timestamp)
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// verifySignature checks mac against every HMAC key in constant time.
func (s *source) verifySignature(timestamp string, body, mac []byte) bool {
	ok := false
	for _, k := range s.hmacKeys {
		if hmac.Equal(computeMAC(k, timestamp, body), mac) {
			ok = true
		}
	}
	return ok
}

// readBody reads the body as sent, at most the source's MaxBodyBytes.
func (r *Receiver) readBody(w http.ResponseWriter, req *http.Request, src *source, c *call) ([]byte, bool) {
	limit := src.cfg.MaxBodyBytes
	tooLarge := func() {
		c.fail(http.StatusRequestEntityTooLarge, (&tooLargeError{what: "request body", limit: limit}).Error())
	}
	if req.ContentLength > limit {
		tooLarge()
		return nil, false
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, req.Body, limit))
	c.bytes = len(raw)
	r.metrics.received(c.source, len(raw))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			tooLarge()
			return nil, false
		}
		c.fail(http.StatusBadRequest, "could not read the request body")
		c.cause = err.Error()
		return nil, false
	}
	return raw, true
}

// errUnsupportedEncoding answers an unknown Content-Encoding.
var errUnsupportedEncoding = errors.New("unsupported Content-Encoding: use gzip or none")

// decodeContent undoes the Content-Encoding (gzip or none).
func decodeContent(raw []byte, encoding string, limit int64) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "", "identity":
		if int64(len(raw)) > limit {
			return nil, &tooLargeError{what: "request body", limit: limit}
		}
		return raw, nil
	case "gzip", "x-gzip":
		out, err := gunzipLimit(raw, limit)
		var tl *tooLargeError
		if err != nil && !errors.As(err, &tl) {
			return nil, &envelopeError{msg: "invalid gzip body: " + err.Error()}
		}
		return out, err
	}
	return nil, errUnsupportedEncoding
}

// statusOf maps a body decoding error to its status.
func statusOf(err error) int {
	var tl *tooLargeError
	switch {
	case errors.As(err, &tl):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errUnsupportedEncoding):
		return http.StatusUnsupportedMediaType
	}
	return http.StatusBadRequest
}

func (r *Receiver) respond(w http.ResponseWriter, c *call) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	switch c.status {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", "Bearer")
	case http.StatusServiceUnavailable:
		h.Set("Retry-After", retryAfterSeconds)
	}
	resp := response{RequestID: c.requestID, Timestamp: r.now().UnixMilli()}
	if c.status != http.StatusOK {
		resp.ErrorMessage = truncate(c.msg, maxErrorMessage)
		if resp.ErrorMessage == "" {
			resp.ErrorMessage = http.StatusText(c.status)
		}
	} else if !c.firehose && c.res != nil {
		resp.counts = &counts{Records: c.res.Records, Events: c.res.Events, Quarantined: c.res.Quarantined, Findings: c.res.Findings}
	}
	b, err := json.Marshal(resp)
	if err != nil { // cannot happen: strings and numbers only
		b = []byte(`{}`)
	}
	w.WriteHeader(c.status)
	w.Write(append(b, '\n'))
}

// record counts and logs the request: never tokens, signatures or bodies.
func (r *Receiver) record(req *http.Request, c *call, d time.Duration) {
	r.metrics.request(c.source, c.status)
	level := slog.LevelInfo
	switch {
	case c.status >= 500:
		level = slog.LevelError
	case c.status >= 400:
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{
		slog.String("request_id", c.requestID),
		slog.String("source", c.source),
		slog.String("remote", req.RemoteAddr),
		slog.Int("status", c.status),
		slog.Int("bytes", c.bytes),
		slog.Duration("duration", d),
	}
	if c.source == unknownSourceLabel && c.pathSource != "" {
		attrs = append(attrs, slog.String("requested_source", truncate(c.pathSource, 64)))
	}
	if c.res != nil {
		attrs = append(attrs,
			slog.Int64("records", c.res.Records),
			slog.Int64("events", c.res.Events),
			slog.Int64("quarantined", c.res.Quarantined),
			slog.Int("findings", c.res.Findings))
	}
	if c.duplicate {
		attrs = append(attrs, slog.Bool("duplicate", true))
	}
	if c.status != http.StatusOK {
		attrs = append(attrs, slog.String("error", truncate(c.msg, 256)))
	}
	if c.cause != "" {
		attrs = append(attrs, slog.String("cause", truncate(c.cause, 512)))
	}
	r.log.LogAttrs(req.Context(), level, "ingest request", attrs...)
}

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Do not cut a UTF-8 sequence.
	for n > 0 && n < len(s) && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
