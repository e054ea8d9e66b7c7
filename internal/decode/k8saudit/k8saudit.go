// Package k8saudit decodes Kubernetes API server audit logs — audit.k8s.io
// Event objects — as kube-apiserver writes them and as Amazon EKS delivers
// them through CloudWatch Logs. These shapes are read:
//
//   - audit events as JSON lines (the log backend's --audit-log-format=json),
//     concatenated objects, or a JSON array of them;
//   - EventList objects ({"kind":"EventList","items":[…]}, what the webhook
//     backend posts): each item is a record;
//   - CloudWatch Logs subscription messages ({"messageType":"DATA_MESSAGE",
//     "owner":…,"logGroup":"/aws/eks/<cluster>/cluster",
//     "logStream":"kube-apiserver-audit-…","logEvents":[…]}): each log event
//     is a record, its message string the audit event;
//   - the output of `aws logs filter-log-events` and `get-log-events`
//     ({"events":[{"logStreamName":…,"timestamp":…,"message":"…"}, …]}), and
//     such log events on their own, one per line.
//
// Log events of the EKS control plane's other log streams — the API server
// log (kube-apiserver-<id>, not kube-apiserver-audit-<id>), authenticator-,
// kube-controller-manager-, cloud-controller-manager- and kube-scheduler-
// streams — are not audit events: they are counted as Skipped, not
// quarantined. So are CONTROL_MESSAGEs and messages without log events.
//
// # What counts as an audit event
//
// A JSON object whose kind is "Event" and whose apiVersion, when present,
// starts with "audit.k8s.io/" — or, without a kind, one with an auditID.
// Anything else (a core v1 Event, a CloudTrail record, klog text) is
// quarantined as "not a Kubernetes audit event". No field is required
// beyond that: trimmed events (Panther's rule tests, say) decode with what
// they have.
//
// # Mapping
//
//	Event field            audit event field
//	Kind                   event.KindK8sAudit
//	Time                   stageTimestamp, else requestReceivedTimestamp, else the
//	                       CloudWatch log event's timestamp; zero when there is none
//	ID                     auditID
//	Action                 verb ("" for a trimmed event without one)
//	Type                   stage (RequestReceived, ResponseStarted, ResponseComplete, Panic)
//	ReadOnly               verb is get, list or watch
//	Service                objectRef.resource, with "/"+objectRef.subresource when there
//	                       is one: "pods", "pods/exec", "serviceaccounts/token"
//	                       ("" for non-resource requests such as /healthz)
//	Actor.UserName         user.username
//	Actor.Type             "KubernetesServiceAccount" when user.username starts with
//	                       "system:serviceaccount:", else "KubernetesUser" ("" without
//	                       a user name)
//	Actor.PrincipalID      user.extra.principalId[0], else user.uid
//	Actor.ARN              user.extra.arn[0]: on EKS, the IAM principal behind the user
//	Actor.AccessKeyID      user.extra.accessKeyId[0]
//	Actor.AccountID        the account field of Actor.ARN
//	Actor.SessionIssuer*   for an assumed-role ARN: user.extra.canonicalArn[0] (the
//	                       role's ARN), "Role", and the role's name
//	Actor.UserAgent        userAgent
//	SourceIP               sourceIPs[0] (the client; later entries are proxies)
//	Failed                 responseStatus.code >= 400
//	ErrorCode              the code as decimal text ("403") when Failed
//	ErrorMessage           responseStatus.message, else responseStatus.reason, when Failed
//	Resources[0]           the object, when objectRef names a resource:
//	                       Type "Kubernetes"+kind for built-in resources
//	                       ("KubernetesPod", "KubernetesClusterRoleBinding"), else
//	                       "Kubernetes/"+resource ("Kubernetes/certificates");
//	                       ARN "namespace/resource/name", always with both slashes:
//	                       "default/pods/nginx", "/clusterroles/admin" (cluster-scoped),
//	                       "default/pods/" (a collection: list, create);
//	                       AccountID the event's Account
//	Resources[1]           the cluster, when known: Type "AWS::EKS::Cluster",
//	                       ARN "arn:aws:eks:<region>:<account>:cluster/<name>" (region
//	                       and account empty when unknown)
//	Account                the subscription message's owner, else the "account" option
//	Region                 the "region" option
//	Raw, RawBytes          the audit event: a log event's message (not the envelope
//	                       around it); an EventList item re-serialized
//
// The cluster is the one named by the subscription message's log group
// (/aws/eks/<cluster>/cluster), else the "cluster" option. The format
// options (decode.Options.Params, sources[].format_options) are "account"
// (12 digits), "region" and "cluster"; they describe records that do not say
// where they come from, and the data wins when it does. CheckParams rejects
// any other key.
//
// Every field read is type-checked: a verb that is a number, sourceIPs that
// is not an array of strings, a responseStatus.code that is not an integer
// from 0 to 999, a first source IP that is not an IP address, or a timestamp
// that is not a time quarantines the record, with a reason naming the field.
// Fields the event has no place for (requestURI, requestObject, annotations,
// user.groups, impersonatedUser, …) stay reachable through Raw.
//
// The hot path allocates nothing per record: records are split by
// jsonstream, parsed with a reused fastjson parser, and the event's strings
// borrow the parser's memory or the decoder's buffers (see package event).
//
// Record indexes. Every audit event has its own record index, including
// those inside a CloudWatch Logs message or an EventList: a container of n
// records takes n consecutive indexes (all with the container's offset and
// line), so a checkpoint can fall between two of them and Options.Start
// resumes there. A container with nothing in it takes one index and is
// skipped; one whose array is not an array takes one index and is
// quarantined.
package k8saudit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/decode/jsonstream"
	"github.com/picket-dev/picket/internal/event"
)

