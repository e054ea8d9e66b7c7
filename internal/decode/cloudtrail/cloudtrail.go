// Package cloudtrail decodes AWS CloudTrail records in every shape users
// have them: S3 log files ({"Records":[…]}), JSON lines or arrays of
// records, EventBridge events ("AWS API Call via CloudTrail" and the other
// CloudTrail detail-types), CloudTrail Lake and lookup-events output (the
// record as a "CloudTrailEvent" string, or raw records under "Events"), and
// Insights events. Digest files are skipped.
//
// The hot path allocates nothing per record: records are split by
// jsonstream, parsed with a reused fastjson parser, and the event's strings
// borrow the parser's memory (see package event).
package cloudtrail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/decode/jsonstream"
	"github.com/picket-dev/picket/internal/event"
)

// Format is the registry name of this decoder.
const Format = "cloudtrail"

// Decoder decodes CloudTrail streams. Not safe for concurrent use.
type Decoder struct {
	sc    *jsonstream.Scanner
	max   int
	p     fastjson.Parser // the record or envelope
	inner fastjson.Parser // a record held as a string (CloudTrailEvent)
	ev    event.Event
}

// New returns a CloudTrail decoder.
func New() decode.Decoder { return &Decoder{} }

// errSkip marks records that are deliberately ignored (digest files).
var errSkip = errors.New("skipped")

// Decode implements decode.Decoder.
func (d *Decoder) Decode(ctx context.Context, r io.Reader, o decode.Options, h decode.Handler) (st decode.Stats, err error) {
	if d.sc == nil || d.max != o.MaxRecordBytes {
		d.sc = jsonstream.NewScanner(r, o.MaxRecordBytes, "Records", "Events")
		d.max = o.MaxRecordBytes
	} else {
		d.sc.Reset(r)
	}
	defer func() { st.Bytes = d.sc.Offset() }()
	for idx := int64(0); ; idx++ {
		if idx&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return st, err
			}
		}
		it, err := d.sc.Next()
		if err == io.EOF {
			return st, nil
		}
		st.Records = idx + 1
		if idx < o.Start {
			st.Skipped++
			continue
		}
		origin := o.Origin
		origin.Index, origin.Offset, origin.Line = idx, it.Offset, it.Line
		if it.Err != nil {
			st.Quarantined++
			if err := h.Quarantine(decode.Bad{Origin: origin, Reason: it.Err.Error(), Sample: it.Bytes, Err: it.Err, Tail: it.Tail}); err != nil {
				return st, err
			}
			continue
		}
		err = d.decodeRecord(it.Bytes)
		switch {
		case err == errSkip:
			st.Skipped++
		case err != nil:
			st.Quarantined++
			if err := h.Quarantine(decode.Bad{Origin: origin, Reason: err.Error(), Sample: it.Bytes}); err != nil {
				return st, err
			}
		default:
			d.ev.Origin = origin
			st.Events++
			if err := h.Event(&d.ev); err != nil {
				return st, err
			}
		}
	}
}

// Parse decodes a single record (any supported shape) into a new event that
// the caller owns. For tests and tools; the stream path is Decode.
func Parse(b []byte) (*event.Event, error) {
	var d Decoder
	if err := d.decodeRecord(b); err != nil {
		return nil, err
	}
	return d.ev.Clone(), nil
}

// DecodeRecord decodes one record (any supported shape) that arrived on
// its own — an HTTP delivery, a queue message, a benchmark. The event
// borrows the decoder's memory and b: it is valid until the next call.
// A digest record is reported as ErrSkipped.
func (d *Decoder) DecodeRecord(b []byte) (*event.Event, error) {
	if err := d.decodeRecord(b); err != nil {
		if err == errSkip {
			return nil, ErrSkipped
		}
		return nil, err
	}
	return &d.ev, nil
}

// ErrSkipped is returned for records that are deliberately not events.
var ErrSkipped = errSkip

// decodeRecord parses one record, envelope or wrapper into d.ev.
func (d *Decoder) decodeRecord(b []byte) error {
	v, err := d.p.ParseBytes(b)
	if err != nil {
		return fmt.Errorf("malformed JSON: %s", shortErr(err))
	}
	d.ev.Reset()
	d.ev.RawBytes = b
	return d.fill(v, 0)
}

// wrappers found while filling a record.
type shape struct {
	detailType  *fastjson.Value
	detail      *fastjson.Value
	ctEvent     *fastjson.Value
	digest      bool
	insight     bool
	badField    string
	badType     fastjson.Type
	account     string // envelope account, used when the record has none
	region      string
	sessionAttr *fastjson.Value
}

