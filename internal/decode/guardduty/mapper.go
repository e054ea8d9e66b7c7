package guardduty

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/picket-dev/picket/internal/decode/findingstream"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

// Mapper maps GuardDuty finding JSON — the JSON API's and exports'
// camelCase keys or the AWS CLI's PascalCase ones — into Picket's
// finding.Finding (see the package doc for what goes where). The Finding's
// strings, and the values in its AdditionalInfo, borrow the parsed
// document's memory: call Detach to keep it. A Mapper keeps a parser for
// JSON held in strings and is not safe for concurrent use.
type Mapper struct {
	info fastjson.Parser // service.additionalInfo.value, a JSON document in a string
	key  []byte          // Keys.Resource
}

// Finding maps the GuardDuty finding v into f, which is reset first. It
// checks that the finding has an id, a type, a 12-digit accountId and a
// severity from 0 to 10, and that every field it reads has the right type.
// Region is taken from the finding's arn when the finding has no region,
// and left empty when neither says (the caller may know it from an
// envelope).
func (m *Mapper) Finding(v *fastjson.Value, f *finding.Finding) error {
	*f = finding.Finding{}
	o, err := v.Object()
	if err != nil {
		return errors.New("not a GuardDuty finding: expected a JSON object, got " + v.Type().String())
	}
	var r findingstream.Reader
	var rest map[string]any
	var sev *fastjson.Value
	var kb [64]byte
	o.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(findingstream.Key(k, &kb)) {
		case "schemaVersion":
			if s := r.Str(fv, "", "schemaVersion"); s != "" && s != finding.SchemaVersion {
				rest = put(rest, "schemaVersion", s)
			}
			f.SchemaVersion = finding.SchemaVersion
		case "id":
			f.ID = r.Str(fv, "", "id")
		case "arn":
			f.Arn = r.Str(fv, "", "arn")
		case "partition":
			f.Partition = r.Str(fv, "", "partition")
		case "accountId":
			f.AccountID = r.Str(fv, "", "accountId")
		case "region":
			f.Region = r.Str(fv, "", "region")
		case "type":
			f.Type = r.Str(fv, "", "type")
		case "severity":
			sev = fv
		case "title":
			f.Title = r.Str(fv, "", "title")
		case "description":
			f.Description = r.Str(fv, "", "description")
		case "createdAt":
			f.CreatedAt = r.Time(fv, "", "createdAt")
		case "updatedAt":
			f.UpdatedAt = r.Time(fv, "", "updatedAt")
		case "resource":
			if x := m.resource(fv, &f.Resource, &r); x != nil {
				rest = put(rest, "resource", x)
			}
		case "service":
			if x := m.service(fv, &f.Service, &r); x != nil {
				rest = put(rest, "service", x)
			}
		default:
			rest = m.keep(rest, k, fv, &r)
		}
	})
	if r.Err != nil {
		return r.Err
	}
	switch {
	case f.Type == "" && f.ID == "" && f.AccountID == "":
		return errors.New("not a GuardDuty finding: no type, id or accountId")
	case f.Type == "":
		return errors.New("field type is missing")
	case f.ID == "":
		return errors.New("field id is missing")
	case f.AccountID == "":
		return errors.New("field accountId is missing")
	case !IsAccount(f.AccountID):
		return errors.New("field accountId: not an AWS account ID: " + strconv.Quote(clip(f.AccountID, 40)))
	case sev == nil:
		return errors.New("field severity is missing")
	}
	s, ok := r.Num(sev, "", "severity")
	switch {
	case r.Err != nil:
		return r.Err
	case !ok:
		return errors.New("field severity is missing")
	case s < 0 || s > 10:
		return errors.New("field severity: not from 0 to 10: " + strconv.FormatFloat(s, 'g', -1, 64))
	}
	f.Severity = s
	if f.Region == "" {
		f.Region = arnField(f.Arn, 3)
	}
	if f.Partition == "" {
		f.Partition = arnField(f.Arn, 1)
	}
	f.Service.ServiceName = ServiceName
	m.key = append(append(m.key[:0], KeyPrefix...), f.ID...)
	f.Keys = finding.Keys{Resource: event.B2S(m.key)}
	info := f.Service.AdditionalInfo
	if info == nil {
		info = make(map[string]any, 2)
		f.Service.AdditionalInfo = info
	}
	src := map[string]any{"producer": ServiceName, "format": Format, "id": f.ID, "arn": f.Arn}
	findingstream.AddTimes(src, f.CreatedAt, f.UpdatedAt)
	info["source"] = src
	if rest != nil {
		info[Format] = rest
	}
	return nil
}