// Format is the registry name of this decoder.
const Format = "k8saudit"

// Actor types.
const (
	ActorUser           = "KubernetesUser"
	ActorServiceAccount = "KubernetesServiceAccount"
)

// ClusterType is the Resource.Type of the cluster entry.
const ClusterType = "AWS::EKS::Cluster"

// Decoder decodes Kubernetes audit log streams. Not safe for concurrent use.
type Decoder struct {
	sc    *jsonstream.Scanner
	max   int
	p     fastjson.Parser // the record, or a container of records
	inner fastjson.Parser // an audit event held as a string (a log event's message)
	ev    event.Event

	params    scope // from the format options, for the whole stream
	paramsErr error // what is wrong with the format options
	env       scope // from a CloudWatch Logs subscription message

	buf  []byte // this record's built strings (Service, ARNs, error code)
	item []byte // an EventList item, re-serialized

	// Set by fill when it finds a container of records.
	cont     container
	contArr  *fastjson.Value
	contName string
}

// scope says where records come from.
type scope struct {
	account, region, cluster string
	arn                      []byte // the cluster's ARN when cluster != ""
}

// set fills s and builds the cluster ARN into its buffer.
func (s *scope) set(account, region, cluster string) {
	s.account, s.region, s.cluster = account, region, cluster
	s.arn = s.arn[:0]
	if cluster != "" {
		s.arn = append(s.arn, "arn:aws:eks:"...)
		s.arn = append(s.arn, region...)
		s.arn = append(s.arn, ':')
		s.arn = append(s.arn, account...)
		s.arn = append(s.arn, ":cluster/"...)
		s.arn = append(s.arn, cluster...)
	}
}

// New returns a Kubernetes audit log decoder.
func New() decode.Decoder { return &Decoder{} }

// container is a kind of record holding records.
type container uint8

const (
	noContainer  container = iota
	subscription           // CloudWatch Logs subscription message: logEvents
	logEventList           // filter-log-events / get-log-events output: events
	eventList              // audit EventList: items
)

// errSkip marks records that are deliberately ignored.
var errSkip = errors.New("skipped")

// errContainer is what fill returns for a container of records.
var errContainer = errors.New("container of records")

// run is the state of one Decode call.
type run struct {
	ctx  context.Context
	o    *decode.Options
	h    decode.Handler
	st   *decode.Stats
	tick int
}