// fill reads the object v into d.ev. depth guards the unwrap recursion.
func (d *Decoder) fill(v *fastjson.Value, depth int) error {
	if v.Type() != fastjson.TypeObject {
		return fmt.Errorf("not a CloudTrail record: expected a JSON object, got %s", v.Type())
	}
	o, _ := v.Object()
	e := &d.ev
	var sh shape
	var timeVal, respVal *fastjson.Value
	o.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(k) {
		case "eventTime":
			timeVal = fv
		case "eventName":
			e.Action = sh.str(fv, "eventName")
		case "eventSource":
			e.Service = sh.str(fv, "eventSource")
		case "eventID":
			e.ID = sh.str(fv, "eventID")
		case "eventType":
			e.Type = sh.str(fv, "eventType")
		case "eventCategory":
			e.Category = sh.str(fv, "eventCategory")
		case "awsRegion":
			e.Region = sh.str(fv, "awsRegion")
		case "recipientAccountId":
			e.Account = sh.str(fv, "recipientAccountId")
		case "sourceIPAddress":
			e.SourceIP = sh.str(fv, "sourceIPAddress")
		case "userAgent":
			e.Actor.UserAgent = sh.str(fv, "userAgent")
		case "errorCode":
			e.ErrorCode = sh.str(fv, "errorCode")
		case "errorMessage":
			e.ErrorMessage = sh.str(fv, "errorMessage")
		case "responseElements":
			respVal = fv
		case "readOnly":
			e.ReadOnly = boolish(fv)
		case "userIdentity":
			sh.identity(fv, &e.Actor)
		case "resources":
			sh.resources(fv, e)
		case "insightDetails":
			sh.insight = true
		case "detail-type":
			sh.detailType = fv
		case "detail":
			sh.detail = fv
		case "account":
			sh.account = sh.str(fv, "account")
		case "region":
			sh.region = sh.str(fv, "region")
		case "CloudTrailEvent", "cloudTrailEvent", "eventJson", "eventjson":
			sh.ctEvent = fv
		case "digestStartTime", "digestPublicKeyFingerprint":
			sh.digest = true
		}
	})
	switch {
	case sh.digest:
		return errSkip
	case sh.detailType != nil && sh.detail != nil:
		return d.unwrapEnvelope(&sh, depth)
	case sh.ctEvent != nil && e.Action == "":
		return d.unwrapString(sh.ctEvent, depth)
	}
	if sh.badField != "" {
		return fmt.Errorf("field %s: expected a string, got %s", sh.badField, sh.badType)
	}
	if e.Action == "" && !sh.insight {
		return errors.New("not a CloudTrail record: no eventName")
	}
	if timeVal == nil {
		return errors.New("no eventTime")
	}
	t, err := parseTime(timeVal)
	if err != nil {
		return err
	}
	e.Time = t
	e.Kind = event.KindCloudTrail
	e.Failed = e.ErrorCode != "" || (e.Type == "AwsConsoleSignIn" && signInFailed(respVal))
	if sh.insight {
		// An Insights event describes a rate of calls, not a call: keep the
		// API name out of Action so call detectors never fire on it.
		e.Action, e.Service = "", ""
		if e.Type == "" {
			e.Type = "AwsCloudTrailInsight"
		}
		if e.Category == "" {
			e.Category = "Insight"
		}
	}
	if e.Account == "" {
		e.Account = e.Actor.AccountID
	}
	if e.Account == "" {
		e.Account = sh.account
	}
	if e.Region == "" {
		e.Region = sh.region
	}
	if e.Category == "" {
		e.Category = "Management"
	}
	e.Raw = v
	return nil
}

func (d *Decoder) unwrapEnvelope(sh *shape, depth int) error {
	dt := sh.str(sh.detailType, "detail-type")
	if sh.badField != "" {
		return fmt.Errorf("field detail-type: expected a string, got %s", sh.badType)
	}
	if !strings.HasSuffix(dt, "via CloudTrail") {
		return fmt.Errorf("not a CloudTrail event: EventBridge detail-type %q", dt)
	}
	if depth > 2 {
		return errors.New("nested envelopes")
	}
	acct, region := sh.account, sh.region
	raw := d.ev.RawBytes
	d.ev.Reset()
	d.ev.RawBytes = raw
	if err := d.fill(sh.detail, depth+1); err != nil {
		return fmt.Errorf("EventBridge detail: %w", err)
	}
	if d.ev.Account == "" {
		d.ev.Account = acct
	}
	if d.ev.Region == "" {
		d.ev.Region = region
	}
	return nil
}