// IsAccount reports whether s is an AWS account ID: 12 digits.
func IsAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// arnField returns the i-th colon-separated field of an ARN
// (arn:partition:service:region:account:resource), or "".
func arnField(arn string, i int) string {
	if !strings.HasPrefix(arn, "arn:") {
		return ""
	}
	for range i {
		_, arn, _ = strings.Cut(arn, ":")
	}
	f, _, ok := strings.Cut(arn, ":")
	if !ok {
		return ""
	}
	return f
}

// put adds k: x to a residue map, making it when needed.
func put(m map[string]any, k string, x any) map[string]any {
	if m == nil {
		m = make(map[string]any, 4)
	}
	m[k] = x
	return m
}

// keep adds a field Picket's schema has no place for to the residue.
func (m *Mapper) keep(rest map[string]any, k []byte, v *fastjson.Value, r *findingstream.Reader) map[string]any {
	x, err := findingstream.Any(v, true)
	if err != nil {
		var kb [64]byte
		r.Fail("", findingstream.KeyString(k, true, &kb), "%v", err)
		return rest
	}
	var kb [64]byte
	return put(rest, findingstream.KeyString(k, true, &kb), x)
}

// resource reads resource into res and returns what it has no place for.
func (m *Mapper) resource(v *fastjson.Value, res *finding.Resource, r *findingstream.Reader) map[string]any {
	o := r.Object(v, "", "resource")
	if o == nil {
		return nil
	}
	var rest map[string]any
	var kb [64]byte
	o.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(findingstream.Key(k, &kb)) {
		case "resourceType":
			res.ResourceType = r.Str(fv, "resource", "resourceType")
		case "accessKeyDetails":
			var x map[string]any
			res.AccessKeyDetails, x = m.accessKey(fv, r)
			rest = putMap(rest, "accessKeyDetails", x)
		case "instanceDetails":
			var x map[string]any
			res.InstanceDetails, x = m.instance(fv, r)
			rest = putMap(rest, "instanceDetails", x)
		case "s3BucketDetails":
			var x []any
			res.S3BucketDetails, x = m.buckets(fv, r)
			if x != nil {
				rest = put(rest, "s3BucketDetails", x)
			}
		case "eksClusterDetails":
			var x map[string]any
			res.EksClusterDetails, x = m.eksCluster(fv, r)
			rest = putMap(rest, "eksClusterDetails", x)
		case "kubernetesDetails":
			var x map[string]any
			res.KubernetesDetails, x = m.kubernetes(fv, r)
			rest = putMap(rest, "kubernetesDetails", x)
		default:
			rest = m.keep(rest, k, fv, r)
		}
	})
	return rest
}

func putMap(rest map[string]any, k string, x map[string]any) map[string]any {
	if x == nil {
		return rest
	}
	return put(rest, k, x)
}

func (m *Mapper) accessKey(v *fastjson.Value, r *findingstream.Reader) (*finding.AccessKeyDetails, map[string]any) {
	const p = "resource.accessKeyDetails"
	o := r.Object(v, "resource", "accessKeyDetails")
	if o == nil {
		return nil, nil
	}
	var d finding.AccessKeyDetails
	var rest map[string]any
	var kb [64]byte
	o.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(findingstream.Key(k, &kb)) {
		case "accessKeyId":
			d.AccessKeyID = r.Str(fv, p, "accessKeyId")
		case "principalId":
			d.PrincipalID = r.Str(fv, p, "principalId")
		case "userName":
			d.UserName = r.Str(fv, p, "userName")
		case "userType":
			d.UserType = r.Str(fv, p, "userType")
		default:
			rest = m.keep(rest, k, fv, r)
		}
	})
	if d == (finding.AccessKeyDetails{}) {
		return nil, rest
	}
	return &d, rest
}