// slot accounts for one record index: it checks ctx every 1024 records and
// counts the record. It returns the record's index.
func (r *run) slot() (int64, error) {
	if r.tick&1023 == 0 {
		if err := r.ctx.Err(); err != nil {
			return 0, err
		}
	}
	r.tick++
	idx := r.st.Records
	r.st.Records++
	return idx, nil
}

func (r *run) quarantine(b decode.Bad) error {
	r.st.Quarantined++
	return r.h.Quarantine(b)
}

// Decode implements decode.Decoder.
func (d *Decoder) Decode(ctx context.Context, rd io.Reader, o decode.Options, h decode.Handler) (st decode.Stats, err error) {
	if d.sc == nil || d.max != o.MaxRecordBytes {
		// "items": an EventList whose items come first; "events":
		// filter-log-events and get-log-events output.
		d.sc = jsonstream.NewScanner(rd, o.MaxRecordBytes, "items", "events", "logEvents")
		d.max = o.MaxRecordBytes
	} else {
		d.sc.Reset(rd)
	}
	defer func() { st.Bytes = d.sc.Offset() }()
	d.setParams(o.Params)
	r := run{ctx: ctx, o: &o, h: h, st: &st}
	for {
		if r.tick&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return st, err
			}
		}
		it, err := d.sc.Next()
		if err == io.EOF {
			return st, nil
		}
		origin := o.Origin
		origin.Index, origin.Offset, origin.Line = st.Records, it.Offset, it.Line
		if it.Err == nil && (st.Records >= o.Start || maybeContainer(it.Bytes)) {
			// Parsed. A container is parsed even before Start: how many
			// record indexes it takes is only known then.
			v, perr := d.p.ParseBytes(it.Bytes)
			if perr != nil {
				err = fmt.Errorf("malformed JSON: %s", shortErr(perr))
			} else {
				err = d.fill(v, it.Bytes, true, &d.params, time.Time{})
			}
			if err == errContainer {
				if err := d.container(&r, v, it.Bytes, origin); err != nil {
					return st, err
				}
				continue
			}
			if _, err := r.slot(); err != nil {
				return st, err
			}
			if origin.Index < o.Start {
				st.Skipped++
				continue
			}
			if err := d.deliver(&r, err, origin, it.Bytes); err != nil {
				return st, err
			}
			continue
		}
		// A bad item, or a record before Start: one record index.
		if _, err := r.slot(); err != nil {
			return st, err
		}
		if origin.Index < o.Start {
			st.Skipped++
			continue
		}
		if err := r.quarantine(decode.Bad{Origin: origin, Reason: it.Err.Error(), Sample: it.Bytes, Err: it.Err, Tail: it.Tail}); err != nil {
			return st, err
		}
	}
}

// deliver hands the decoded event (or, when err is set, the bad record) to
// the handler.
func (d *Decoder) deliver(r *run, err error, origin event.Origin, sample []byte) error {
	switch {
	case err == errSkip:
		r.st.Skipped++
		return nil
	case err != nil:
		return r.quarantine(decode.Bad{Origin: origin, Reason: err.Error(), Sample: sample})
	case d.paramsErr != nil:
		return r.quarantine(decode.Bad{Origin: origin, Reason: d.paramsErr.Error(), Sample: sample})
	}
	d.ev.Origin = origin
	r.st.Events++
	return r.h.Event(&d.ev)
}

// A record may be a container when its bytes hold one of the container
// keys (a key written with escapes does not count). The test on the bytes
// comes first for records before Start, so that only those that may be one
// are parsed; it is made on the others only when fill finds a key.
func maybeContainer(b []byte) bool {
	return bytes.Contains(b, []byte(`"logEvents"`)) || bytes.Contains(b, []byte(`"events"`)) || bytes.Contains(b, []byte(`"items"`))
}

