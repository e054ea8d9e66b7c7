package web

import (
	"bufio"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/picket-dev/picket/internal/search"
	"github.com/picket-dev/picket/internal/store"
)

// Investigation search over stored raw events: the query language of
// package search, a time range, the caller's account scope applied by the
// store query, newest first with a cursor for the next page.

// eventSearch is a parsed search request.
type eventSearch struct {
	Query        string
	Since, Until time.Time
	Limit        int
	Before       *store.EventCursor
}

// maxSearchRange bounds a search's time range: an unbounded scan of
// every stored event is not an investigation.
const maxSearchRange = 31 * 24 * time.Hour

func parseEventSearch(v url.Values, now time.Time, maxLimit int) (eventSearch, *search.Query, error) {
	es := eventSearch{Query: strings.TrimSpace(v.Get("q")), Limit: 100}
	q, err := search.Parse(es.Query)
	if err != nil {
		return es, nil, badRequest("query: %v", err)
	}
	es.Until = now
	es.Since = now.Add(-24 * time.Hour)
	for _, k := range []string{"since", "until"} {
		s := v.Get(k)
		if s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			if d, derr := time.ParseDuration(s); derr == nil && d > 0 && k == "since" {
				t = now.Add(-d) // since=2h
			} else {
				return es, nil, badRequest("%s: want an RFC 3339 time (or, for since, a duration like 24h), got %q", k, s)
			}
		}
		if k == "since" {
			es.Since = t.UTC()
		} else {
			es.Until = t.UTC()
		}
	}
	if !es.Since.Before(es.Until) {
		return es, nil, badRequest("since must be before until")
	}
	if es.Until.Sub(es.Since) > maxSearchRange {
		return es, nil, badRequest("the time range is at most %d days", int(maxSearchRange.Hours()/24))
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxLimit {
			return es, nil, badRequest("limit: want 1-%d, got %q", maxLimit, l)
		}
		es.Limit = n
	}
	if b := v.Get("before"); b != "" {
		c, err := parseCursor(b)
		if err != nil {
			return es, nil, badRequest("before: %v", err)
		}
		es.Before = &c
	}
	return es, q, nil
}

// A cursor is "<unix nanoseconds>-<id>" of the last row of a page.
func cursorOf(e store.StoredEvent) string {
	return strconv.FormatInt(e.Time.UnixNano(), 10) + "-" + strconv.FormatInt(e.ID, 10)
}

func parseCursor(s string) (store.EventCursor, error) {
	a, b, ok := strings.Cut(s, "-")
	ns, err1 := strconv.ParseInt(a, 10, 64)
	id, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return store.EventCursor{}, errors.New("not a cursor from a previous page")
	}
	return store.EventCursor{Time: time.Unix(0, ns).UTC(), ID: id}, nil
}

// runSearch runs a search in the caller's scope.
func (s *Server) runSearch(r *http.Request, es eventSearch, q *search.Query) ([]store.StoredEvent, error) {
	accounts, ok := principalOf(r).scopeAccounts(nil)
	if !ok {
		return nil, nil
	}
	return s.Store.SearchEvents(r.Context(), store.EventQuery{Accounts: accounts, Filter: q, Since: es.Since, Until: es.Until,
		Before: es.Before, Limit: es.Limit})
}

// EventView is a stored event as the API shows it: the record inline
// when it is JSON.
type EventView struct {
	store.StoredEvent
	Raw any `json:"raw"`
}

func eventView(e store.StoredEvent) EventView {
	v := EventView{StoredEvent: e}
	if json.Valid(e.Raw) && utf8.Valid(e.Raw) {
		v.Raw = json.RawMessage(e.Raw)
	} else {
		v.Raw = string(e.Raw)
	}
	return v
}