func (m *Mapper) instance(v *fastjson.Value, r *findingstream.Reader) (*finding.InstanceDetails, map[string]any) {
	const p = "resource.instanceDetails"
	o := r.Object(v, "resource", "instanceDetails")
	if o == nil {
		return nil, nil
	}
	d := &finding.InstanceDetails{}
	var rest map[string]any
	var kb [64]byte
	o.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(findingstream.Key(k, &kb)) {
		case "instanceId":
			d.InstanceID = r.Str(fv, p, "instanceId")
		case "networkInterfaces":
			var x []any
			d.NetworkInterfaces, x = m.interfaces(fv, r)
			if x != nil {
				rest = put(rest, "networkInterfaces", x)
			}
		default:
			rest = m.keep(rest, k, fv, r)
		}
	})
	if d.InstanceID == "" && len(d.NetworkInterfaces) == 0 {
		return nil, rest
	}
	return d, rest
}

// elems reads an array of objects, calling fn on each with its path, and
// returns the residues (nil when there are none).
func (m *Mapper) elems(v *fastjson.Value, r *findingstream.Reader, path, name string, fn func(i int, o *fastjson.Object, p string) map[string]any) []any {
	arr := r.Array(v, path, name)
	var rests []any
	some := false
	for i, el := range arr {
		p := findingstream.Join(path, name) + "[" + strconv.Itoa(i) + "]"
		o := r.Object(el, p, "")
		if o == nil {
			continue
		}
		x := fn(i, o, p)
		if x != nil {
			if rests == nil {
				rests = make([]any, len(arr))
				for j := range rests {
					rests[j] = map[string]any{}
				}
			}
			rests[i], some = x, true
		}
	}
	if !some {
		return nil
	}
	return rests
}

func (m *Mapper) interfaces(v *fastjson.Value, r *findingstream.Reader) ([]finding.NetworkInterface, []any) {
	var out []finding.NetworkInterface
	if n := len(v.GetArray()); n > 0 {
		out = make([]finding.NetworkInterface, n)
	}
	rests := m.elems(v, r, "resource.instanceDetails", "networkInterfaces", func(i int, o *fastjson.Object, p string) map[string]any {
		ni := &out[i]
		var rest map[string]any
		var kb [64]byte
		o.Visit(func(k []byte, fv *fastjson.Value) {
			switch string(findingstream.Key(k, &kb)) {
			case "networkInterfaceId":
				ni.NetworkInterfaceID = r.Str(fv, p, "networkInterfaceId")
			case "privateIpAddress":
				ni.PrivateIPAddress = r.Str(fv, p, "privateIpAddress")
			case "vpcId":
				ni.VpcID = r.Str(fv, p, "vpcId")
			case "subnetId":
				ni.SubnetID = r.Str(fv, p, "subnetId")
			default:
				rest = m.keep(rest, k, fv, r)
			}
		})
		return rest
	})
	return out, rests
}

func (m *Mapper) buckets(v *fastjson.Value, r *findingstream.Reader) ([]finding.S3BucketDetail, []any) {
	var out []finding.S3BucketDetail
	if n := len(v.GetArray()); n > 0 {
		out = make([]finding.S3BucketDetail, n)
	}
	rests := m.elems(v, r, "resource", "s3BucketDetails", func(i int, o *fastjson.Object, p string) map[string]any {
		b := &out[i]
		var rest map[string]any
		var kb [64]byte
		o.Visit(func(k []byte, fv *fastjson.Value) {
			switch string(findingstream.Key(k, &kb)) {
			case "arn":
				b.Arn = r.Str(fv, p, "arn")
			case "name":
				b.Name = r.Str(fv, p, "name")
			case "type":
				b.Type = r.Str(fv, p, "type")
			default:
				rest = m.keep(rest, k, fv, r)
			}
		})
		return rest
	})
	return out, rests
}