// container decodes the container v (whose bytes are b) that fill found:
// each of its records takes a record index.
func (d *Decoder) container(r *run, v *fastjson.Value, b []byte, origin event.Origin) error {
	kind, name, av := d.cont, d.contName, d.contArr
	arr, aerr := av.Array()
	if aerr != nil || len(arr) == 0 || (kind == subscription && isControl(v)) {
		idx, err := r.slot()
		if err != nil {
			return err
		}
		origin.Index = idx
		switch {
		case idx < r.o.Start:
			err = errSkip
		case aerr != nil:
			err = fmt.Errorf("%s: field %s: expected an array, got %s", containerName(kind), name, av.Type())
		default:
			err = errSkip
		}
		return d.deliver(r, err, origin, b)
	}
	sc := &d.params
	skipAll := false
	if kind == subscription {
		sc, skipAll = d.subscriptionScope(v)
	}
	for i, el := range arr {
		idx, err := r.slot()
		if err != nil {
			return err
		}
		if idx < r.o.Start {
			r.st.Skipped++
			continue
		}
		origin.Index = idx
		var sample []byte
		switch {
		case skipAll:
			err = errSkip
		case kind == eventList:
			d.item = el.MarshalTo(d.item[:0])
			sample = d.item
			if err = d.fill(el, d.item, false, sc, time.Time{}); err != nil && err != errSkip {
				err = fmt.Errorf("EventList: items[%d]: %w", i, err)
			}
		default:
			var msg []byte
			var iv *fastjson.Value
			var ts time.Time
			msg, iv, ts, err = d.logEvent(el, kind, i)
			sample = msg
			if err == nil {
				err = d.fill(iv, msg, false, sc, ts)
			}
		}
		if sample == nil {
			sample = b
		}
		if err := d.deliver(r, err, origin, sample); err != nil {
			return err
		}
	}
	return nil
}

func containerName(c container) string {
	switch c {
	case subscription:
		return "CloudWatch Logs message"
	case logEventList:
		return "CloudWatch Logs events"
	}
	return "EventList"
}

// subscriptionScope reads where a subscription message's records come
// from: the owner (account) and the log group (/aws/eks/<cluster>/cluster).
// skipAll says the log stream is not an audit log stream.
func (d *Decoder) subscriptionScope(v *fastjson.Value) (*scope, bool) {
	if otherStream(strField(v, "logStream")) {
		return nil, true
	}
	account, cluster := strField(v, "owner"), clusterOf(strField(v, "logGroup"))
	if account == "" && cluster == "" {
		return &d.params, false
	}
	if account == "" {
		account = d.params.account
	}
	if cluster == "" {
		cluster = d.params.cluster
	}
	d.env.set(account, d.params.region, cluster)
	return &d.env, false
}

// strField returns v's string field k, or "".
func strField(v *fastjson.Value, k string) string {
	f := v.Get(k)
	if f == nil || f.Type() != fastjson.TypeString {
		return ""
	}
	return event.B2S(f.GetStringBytes())
}

// clusterOf returns the cluster of an EKS control plane log group
// (/aws/eks/<cluster>/cluster), or "".
func clusterOf(group string) string {
	rest, ok := strings.CutPrefix(group, "/aws/eks/")
	if !ok {
		return ""
	}
	name, tail, ok := strings.Cut(rest, "/")
	if !ok || tail != "cluster" || name == "" {
		return ""
	}
	return name
}