func (d *Decoder) unwrapString(v *fastjson.Value, depth int) error {
	if v.Type() != fastjson.TypeString {
		return fmt.Errorf("field CloudTrailEvent: expected a string, got %s", v.Type())
	}
	if depth > 2 {
		return errors.New("nested CloudTrailEvent")
	}
	b := v.GetStringBytes()
	iv, err := d.inner.ParseBytes(b)
	if err != nil {
		return fmt.Errorf("CloudTrailEvent: malformed JSON: %s", shortErr(err))
	}
	d.ev.Reset()
	d.ev.RawBytes = b
	return d.fill(iv, depth+1)
}

// str returns a string field, recording the first wrongly typed field.
func (sh *shape) str(v *fastjson.Value, field string) string {
	switch t := v.Type(); t {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return event.B2S(b)
	case fastjson.TypeNull:
		return ""
	default:
		if sh.badField == "" {
			sh.badField, sh.badType = field, t
		}
		return ""
	}
}

func (sh *shape) identity(v *fastjson.Value, a *event.Actor) {
	if v.Type() == fastjson.TypeNull {
		return
	}
	o, err := v.Object()
	if err != nil {
		if sh.badField == "" {
			sh.badField, sh.badType = "userIdentity", v.Type()
		}
		return
	}
	o.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(k) {
		case "type":
			a.Type = sh.str(fv, "userIdentity.type")
		case "arn":
			a.ARN = sh.str(fv, "userIdentity.arn")
		case "principalId":
			a.PrincipalID = sh.str(fv, "userIdentity.principalId")
		case "accountId":
			a.AccountID = sh.str(fv, "userIdentity.accountId")
		case "accessKeyId":
			a.AccessKeyID = sh.str(fv, "userIdentity.accessKeyId")
		case "userName":
			a.UserName = sh.str(fv, "userIdentity.userName")
		case "invokedBy":
			a.InvokedBy = sh.str(fv, "userIdentity.invokedBy")
		case "sessionContext":
			if fv.Type() != fastjson.TypeObject {
				return
			}
			if si := fv.Get("sessionIssuer"); si != nil && si.Type() == fastjson.TypeObject {
				a.SessionIssuerType = sh.str(orNull(si.Get("type")), "userIdentity.sessionContext.sessionIssuer.type")
				a.SessionIssuerARN = sh.str(orNull(si.Get("arn")), "userIdentity.sessionContext.sessionIssuer.arn")
				a.SessionIssuerName = sh.str(orNull(si.Get("userName")), "userIdentity.sessionContext.sessionIssuer.userName")
			}
			if m := fv.Get("attributes", "mfaAuthenticated"); m != nil {
				a.MFAAuthenticated = boolish(m)
			}
		}
	})
}

func (sh *shape) resources(v *fastjson.Value, e *event.Event) {
	if v.Type() != fastjson.TypeArray {
		return
	}
	arr, _ := v.Array()
	for _, r := range arr {
		if r.Type() != fastjson.TypeObject {
			continue
		}
		e.Resources = append(e.Resources, event.Resource{
			Type:      sh.str(orNull(r.Get("type")), "resources.type"),
			ARN:       sh.str(orNull(r.Get("ARN")), "resources.ARN"),
			AccountID: sh.str(orNull(r.Get("accountId")), "resources.accountId"),
		})
	}
}

// signInFailed reports whether a sign-in event's response says "Failure"
// (ConsoleLogin, PasswordUpdated, …), which is how sign-in failures are logged.
func signInFailed(v *fastjson.Value) bool {
	if v == nil || v.Type() != fastjson.TypeObject {
		return false
	}
	failed := false
	o, _ := v.Object()
	o.Visit(func(_ []byte, fv *fastjson.Value) {
		if fv.Type() == fastjson.TypeString && string(fv.GetStringBytes()) == "Failure" {
			failed = true
		}
	})
	return failed
}

var null = fastjson.MustParse("null")

func orNull(v *fastjson.Value) *fastjson.Value {
	if v == nil {
		return null
	}
	return v
}

func boolish(v *fastjson.Value) bool {
	switch v.Type() {
	case fastjson.TypeTrue:
		return true
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return string(b) == "true"
	}
	return false
}

// parseTime reads eventTime: RFC 3339 as CloudTrail writes it, with a fast
// path for its usual "2006-01-02T15:04:05Z" form, and the space-separated
// form some exports use.
func parseTime(v *fastjson.Value) (time.Time, error) { return decode.TimeField(v, "eventTime") }

func shortErr(err error) string { return truncate(err.Error(), 200) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