func (m *Mapper) eksCluster(v *fastjson.Value, r *findingstream.Reader) (*finding.EksClusterDetails, map[string]any) {
	const p = "resource.eksClusterDetails"
	o := r.Object(v, "resource", "eksClusterDetails")
	if o == nil {
		return nil, nil
	}
	var d finding.EksClusterDetails
	var rest map[string]any
	var kb [64]byte
	o.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(findingstream.Key(k, &kb)) {
		case "name":
			d.Name = r.Str(fv, p, "name")
		case "arn":
			d.Arn = r.Str(fv, p, "arn")
		default:
			rest = m.keep(rest, k, fv, r)
		}
	})
	if d == (finding.EksClusterDetails{}) {
		return nil, rest
	}
	return &d, rest
}

func (m *Mapper) kubernetes(v *fastjson.Value, r *findingstream.Reader) (*finding.KubernetesDetails, map[string]any) {
	const p = "resource.kubernetesDetails"
	o := r.Object(v, "resource", "kubernetesDetails")
	if o == nil {
		return nil, nil
	}
	var d finding.KubernetesDetails
	var rest map[string]any
	var kb [64]byte
	o.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(findingstream.Key(k, &kb)) {
		case "kubernetesUserDetails":
			uo := r.Object(fv, p, "kubernetesUserDetails")
			if uo == nil {
				return
			}
			const up = p + ".kubernetesUserDetails"
			var u finding.KubernetesUserDetails
			var urest map[string]any
			var kb2 [64]byte
			uo.Visit(func(k []byte, fv *fastjson.Value) {
				switch string(findingstream.Key(k, &kb2)) {
				case "username":
					u.Username = r.Str(fv, up, "username")
				case "uid":
					u.UID = r.Str(fv, up, "uid")
				case "groups":
					u.Groups = r.Strings(fv, up, "groups")
				default:
					urest = m.keep(urest, k, fv, r)
				}
			})
			if u.Username != "" || u.UID != "" || len(u.Groups) > 0 {
				d.KubernetesUserDetails = &u
			}
			rest = putMap(rest, "kubernetesUserDetails", urest)
		default:
			rest = m.keep(rest, k, fv, r)
		}
	})
	if d.KubernetesUserDetails == nil {
		return nil, rest
	}
	return &d, rest
}

// Service maps a GuardDuty service object into s (what the schema has no
// place for is dropped: Finding keeps it in AdditionalInfo). Numbers and
// booleans may be strings, as in the flattened service fields of a
// GuardDuty finding in ASFF.
func (m *Mapper) Service(v *fastjson.Value, s *finding.Service) error {
	var r findingstream.Reader
	m.service(v, s, &r)
	return r.Err
}

// Action maps a GuardDuty service.action object — or an ASFF Action, the
// same shape in PascalCase — into a.
func (m *Mapper) Action(v *fastjson.Value, a *finding.Action) error {
	var r findingstream.Reader
	m.action(v, a, &r, &asffAction)
	return r.Err
}

// actionPaths name the fields of an action in errors: built once, so
// reading allocates no names.
type actionPaths struct {
	root, api, apiIP, apiDomain, apiAffected, net, netLocalIP, netRemoteIP, netLocalPort, netRemotePort, probe, dns, k8s, k8sIP string
}

func newActionPaths(root string) actionPaths {
	return actionPaths{
		root: root, api: root + ".awsApiCallAction", apiIP: root + ".awsApiCallAction.remoteIpDetails",
		apiDomain: root + ".awsApiCallAction.domainDetails", apiAffected: root + ".awsApiCallAction.affectedResources",
		net: root + ".networkConnectionAction", netLocalIP: root + ".networkConnectionAction.localIpDetails",
		netRemoteIP: root + ".networkConnectionAction.remoteIpDetails", netLocalPort: root + ".networkConnectionAction.localPortDetails",
		netRemotePort: root + ".networkConnectionAction.remotePortDetails", probe: root + ".portProbeAction",
		dns: root + ".dnsRequestAction", k8s: root + ".kubernetesApiCallAction", k8sIP: root + ".kubernetesApiCallAction.remoteIpDetails",
	}
}