// otherStream reports whether a CloudWatch Logs stream is one of the EKS
// control plane's log streams that hold no audit events.
func otherStream(s string) bool {
	if s == "" || strings.HasPrefix(s, "kube-apiserver-audit-") {
		return false
	}
	for _, p := range otherStreams {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

var otherStreams = []string{"kube-apiserver-", "authenticator-", "kube-controller-manager-", "cloud-controller-manager-", "kube-scheduler-"}

// isControl reports whether a subscription message is a CONTROL_MESSAGE
// (CloudWatch Logs checking that the destination is reachable).
func isControl(v *fastjson.Value) bool {
	return strField(v, "messageType") == "CONTROL_MESSAGE"
}

// logEvent reads a CloudWatch Logs log event (logEvents[i] or events[i];
// kind noContainer for a log event on its own) and parses its message with
// the inner parser. It returns the message's bytes (nil when there is no
// message string), its DOM and the log event's timestamp. A log event of
// another control plane log stream is errSkip.
func (d *Decoder) logEvent(le *fastjson.Value, kind container, i int) ([]byte, *fastjson.Value, time.Time, error) {
	if le.Type() != fastjson.TypeObject {
		return nil, nil, time.Time{}, fmt.Errorf("%s: expected an object, got %s", logEventField(kind, i, ""), le.Type())
	}
	if otherStream(strField(le, "logStreamName")) {
		return nil, nil, time.Time{}, errSkip
	}
	m := le.Get("message")
	if m == nil {
		return nil, nil, time.Time{}, fmt.Errorf("%s is missing", logEventField(kind, i, "message"))
	}
	if m.Type() != fastjson.TypeString {
		return nil, nil, time.Time{}, fmt.Errorf("%s: expected a string, got %s", logEventField(kind, i, "message"), m.Type())
	}
	msg := m.GetStringBytes()
	var ts time.Time
	if tv := le.Get("timestamp"); tv != nil && tv.Type() == fastjson.TypeNumber {
		if ms, err := tv.Int64(); err == nil {
			ts = time.UnixMilli(ms).UTC()
		}
	}
	iv, err := d.inner.ParseBytes(msg)
	if err != nil {
		return msg, nil, ts, fmt.Errorf("%s: malformed JSON: %s", logEventField(kind, i, "message"), shortErr(err))
	}
	return msg, iv, ts, nil
}

// logEventField names a field of a log event in a reason:
// "CloudWatch Logs message: field logEvents[3].message".
func logEventField(kind container, i int, sub string) string {
	var s string
	switch kind {
	case subscription:
		s = "CloudWatch Logs message: field logEvents[" + strconv.Itoa(i) + "]"
	case logEventList:
		s = "CloudWatch Logs events: field events[" + strconv.Itoa(i) + "]"
	default:
		if sub == "" {
			return "CloudWatch Logs log event"
		}
		return "CloudWatch Logs log event: field " + sub
	}
	if sub != "" {
		s += "." + sub
	}
	return s
}

// Parse decodes a single audit event, or a single CloudWatch Logs log event
// holding one, into a new event that the caller owns. Containers of records
// (EventList, subscription messages) are for Decode. For tests and tools;
// the stream path is Decode.
func Parse(b []byte) (*event.Event, error) {
	var d Decoder
	v, err := d.p.ParseBytes(b)
	if err != nil {
		return nil, fmt.Errorf("malformed JSON: %s", shortErr(err))
	}
	switch err := d.fill(v, b, true, &d.params, time.Time{}); err {
	case nil:
	case errContainer:
		return nil, fmt.Errorf("a %s holds several records: decode it as a stream", containerName(d.cont))
	case errSkip:
		return nil, errors.New("not an audit log stream")
	default:
		return nil, err
	}
	return d.ev.Clone(), nil
}

// fill reads the audit event v (whose bytes are raw) into d.ev, with sc
// saying where it comes from and fallback its time when it has none. When
// outer is set (a record read from the stream, not from a container), a
// container is reported as errContainer (with d.cont, d.contArr and
// d.contName set), and a CloudWatch Logs log event on its own is unwrapped.
func (d *Decoder) fill(v *fastjson.Value, raw []byte, outer bool, sc *scope, fallback time.Time) error {
	if v.Type() != fastjson.TypeObject {
		return fmt.Errorf("not a Kubernetes audit event: expected a JSON object, got %s", v.Type())
	}
	o, _ := v.Object()
	e := &d.ev
	e.Reset()
	d.buf = d.buf[:0]
	sh := shape{index: -1}
	var kindVal, apiVal, ipsVal, refVal, statusVal, stageTS, recvTS *fastjson.Value
	var logEvents, events, items, message *fastjson.Value
	auditID := false
	o.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(k) {
		case "kind":
			kindVal = fv
		case "apiVersion":
			apiVal = fv
		case "auditID":
			e.ID = sh.str(fv, "auditID")
			auditID = e.ID != ""
		case "verb":
			e.Action = sh.str(fv, "verb")
		case "stage":
			e.Type = sh.str(fv, "stage")
		case "user":
			sh.user(fv, &e.Actor)
		case "sourceIPs":
			ipsVal = fv
		case "userAgent":
			e.Actor.UserAgent = sh.str(fv, "userAgent")
		case "objectRef":
			refVal = fv
		case "responseStatus":
			statusVal = fv
		case "stageTimestamp":
			stageTS = fv
		case "requestReceivedTimestamp":
			recvTS = fv
		case "logEvents":
			logEvents = fv
		case "events":
			events = fv
		case "items":
			items = fv
		case "message":
			message = fv
		}
	})
	kind := ""
	if kindVal != nil {
		if kindVal.Type() != fastjson.TypeString {
			return fmt.Errorf("field kind: expected a string, got %s", kindVal.Type())
		}
		kind = event.B2S(kindVal.GetStringBytes())
	}
	if outer && maybeContainer(raw) {
		switch {
		case kind == "EventList" && items != nil:
			d.cont, d.contArr, d.contName = eventList, items, "items"
			return errContainer
		case kindVal == nil && logEvents != nil:
			d.cont, d.contArr, d.contName = subscription, logEvents, "logEvents"
			return errContainer
		case kindVal == nil && events != nil && !auditID:
			d.cont, d.contArr, d.contName = logEventList, events, "events"
			return errContainer
		}
	}
	switch {
	case kind == "Event":
	case kindVal != nil:
		return fmt.Errorf("not a Kubernetes audit event: kind %q", truncate(kind, 64))
	case auditID:
	case outer && message != nil:
		return d.unwrapLogEvent(v, sc)
	default:
		if sh.field != "" {
			return sh.err()
		}
		return errors.New("not a Kubernetes audit event: no kind or auditID")
	}
	if apiVal != nil {
		if apiVal.Type() != fastjson.TypeString {
			return fmt.Errorf("field apiVersion: expected a string, got %s", apiVal.Type())
		}
		if api := apiVal.GetStringBytes(); !bytes.HasPrefix(api, []byte("audit.k8s.io/")) {
			return fmt.Errorf("not a Kubernetes audit event: apiVersion %q", truncate(string(api), 64))
		}
	}
	if sh.field != "" {
		return sh.err()
	}
	if ipsVal != nil {
		if err := d.sourceIPs(ipsVal); err != nil {
			return err
		}
	}
	if refVal != nil {
		if err := d.objectRef(refVal); err != nil {
			return err
		}
	}
	if statusVal != nil {
		if err := d.responseStatus(statusVal); err != nil {
			return err
		}
	}
	switch {
	case present(stageTS):
		t, err := decode.TimeField(stageTS, "stageTimestamp")
		if err != nil {
			return err
		}
		e.Time = t
		if present(recvTS) && recvTS.Type() != fastjson.TypeString {
			return fmt.Errorf("field requestReceivedTimestamp: expected a string, got %s", recvTS.Type())
		}
	case present(recvTS):
		t, err := decode.TimeField(recvTS, "requestReceivedTimestamp")
		if err != nil {
			return err
		}
		e.Time = t
	default:
		e.Time = fallback
	}
	actor(&e.Actor)
	e.Kind = event.KindK8sAudit
	e.ReadOnly = readOnly(e.Action)
	e.Account, e.Region = sc.account, sc.region
	for i := range e.Resources {
		e.Resources[i].AccountID = sc.account
	}
	if sc.cluster != "" {
		e.Resources = append(e.Resources, event.Resource{Type: ClusterType, ARN: event.B2S(sc.arn), AccountID: sc.account})
	}
	e.Raw = v
	e.RawBytes = raw
	return nil
}