// apiSearch is GET /api/v1/events?q=&since=&until=&limit=&before=.
func (s *Server) apiSearch(r *http.Request) (any, error) {
	es, q, err := parseEventSearch(r.URL.Query(), s.now(), 1000)
	if err != nil {
		return nil, err
	}
	evs, err := s.runSearch(r, es, q)
	if err != nil {
		return nil, err
	}
	out := make([]EventView, len(evs))
	for i, e := range evs {
		out[i] = eventView(e)
	}
	resp := map[string]any{"events": out, "query": es.Query, "since": es.Since, "until": es.Until}
	if len(evs) == es.Limit {
		resp["next"] = cursorOf(evs[len(evs)-1])
	}
	return resp, nil
}

// exportLimit bounds one export; page with before= for more.
const exportLimit = 100_000

// writeExport streams a search as JSON lines, one event per line, in
// pages so memory stays flat.
func (s *Server) writeExport(w http.ResponseWriter, r *http.Request, es eventSearch, q *search.Query) error {
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Content-Disposition", `attachment; filename="picket-events.jsonl"`)
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	total := 0
	page := es
	page.Limit = 1000
	for total < exportLimit {
		evs, err := s.runSearch(r, page, q)
		if err != nil {
			if total == 0 {
				return err
			}
			s.log().Error("export failed part-way", "err", err)
			break
		}
		for _, e := range evs {
			if err := enc.Encode(eventView(e)); err != nil {
				return nil // the client went away
			}
		}
		total += len(evs)
		if len(evs) < page.Limit {
			break
		}
		c := store.EventCursor{Time: evs[len(evs)-1].Time, ID: evs[len(evs)-1].ID}
		page.Before = &c
	}
	return bw.Flush()
}

// apiExport is GET /api/v1/events/export: the search as JSON lines.
func (s *Server) apiExport(w http.ResponseWriter, r *http.Request) {
	es, q, err := parseEventSearch(r.URL.Query(), s.now(), exportLimit)
	if err != nil {
		var he *httpError
		if errors.As(err, &he) {
			writeError(w, he.status, he.msg)
		} else {
			writeError(w, http.StatusBadRequest, err.Error())
		}
		return
	}
	if err := s.writeExport(w, r, es, q); err != nil {
		s.log().Error("export failed", "err", err)
		writeError(w, http.StatusInternalServerError, "internal error")
	}
}

type searchData struct {
	Query        string
	Since, Until string
	Events       []searchRow
	Next         string
	Export       string
	Fields       []string
	Ran          bool
}

type searchRow struct {
	store.StoredEvent
	Pretty string
}

func (s *Server) searchPage(w http.ResponseWriter, r *http.Request, v *view) error {
	form := r.URL.Query()
	d := searchData{Fields: search.Fields()}
	v.Title, v.Nav, v.Data = "Search", "search", &d
	es, q, err := parseEventSearch(form, s.now(), 500)
	d.Query = es.Query
	d.Since, d.Until = es.Since.Format(time.RFC3339), es.Until.Format(time.RFC3339)
	if err != nil {
		v.Error = err.Error()
		s.render(w, http.StatusBadRequest, "search", v)
		return nil
	}
	evs, err := s.runSearch(r, es, q)
	if err != nil {
		return err
	}
	d.Ran = true
	for _, e := range evs {
		d.Events = append(d.Events, searchRow{StoredEvent: e, Pretty: prettyJSON(e.Raw)})
	}
	base := url.Values{"q": {es.Query}, "since": {d.Since}, "until": {d.Until}}
	if len(evs) == es.Limit {
		nx := url.Values{"q": {es.Query}, "since": {d.Since}, "until": {d.Until}, "before": {cursorOf(evs[len(evs)-1])}}
		d.Next = "/search?" + nx.Encode()
	}
	d.Export = "/search/export?" + base.Encode()
	s.render(w, http.StatusOK, "search", v)
	return nil
}

func (s *Server) searchExport(w http.ResponseWriter, r *http.Request, v *view) error {
	es, q, err := parseEventSearch(r.URL.Query(), s.now(), exportLimit)
	if err != nil {
		return err
	}
	return s.writeExport(w, r, es, q)
}