var gdAction, asffAction = newActionPaths("service.action"), newActionPaths("Action")

func (m *Mapper) service(v *fastjson.Value, s *finding.Service, r *findingstream.Reader) map[string]any {
	const p = "service"
	o := r.Object(v, "", "service")
	if o == nil {
		return nil
	}
	var rest map[string]any
	var kb [64]byte
	o.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(findingstream.Key(k, &kb)) {
		case "serviceName":
			if n := r.Str(fv, p, "serviceName"); n != "" && n != ServiceName {
				rest = put(rest, "serviceName", n)
			}
		case "detectorId":
			s.DetectorID = r.Str(fv, p, "detectorId")
		case "action":
			rest = putMap(rest, "action", m.action(fv, &s.Action, r, &gdAction))
		case "archived":
			s.Archived = r.Bool(fv, p, "archived")
		case "count":
			s.Count, _ = r.Int(fv, p, "count", 0, 1<<53)
		case "eventFirstSeen":
			s.EventFirstSeen = r.Time(fv, p, "eventFirstSeen")
		case "eventLastSeen":
			s.EventLastSeen = r.Time(fv, p, "eventLastSeen")
		case "resourceRole":
			s.ResourceRole = r.Str(fv, p, "resourceRole")
		case "featureName":
			s.FeatureName = r.Str(fv, p, "featureName")
		case "additionalInfo":
			s.AdditionalInfo = m.additionalInfo(fv, r)
		default:
			rest = m.keep(rest, k, fv, r)
		}
	})
	return rest
}

// additionalInfo reads service.additionalInfo: an object of free-form keys
// (EventBridge events, S3 exports), or the JSON API's {"value":"<JSON>",
// "type":"default"} whose value holds that object as a string. Its keys
// are kept as they are.
func (m *Mapper) additionalInfo(v *fastjson.Value, r *findingstream.Reader) map[string]any {
	const p, n = "service", "additionalInfo"
	switch v.Type() {
	case fastjson.TypeNull:
		return nil
	case fastjson.TypeString:
		return m.infoString(v, r, p+"."+n)
	case fastjson.TypeObject:
	default:
		r.Wrong(p, n, "an object", v.Type())
		return nil
	}
	o, _ := v.Object()
	if val, typ := o.Get("value"), o.Get("type"); o.Len() <= 2 && val != nil && val.Type() == fastjson.TypeString && (o.Len() == 1 || typ != nil && typ.Type() == fastjson.TypeString) {
		return m.infoString(val, r, p+"."+n+".value")
	}
	if val, typ := o.Get("Value"), o.Get("Type"); o.Len() <= 2 && val != nil && val.Type() == fastjson.TypeString && (o.Len() == 1 || typ != nil && typ.Type() == fastjson.TypeString) {
		return m.infoString(val, r, p+"."+n+".value")
	}
	x, err := findingstream.Any(v, false)
	if err != nil {
		r.Fail(p, n, "%v", err)
		return nil
	}
	mm := x.(map[string]any)
	if len(mm) == 0 {
		return nil
	}
	return mm
}

// infoString reads additional information held in a string: a JSON object
// is merged in; other text is kept as "value".
func (m *Mapper) infoString(v *fastjson.Value, r *findingstream.Reader, name string) map[string]any {
	b := v.GetStringBytes()
	if len(b) == 0 {
		return nil
	}
	// The values borrow m.info's memory, which the next finding reuses,
	// like the rest of the finding borrows the record's.
	if iv, err := m.info.ParseBytes(b); err == nil && iv.Type() == fastjson.TypeObject {
		x, err := findingstream.Any(iv, false)
		if err != nil {
			r.Fail(name, "", "%v", err)
			return nil
		}
		if mm := x.(map[string]any); len(mm) > 0 {
			return mm
		}
		return nil
	}
	return map[string]any{"value": event.B2S(b)}
}