// unwrapLogEvent decodes a CloudWatch Logs log event on its own (a line of
// filter-log-events output split out of its "events" array).
func (d *Decoder) unwrapLogEvent(v *fastjson.Value, sc *scope) error {
	msg, iv, ts, err := d.logEvent(v, noContainer, -1)
	if err != nil {
		return err
	}
	return d.fill(iv, msg, false, sc, ts)
}

func present(v *fastjson.Value) bool { return v != nil && v.Type() != fastjson.TypeNull }

// sourceIPs reads the client's address: the first of sourceIPs.
func (d *Decoder) sourceIPs(v *fastjson.Value) error {
	switch v.Type() {
	case fastjson.TypeNull:
		return nil
	case fastjson.TypeArray:
	default:
		return fmt.Errorf("field sourceIPs: expected an array, got %s", v.Type())
	}
	arr, _ := v.Array()
	for i, a := range arr {
		if a.Type() != fastjson.TypeString {
			return fmt.Errorf("field sourceIPs[%d]: expected a string, got %s", i, a.Type())
		}
	}
	if len(arr) == 0 {
		return nil
	}
	ip := event.B2S(arr[0].GetStringBytes())
	if _, err := netip.ParseAddr(ip); err != nil {
		return fmt.Errorf("field sourceIPs[0]: not an IP address: %q", truncate(ip, 64))
	}
	d.ev.SourceIP = ip
	return nil
}