// action reads a service.action object. ps name its fields in errors.
func (m *Mapper) action(v *fastjson.Value, a *finding.Action, r *findingstream.Reader, ps *actionPaths) map[string]any {
	p := ps.root
	o := r.Object(v, p, "")
	if o == nil {
		return nil
	}
	var rest map[string]any
	var kb [64]byte
	o.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(findingstream.Key(k, &kb)) {
		case "actionType":
			a.ActionType = r.Str(fv, p, "actionType")
		case "awsApiCallAction":
			var x map[string]any
			a.AwsAPICallAction, x = m.apiCall(fv, r, ps)
			rest = putMap(rest, "awsApiCallAction", x)
		case "networkConnectionAction":
			var x map[string]any
			a.NetworkConnectionAction, x = m.netConn(fv, r, ps)
			rest = putMap(rest, "networkConnectionAction", x)
		case "portProbeAction":
			var x map[string]any
			a.PortProbeAction, x = m.portProbe(fv, r, ps.probe)
			rest = putMap(rest, "portProbeAction", x)
		case "dnsRequestAction":
			var x map[string]any
			a.DNSRequestAction, x = m.dnsRequest(fv, r, ps.dns)
			rest = putMap(rest, "dnsRequestAction", x)
		case "kubernetesApiCallAction":
			var x map[string]any
			a.KubernetesAPICallAction, x = m.k8sCall(fv, r, ps)
			rest = putMap(rest, "kubernetesApiCallAction", x)
		default:
			rest = m.keep(rest, k, fv, r)
		}
	})
	return rest
}

func (m *Mapper) apiCall(v *fastjson.Value, r *findingstream.Reader, ps *actionPaths) (*finding.AwsAPICallAction, map[string]any) {
	p := ps.api
	o := r.Object(v, p, "")
	if o == nil {
		return nil, nil
	}
	var c finding.AwsAPICallAction
	var rest map[string]any
	var kb [64]byte
	o.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(findingstream.Key(k, &kb)) {
		case "api":
			c.API = r.Str(fv, p, "api")
		case "serviceName":
			c.ServiceName = r.Str(fv, p, "serviceName")
		case "callerType":
			c.CallerType = r.Str(fv, p, "callerType")
		case "errorCode":
			c.ErrorCode = r.Str(fv, p, "errorCode")
		case "userAgent":
			c.UserAgent = r.Str(fv, p, "userAgent")
		case "remoteIpDetails":
			var x map[string]any
			c.RemoteIPDetails, x = m.ip(fv, r, ps.apiIP)
			rest = putMap(rest, "remoteIpDetails", x)
		case "domainDetails":
			do := r.Object(fv, p, "domainDetails")
			if do == nil {
				return
			}
			var d finding.DomainDetails
			var drest map[string]any
			var kb2 [64]byte
			do.Visit(func(k []byte, fv *fastjson.Value) {
				if string(findingstream.Key(k, &kb2)) == "domain" {
					d.Domain = r.Str(fv, ps.apiDomain, "domain")
					return
				}
				drest = m.keep(drest, k, fv, r)
			})
			if d.Domain != "" {
				c.DomainDetails = &d
			}
			rest = putMap(rest, "domainDetails", drest)
		case "affectedResources":
			ao := r.Object(fv, p, "affectedResources")
			if ao == nil || ao.Len() == 0 {
				return
			}
			c.AffectedResources = make(map[string]string, ao.Len())
			ao.Visit(func(k []byte, fv *fastjson.Value) {
				if s := r.Str(fv, ps.apiAffected, event.B2S(k)); s != "" {
					c.AffectedResources[event.B2S(k)] = s
				}
			})
		default:
			rest = m.keep(rest, k, fv, r)
		}
	})
	if c.API == "" && c.ServiceName == "" && c.CallerType == "" && c.ErrorCode == "" && c.UserAgent == "" &&
		c.RemoteIPDetails == nil && c.DomainDetails == nil && len(c.AffectedResources) == 0 {
		return nil, rest
	}
	return &c, rest
}