// objectRef reads the object the request is about into Service and
// Resources[0].
func (d *Decoder) objectRef(v *fastjson.Value) error {
	switch v.Type() {
	case fastjson.TypeNull:
		return nil
	case fastjson.TypeObject:
	default:
		return fmt.Errorf("field objectRef: expected an object, got %s", v.Type())
	}
	sh := shape{index: -1}
	var resource, sub, ns, name, group string
	o, _ := v.Object()
	o.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(k) {
		case "resource":
			resource = sh.str(fv, "objectRef.resource")
		case "subresource":
			sub = sh.str(fv, "objectRef.subresource")
		case "namespace":
			ns = sh.str(fv, "objectRef.namespace")
		case "name":
			name = sh.str(fv, "objectRef.name")
		case "apiGroup":
			group = sh.str(fv, "objectRef.apiGroup")
		}
	})
	if sh.field != "" {
		return sh.err()
	}
	if resource == "" {
		return nil
	}
	e := &d.ev
	e.Service = resource
	if sub != "" {
		start := len(d.buf)
		d.buf = append(d.buf, resource...)
		d.buf = append(d.buf, '/')
		d.buf = append(d.buf, sub...)
		e.Service = event.B2S(d.buf[start:])
	}
	typ := ""
	if k, ok := kinds[resource]; ok && (group == "" || group == k.group) {
		typ = k.typ
	} else {
		start := len(d.buf)
		d.buf = append(d.buf, "Kubernetes/"...)
		d.buf = append(d.buf, resource...)
		typ = event.B2S(d.buf[start:])
	}
	start := len(d.buf)
	d.buf = append(d.buf, ns...)
	d.buf = append(d.buf, '/')
	d.buf = append(d.buf, resource...)
	d.buf = append(d.buf, '/')
	d.buf = append(d.buf, name...)
	e.Resources = append(e.Resources, event.Resource{Type: typ, ARN: event.B2S(d.buf[start:])})
	return nil
}

// responseStatus reads the response's HTTP status code and, for a failure,
// its message.
func (d *Decoder) responseStatus(v *fastjson.Value) error {
	switch v.Type() {
	case fastjson.TypeNull:
		return nil
	case fastjson.TypeObject:
	default:
		return fmt.Errorf("field responseStatus: expected an object, got %s", v.Type())
	}
	sh := shape{index: -1}
	var code *fastjson.Value
	var msg, reason string
	o, _ := v.Object()
	o.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(k) {
		case "code":
			code = fv
		case "message":
			msg = sh.str(fv, "responseStatus.message")
		case "reason":
			reason = sh.str(fv, "responseStatus.reason")
		}
	})
	if sh.field != "" {
		return sh.err()
	}
	if !present(code) {
		return nil
	}
	if code.Type() != fastjson.TypeNumber {
		return fmt.Errorf("field responseStatus.code: expected a number, got %s", code.Type())
	}
	n, err := code.Int()
	if err != nil || n < 0 || n > 999 {
		return fmt.Errorf("field responseStatus.code: not an HTTP status code: %s", truncate(code.String(), 32))
	}
	if n >= 400 {
		e := &d.ev
		e.Failed = true
		start := len(d.buf)
		d.buf = strconv.AppendInt(d.buf, int64(n), 10)
		e.ErrorCode = event.B2S(d.buf[start:])
		e.ErrorMessage = msg
		if msg == "" {
			e.ErrorMessage = reason
		}
	}
	return nil
}

// readOnly reports whether a verb only reads.
func readOnly(verb string) bool {
	switch verb {
	case "get", "list", "watch":
		return true
	}
	return false
}