// ip reads a remoteIpDetails or localIpDetails object.
func (m *Mapper) ip(v *fastjson.Value, r *findingstream.Reader, p string) (*finding.RemoteIPDetails, map[string]any) {
	o := r.Object(v, p, "")
	if o == nil {
		return nil, nil
	}
	var d finding.RemoteIPDetails
	var rest map[string]any
	var kb [64]byte
	o.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(findingstream.Key(k, &kb)) {
		case "ipAddressV4":
			d.IPAddressV4 = r.Str(fv, p, "ipAddressV4")
		case "ipAddressV6":
			d.IPAddressV6 = r.Str(fv, p, "ipAddressV6")
		default:
			rest = m.keep(rest, k, fv, r)
		}
	})
	if d == (finding.RemoteIPDetails{}) {
		return nil, rest
	}
	return &d, rest
}

// port reads a localPortDetails or remotePortDetails object.
func (m *Mapper) port(v *fastjson.Value, r *findingstream.Reader, p string) (*finding.PortDetails, map[string]any) {
	o := r.Object(v, p, "")
	if o == nil {
		return nil, nil
	}
	var d finding.PortDetails
	var rest map[string]any
	seen := false
	var kb [64]byte
	o.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(findingstream.Key(k, &kb)) {
		case "port":
			n, ok := r.Int(fv, p, "port", 0, 65535)
			d.Port, seen = int(n), seen || ok
		case "portName":
			d.PortName = r.Str(fv, p, "portName")
		default:
			rest = m.keep(rest, k, fv, r)
		}
	})
	if !seen && d.PortName == "" {
		return nil, rest
	}
	return &d, rest
}

func (m *Mapper) netConn(v *fastjson.Value, r *findingstream.Reader, ps *actionPaths) (*finding.NetworkConnectionAction, map[string]any) {
	p := ps.net
	o := r.Object(v, p, "")
	if o == nil {
		return nil, nil
	}
	var c finding.NetworkConnectionAction
	var rest map[string]any
	var kb [64]byte
	o.Visit(func(k []byte, fv *fastjson.Value) {
		var x map[string]any
		switch string(findingstream.Key(k, &kb)) {
		case "connectionDirection":
			c.ConnectionDirection = r.Str(fv, p, "connectionDirection")
		case "protocol":
			c.Protocol = r.Str(fv, p, "protocol")
		case "blocked":
			c.Blocked = r.Bool(fv, p, "blocked")
		case "localIpDetails":
			c.LocalIPDetails, x = m.ip(fv, r, ps.netLocalIP)
			rest = putMap(rest, "localIpDetails", x)
		case "remoteIpDetails":
			c.RemoteIPDetails, x = m.ip(fv, r, ps.netRemoteIP)
			rest = putMap(rest, "remoteIpDetails", x)
		case "localPortDetails":
			c.LocalPortDetails, x = m.port(fv, r, ps.netLocalPort)
			rest = putMap(rest, "localPortDetails", x)
		case "remotePortDetails":
			c.RemotePortDetails, x = m.port(fv, r, ps.netRemotePort)
			rest = putMap(rest, "remotePortDetails", x)
		default:
			rest = m.keep(rest, k, fv, r)
		}
	})
	if c == (finding.NetworkConnectionAction{}) {
		return nil, rest
	}
	return &c, rest
}

func (m *Mapper) portProbe(v *fastjson.Value, r *findingstream.Reader, p string) (*finding.PortProbeAction, map[string]any) {
	o := r.Object(v, p, "")
	if o == nil {
		return nil, nil
	}
	var a finding.PortProbeAction
	var rest map[string]any
	seen := false
	var kb [64]byte
	o.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(findingstream.Key(k, &kb)) {
		case "blocked":
			a.Blocked, seen = r.Bool(fv, p, "blocked"), true
		case "portProbeDetails":
			if n := len(fv.GetArray()); n > 0 {
				a.PortProbeDetails = make([]finding.PortProbeDetail, n)
			}
			x := m.elems(fv, r, p, "portProbeDetails", func(i int, o *fastjson.Object, ep string) map[string]any {
				d := &a.PortProbeDetails[i]
				var erest map[string]any
				var kb2 [64]byte
				o.Visit(func(k []byte, fv *fastjson.Value) {
					var x map[string]any
					switch string(findingstream.Key(k, &kb2)) {
					case "localPortDetails":
						d.LocalPortDetails, x = m.port(fv, r, ep+".localPortDetails")
						erest = putMap(erest, "localPortDetails", x)
					case "localIpDetails":
						d.LocalIPDetails, x = m.ip(fv, r, ep+".localIpDetails")
						erest = putMap(erest, "localIpDetails", x)
					case "remoteIpDetails":
						d.RemoteIPDetails, x = m.ip(fv, r, ep+".remoteIpDetails")
						erest = putMap(erest, "remoteIpDetails", x)
					default:
						erest = m.keep(erest, k, fv, r)
					}
				})
				return erest
			})
			if x != nil {
				rest = put(rest, "portProbeDetails", x)
			}
		default:
			rest = m.keep(rest, k, fv, r)
		}
	})
	if !seen && len(a.PortProbeDetails) == 0 {
		return nil, rest
	}
	if a.PortProbeDetails == nil {
		a.PortProbeDetails = []finding.PortProbeDetail{}
	}
	return &a, rest
}