// actor derives the actor's type, and its account and session issuer from
// the IAM ARN EKS adds.
func actor(a *event.Actor) {
	switch {
	case strings.HasPrefix(a.UserName, "system:serviceaccount:"):
		a.Type = ActorServiceAccount
	case a.UserName != "":
		a.Type = ActorUser
	}
	if a.ARN == "" {
		a.SessionIssuerARN = ""
		return
	}
	// arn:partition:service:region:account:resource
	parts := a.ARN
	for range 4 {
		_, parts, _ = strings.Cut(parts, ":")
	}
	if acct, res, ok := strings.Cut(parts, ":"); ok {
		a.AccountID = acct
		if strings.HasPrefix(res, "assumed-role/") && strings.Contains(a.SessionIssuerARN, ":role/") {
			a.SessionIssuerType = "Role"
			a.SessionIssuerName = a.SessionIssuerARN[strings.LastIndexByte(a.SessionIssuerARN, '/')+1:]
			return
		}
	}
	a.SessionIssuerARN = ""
}

// shape collects the first wrongly typed field while a record is read.
type shape struct {
	field string        // the field's name ("" when all is well)
	index int           // for arrays: the element, or -1
	want  string        // "a string", "an object", …
	got   fastjson.Type // what it was
}

func (sh *shape) bad(field string, index int, want string, got fastjson.Type) {
	if sh.field == "" {
		sh.field, sh.index, sh.want, sh.got = field, index, want, got
	}
}

func (sh *shape) err() error {
	name := sh.field
	if sh.index >= 0 {
		name += "[" + strconv.Itoa(sh.index) + "]"
	}
	return fmt.Errorf("field %s: expected %s, got %s", name, sh.want, sh.got)
}

// str returns a string field ("" for null), recording a wrong type.
func (sh *shape) str(v *fastjson.Value, field string) string {
	switch t := v.Type(); t {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return event.B2S(b)
	case fastjson.TypeNull:
	default:
		sh.bad(field, -1, "a string", t)
	}
	return ""
}

// user reads the authenticated user.
func (sh *shape) user(v *fastjson.Value, a *event.Actor) {
	switch t := v.Type(); t {
	case fastjson.TypeNull:
		return
	case fastjson.TypeObject:
	default:
		sh.bad("user", -1, "an object", t)
		return
	}
	uid := ""
	o, _ := v.Object()
	o.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(k) {
		case "username":
			a.UserName = sh.str(fv, "user.username")
		case "uid":
			uid = sh.str(fv, "user.uid")
		case "extra":
			sh.extra(fv, a)
		}
	})
	if a.PrincipalID == "" {
		a.PrincipalID = uid
	}
}

// extra reads what the EKS authenticator says about the IAM principal.
func (sh *shape) extra(v *fastjson.Value, a *event.Actor) {
	switch t := v.Type(); t {
	case fastjson.TypeNull:
		return
	case fastjson.TypeObject:
	default:
		sh.bad("user.extra", -1, "an object", t)
		return
	}
	o, _ := v.Object()
	o.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(k) {
		case "arn":
			a.ARN = sh.first(fv, "user.extra.arn")
		case "accessKeyId":
			a.AccessKeyID = sh.first(fv, "user.extra.accessKeyId")
		case "principalId":
			a.PrincipalID = sh.first(fv, "user.extra.principalId")
		case "canonicalArn":
			a.SessionIssuerARN = sh.first(fv, "user.extra.canonicalArn")
		}
	})
}

// first returns the first string of an array of strings ("" for null or
// an empty array), recording a wrong type.
func (sh *shape) first(v *fastjson.Value, field string) string {
	switch t := v.Type(); t {
	case fastjson.TypeNull:
		return ""
	case fastjson.TypeArray:
	default:
		sh.bad(field, -1, "an array", t)
		return ""
	}
	arr, _ := v.Array()
	for i, s := range arr {
		if s.Type() != fastjson.TypeString {
			sh.bad(field, i, "a string", s.Type())
			return ""
		}
	}
	if len(arr) == 0 {
		return ""
	}
	return event.B2S(arr[0].GetStringBytes())
}

func shortErr(err error) string { return truncate(err.Error(), 200) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