func (m *Mapper) dnsRequest(v *fastjson.Value, r *findingstream.Reader, p string) (*finding.DNSRequestAction, map[string]any) {
	o := r.Object(v, p, "")
	if o == nil {
		return nil, nil
	}
	var a finding.DNSRequestAction
	var rest map[string]any
	var kb [64]byte
	o.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(findingstream.Key(k, &kb)) {
		case "domain":
			a.Domain = r.Str(fv, p, "domain")
		case "protocol":
			a.Protocol = r.Str(fv, p, "protocol")
		case "blocked":
			a.Blocked = r.Bool(fv, p, "blocked")
		case "domainWithSuffix":
			a.DomainWithSuffix = r.Str(fv, p, "domainWithSuffix")
		default:
			rest = m.keep(rest, k, fv, r)
		}
	})
	if a == (finding.DNSRequestAction{}) {
		return nil, rest
	}
	return &a, rest
}

func (m *Mapper) k8sCall(v *fastjson.Value, r *findingstream.Reader, ps *actionPaths) (*finding.KubernetesAPICallAction, map[string]any) {
	p := ps.k8s
	o := r.Object(v, p, "")
	if o == nil {
		return nil, nil
	}
	var c finding.KubernetesAPICallAction
	var rest map[string]any
	var kb [64]byte
	o.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(findingstream.Key(k, &kb)) {
		case "requestUri":
			c.RequestURI = r.Str(fv, p, "requestUri")
		case "verb":
			c.Verb = r.Str(fv, p, "verb")
		case "sourceIps", "sourceIPs":
			c.SourceIPs = r.Strings(fv, p, "sourceIps")
		case "userAgent":
			c.UserAgent = r.Str(fv, p, "userAgent")
		case "remoteIpDetails":
			var x map[string]any
			c.RemoteIPDetails, x = m.ip(fv, r, ps.k8sIP)
			rest = putMap(rest, "remoteIpDetails", x)
		case "statusCode":
			n, _ := r.Int(fv, p, "statusCode", 0, 999)
			c.StatusCode = int(n)
		case "namespace":
			c.Namespace = r.Str(fv, p, "namespace")
		case "resource":
			c.Resource = r.Str(fv, p, "resource")
		case "subresource":
			c.Subresource = r.Str(fv, p, "subresource")
		case "resourceName":
			c.ResourceName = r.Str(fv, p, "resourceName")
		default:
			rest = m.keep(rest, k, fv, r)
		}
	})
	if c.RequestURI == "" && c.Verb == "" && len(c.SourceIPs) == 0 && c.UserAgent == "" && c.RemoteIPDetails == nil &&
		c.StatusCode == 0 && c.Namespace == "" && c.Resource == "" && c.Subresource == "" && c.ResourceName == "" {
		return nil, rest
	}
	return &c, rest
}

// times returns the finding's event time: updatedAt, else eventLastSeen,
// else createdAt, else fallback.
func times(f *finding.Finding, fallback time.Time) time.Time {
	for _, t := range [...]time.Time{f.UpdatedAt, f.Service.EventLastSeen, f.CreatedAt} {
		if !t.IsZero() {
			return t
		}
	}
	return fallback
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
