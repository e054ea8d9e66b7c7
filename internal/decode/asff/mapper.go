package asff

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/picket-dev/picket/internal/decode/findingstream"
	"github.com/picket-dev/picket/internal/decode/guardduty"
	"github.com/picket-dev/picket/internal/event"
	"github.com/picket-dev/picket/internal/finding"
)

// Mapper maps ASFF findings into Picket's finding.Finding (see the package
// doc). The Finding's strings, and the values in its AdditionalInfo,
// borrow the parsed document's memory (and the Mapper's): call Detach to
// keep it. Not safe for concurrent use.
type Mapper struct {
	gd    guardduty.Mapper
	inner fastjson.Parser // GuardDuty's service object, rebuilt from ProductFields

	// Of the last finding mapped.
	id           string
	lastObserved time.Time
}

// gdServicePrefix starts the ProductFields keys holding GuardDuty's
// flattened service object.
const gdServicePrefix = "aws/guardduty/service/"

// fields are the attributes read besides those copied as they are.
type fields struct {
	id, productArn, productName, generatorID, productFieldsName   string
	types, sev, fpf, pf, resources, workflow, recordState, action *fastjson.Value
	firstObserved                                                 time.Time
}

// Finding maps the ASFF finding v into f, which is reset first.
func (m *Mapper) Finding(v *fastjson.Value, f *finding.Finding) error {
	*f = finding.Finding{}
	m.id, m.lastObserved = "", time.Time{}
	o, err := v.Object()
	if err != nil {
		return errors.New("not an ASFF finding: expected a JSON object, got " + v.Type().String())
	}
	var r findingstream.Reader
	var a fields
	var rest map[string]any
	o.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(k) {
		case "SchemaVersion":
			r.Str(fv, "", "SchemaVersion")
		case "Id":
			a.id = r.Str(fv, "", "Id")
		case "ProductArn":
			a.productArn = r.Str(fv, "", "ProductArn")
		case "ProductName":
			a.productName = r.Str(fv, "", "ProductName")
		case "GeneratorId":
			a.generatorID = r.Str(fv, "", "GeneratorId")
		case "AwsAccountId":
			f.AccountID = r.Str(fv, "", "AwsAccountId")
		case "Region":
			f.Region = r.Str(fv, "", "Region")
		case "Title":
			f.Title = r.Str(fv, "", "Title")
		case "Description":
			f.Description = r.Str(fv, "", "Description")
		case "CreatedAt":
			f.CreatedAt = r.Time(fv, "", "CreatedAt")
		case "UpdatedAt":
			f.UpdatedAt = r.Time(fv, "", "UpdatedAt")
		case "FirstObservedAt":
			a.firstObserved = r.Time(fv, "", "FirstObservedAt")
		case "LastObservedAt":
			m.lastObserved = r.Time(fv, "", "LastObservedAt")
		default:
			switch string(k) {
			case "Types":
				a.types = fv
			case "Severity":
				a.sev = fv
			case "FindingProviderFields":
				a.fpf = fv
			case "ProductFields":
				a.pf = fv
			case "Resources":
				a.resources = fv
			case "Workflow":
				a.workflow = fv
			case "RecordState":
				a.recordState = fv
			case "Action":
				a.action = fv
			}
			x, err := findingstream.Any(fv, false)
			if err != nil {
				r.Fail("", event.B2S(k), "%v", err)
				return
			}
			if rest == nil {
				rest = make(map[string]any, 16)
			}
			rest[event.B2S(k)] = x
		}
	})
	if r.Err != nil {
		return r.Err
	}
	switch {
	case a.id == "" && f.AccountID == "" && a.productArn == "" && a.generatorID == "":
		return errors.New("not an ASFF finding: no Id, AwsAccountId, ProductArn or GeneratorId")
	case a.id == "":
		return errors.New("field Id is missing")
	case f.AccountID == "":
		return errors.New("field AwsAccountId is missing")
	case !guardduty.IsAccount(f.AccountID):
		return errors.New("field AwsAccountId: not an AWS account ID: " + strconv.Quote(clip(f.AccountID, 40)))
	}
	m.id = a.id
	gdFields := m.productFields(&a, &r)
	isGD := strings.EqualFold(a.productName, "GuardDuty") || strings.EqualFold(a.productFieldsName, "GuardDuty") ||
		strings.HasSuffix(a.productArn, "/product/aws/guardduty")
	var types []string
	if a.types != nil {
		types = r.Strings(a.types, "", "Types")
	}
	fpTypes := fpfTypes(a.fpf, &r)
	res := m.resource(a.resources, f, &r)
	if r.Err != nil {
		return r.Err
	}
	sev, err := severity(&a, isGD, &r)
	if err != nil {
		return err
	}
	f.Severity = sev

	// Service.
	s := &f.Service
	if isGD && len(gdFields) > 0 {
		if err := m.gdService(gdFields, s); err != nil {
			return fmt.Errorf("field ProductFields (GuardDuty's service fields): %w", err)
		}
	}
	if a.action != nil && a.action.Type() != fastjson.TypeNull {
		var act finding.Action
		if err := m.gd.Action(a.action, &act); err != nil {
			return err
		}
		if act != (finding.Action{}) {
			s.Action = act
		}
	}
	s.ServiceName = serviceName(&a)
	if s.DetectorID == "" {
		s.DetectorID = a.generatorID
	}
	if s.EventFirstSeen.IsZero() {
		s.EventFirstSeen = firstTime(a.firstObserved, f.CreatedAt)
	}
	if s.EventLastSeen.IsZero() {
		s.EventLastSeen = firstTime(m.lastObserved, f.UpdatedAt)
	}
	if s.Count == 0 {
		s.Count = 1
	}
	if s.ResourceRole == "" {
		s.ResourceRole = strings.ToUpper(res.role)
	}
	if status := r.Str(objGet(a.workflow, &r, "Workflow", "Status"), "Workflow", "Status"); status == "SUPPRESSED" {
		s.Archived = true
	}
	if a.recordState != nil && r.Str(a.recordState, "", "RecordState") == "ARCHIVED" {
		s.Archived = true
	}
	if r.Err != nil {
		return r.Err
	}

	// Type.
	typ, ok := "", false
	for _, t := range types {
		if typ, ok = GuardDutyType(t, isGD); ok {
			break
		}
	}
	if !ok {
		for _, t := range fpTypes {
			if typ, ok = GuardDutyType(t, isGD); ok {
				break
			}
		}
	}
	if !ok {
		if len(types) == 0 && len(fpTypes) == 0 && a.generatorID == "" {
			return errors.New("fields Types and GeneratorId are missing")
		}
		first := ""
		if len(types) > 0 {
			first = types[0]
		} else if len(fpTypes) > 0 {
			first = fpTypes[0]
		}
		typ = Purpose(first) + ":" + ResourceToken(res.typ) + "/" + GeneratorName(a.generatorID) + SecurityHubTypeSuffix
	}
	f.Type = typ

	// Where.
	if f.Region == "" {
		f.Region = res.region
	}
	if f.Region == "" {
		if g := arnField(a.productArn, 3); isRegion(g) {
			f.Region = g
		}
	}
	f.Partition = res.partition
	if f.Partition == "" {
		f.Partition = arnField(a.id, 1)
	}
	if f.Partition == "" {
		f.Partition = arnField(a.productArn, 1)
	}

	// Identity and what is kept.
	f.ID = a.id
	f.SchemaVersion = finding.SchemaVersion
	f.Keys = finding.Keys{Resource: KeyPrefix + a.id}
	if isGD {
		if _, gid, ok := strings.Cut(a.id, "/finding/"); ok && gid != "" && !strings.Contains(gid, "/") {
			f.Keys.Resource = guardduty.KeyPrefix + gid
			f.Arn = a.id
		}
	}
	if s.AdditionalInfo == nil {
		s.AdditionalInfo = make(map[string]any, 2)
	}
	src := map[string]any{
		"producer": s.ServiceName, "format": Format, "id": a.id, "productArn": a.productArn, "generatorId": a.generatorID,
	}
	findingstream.AddTimes(src, f.CreatedAt, f.UpdatedAt)
	s.AdditionalInfo["source"] = src
	if rest != nil {
		s.AdditionalInfo[Format] = rest
	}
	return nil
}

// productFields reads ProductFields: its product name, and GuardDuty's
// flattened service fields (key without the prefix → value).
func (m *Mapper) productFields(a *fields, r *findingstream.Reader) map[string]string {
	if a.pf == nil {
		return nil
	}
	o := r.Object(a.pf, "", "ProductFields")
	if o == nil {
		return nil
	}
	var gd map[string]string
	o.Visit(func(k []byte, fv *fastjson.Value) {
		s := r.Str(fv, "ProductFields", event.B2S(k))
		switch key := event.B2S(k); {
		case key == "aws/securityhub/ProductName":
			a.productFieldsName = s
		case strings.HasPrefix(key, gdServicePrefix) && len(key) > len(gdServicePrefix):
			if gd == nil {
				gd = make(map[string]string, o.Len())
			}
			gd[key[len(gdServicePrefix):]] = s
		}
	})
	return gd
}

// gdService rebuilds GuardDuty's service object from its flattened
// fields ("action/networkConnectionAction/localPortDetails/port": "22")
// and reads it. Path parts that are all digits index arrays.
func (m *Mapper) gdService(flat map[string]string, s *finding.Service) error {
	root := map[string]any{}
	keys := make([]string, 0, len(flat))
	for k := range flat {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a leaf and a branch of one name: the branch wins, always the same way
	for _, k := range keys {
		parts := strings.Split(k, "/")
		node := root
		for _, p := range parts[:len(parts)-1] {
			next, ok := node[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				node[p] = next
			}
			node = next
		}
		last := parts[len(parts)-1]
		if _, isBranch := node[last].(map[string]any); !isBranch {
			node[last] = flat[k]
		}
	}
	b, err := json.Marshal(arrays(root))
	if err != nil {
		return err
	}
	v, err := m.inner.ParseBytes(b)
	if err != nil {
		return err
	}
	if err := m.gd.Service(v, s); err != nil {
		return err
	}
	// Flattened, additionalInfo's booleans became strings: "sample": "true".
	for k, x := range s.AdditionalInfo {
		switch x {
		case "true":
			s.AdditionalInfo[k] = true
		case "false":
			s.AdditionalInfo[k] = false
		}
	}
	return nil
}

// arrays turns objects whose keys are all indexes ("0", "1", …) into
// arrays, depth first.
func arrays(x any) any {
	m, ok := x.(map[string]any)
	if !ok {
		return x
	}
	idx := len(m) > 0
	for k, v := range m {
		m[k] = arrays(v)
		if n, err := strconv.Atoi(k); err != nil || n < 0 || n >= len(m) || strconv.Itoa(n) != k {
			idx = false
		}
	}
	if !idx {
		return m
	}
	out := make([]any, len(m))
	for k, v := range m {
		n, _ := strconv.Atoi(k)
		out[n] = v
	}
	return out
}

func fpfTypes(fpf *fastjson.Value, r *findingstream.Reader) []string {
	if fpf == nil || fpf.Type() != fastjson.TypeObject {
		if fpf != nil {
			r.Object(fpf, "", "FindingProviderFields")
		}
		return nil
	}
	if t := fpf.Get("Types"); t != nil {
		return r.Strings(t, "FindingProviderFields", "Types")
	}
	return nil
}

// objGet returns the field name of the object v (nil when v or the field is
// absent), checking that v is an object.
func objGet(v *fastjson.Value, r *findingstream.Reader, path, name string) *fastjson.Value {
	if v == nil {
		return nullValue
	}
	o := r.Object(v, "", path)
	if o == nil {
		return nullValue
	}
	if x := o.Get(name); x != nil {
		return x
	}
	return nullValue
}

var nullValue = fastjson.MustParse("null")

// serviceName is the product's name lowercased.
func serviceName(a *fields) string {
	n := a.productName
	if n == "" {
		n = a.productFieldsName
	}
	if n == "" {
		if i := strings.LastIndexByte(a.productArn, '/'); i >= 0 {
			n = a.productArn[i+1:]
		}
	}
	return lower(n)
}

// lower lowercases s, allocating only when s has upper-case letters.
func lower(s string) string {
	for i := range len(s) {
		if c := s[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
			return strings.ToLower(s)
		}
	}
	return s
}

// severity computes GuardDuty's numeric severity (see the package doc).
func severity(a *fields, isGD bool, r *findingstream.Reader) (float64, error) {
	sv := a.sev
	path := "Severity"
	if sv == nil || sv.Type() == fastjson.TypeNull {
		if a.fpf != nil && a.fpf.Type() == fastjson.TypeObject {
			sv, path = a.fpf.Get("Severity"), "FindingProviderFields.Severity"
		}
	}
	if sv == nil || sv.Type() == fastjson.TypeNull {
		return 0, errors.New("field Severity is missing")
	}
	o := r.Object(sv, "", path)
	if r.Err != nil {
		return 0, r.Err
	}
	get := func(k string) *fastjson.Value {
		if x := o.Get(k); x != nil {
			return x
		}
		return nullValue
	}
	if isGD {
		for _, k := range [...]string{"Product", "Original"} {
			if p, ok := r.Num(get(k), path, k); ok && p > 0 && p <= 10 {
				return p, nil
			}
		}
		r.Err = nil // a Product that is not GuardDuty's severity: read the rest
	}
	label := r.Str(get("Label"), path, "Label")
	norm, haveNorm := r.Num(get("Normalized"), path, "Normalized")
	if r.Err != nil {
		return 0, r.Err
	}
	band, known := labels[label]
	if label != "" && !known {
		return 0, fmt.Errorf("field %s.Label: unknown severity label %q", path, clip(label, 40))
	}
	if haveNorm {
		if norm < 0 || norm > 100 {
			return 0, fmt.Errorf("field %s.Normalized: not from 0 to 100: %s", path, strconv.FormatFloat(norm, 'g', -1, 64))
		}
		s := min(max(norm/10, 1), 10)
		if label == "" || finding.LabelOf(s) == finding.LabelOf(band) {
			return s, nil
		}
	}
	if label == "" {
		return 0, fmt.Errorf("field %s: no Label or Normalized", path)
	}
	return band, nil
}

// labels maps ASFF severity labels to GuardDuty severities.
var labels = map[string]float64{
	"CRITICAL":      finding.SevCritical,
	"HIGH":          finding.SevHigh,
	"MEDIUM":        finding.SevMedium,
	"LOW":           finding.SevLow,
	"INFORMATIONAL": 1.0,
}

// res is what Resources[0] says besides the details it fills.
type res struct {
	typ, region, partition, role string
}

// resource reads Resources[0] into f.Resource.
func (m *Mapper) resource(v *fastjson.Value, f *finding.Finding, r *findingstream.Reader) res {
	var out res
	if v == nil {
		return out
	}
	arr := r.Array(v, "", "Resources")
	if len(arr) == 0 {
		return out
	}
	o := r.Object(arr[0], "Resources[0]", "")
	if o == nil {
		return out
	}
	const p = "Resources[0]"
	var id string
	var details *fastjson.Value
	o.Visit(func(k []byte, fv *fastjson.Value) {
		switch string(k) {
		case "Type":
			out.typ = r.Str(fv, p, "Type")
		case "Id":
			id = r.Str(fv, p, "Id")
		case "Partition":
			out.partition = r.Str(fv, p, "Partition")
		case "Region":
			out.region = r.Str(fv, p, "Region")
		case "ResourceRole":
			out.role = r.Str(fv, p, "ResourceRole")
		case "Details":
			details = fv
		}
	})
	var det *fastjson.Object
	if details != nil {
		det = r.Object(details, p, "Details")
	}
	detail := func(name string) *fastjson.Object {
		if det == nil {
			return nil
		}
		if x := det.Get(name); x != nil {
			return r.Object(x, p+".Details", name)
		}
		return nil
	}
	str := func(o *fastjson.Object, path, name string) string {
		if o == nil {
			return ""
		}
		if x := o.Get(name); x != nil {
			return r.Str(x, path, name)
		}
		return ""
	}
	fr := &f.Resource
	fr.ResourceType = out.typ
	switch out.typ {
	case "AwsEc2Instance":
		fr.ResourceType = "Instance"
		d := detail("AwsEc2Instance")
		const dp = p + ".Details.AwsEc2Instance"
		inst := &finding.InstanceDetails{InstanceID: instanceID(id)}
		vpc, subnet := str(d, dp, "VpcId"), str(d, dp, "SubnetId")
		private := ""
		if d != nil {
			if x := d.Get("IpV4Addresses"); x != nil {
				for _, ip := range r.Strings(x, dp, "IpV4Addresses") {
					if a, err := netip.ParseAddr(ip); err == nil && a.IsPrivate() {
						private = ip
						break
					}
				}
			}
			if x := d.Get("NetworkInterfaces"); x != nil {
				for i, ni := range r.Array(x, dp, "NetworkInterfaces") {
					nio := r.Object(ni, dp+".NetworkInterfaces["+strconv.Itoa(i)+"]", "")
					if id := str(nio, dp+".NetworkInterfaces", "NetworkInterfaceId"); id != "" {
						inst.NetworkInterfaces = append(inst.NetworkInterfaces, finding.NetworkInterface{NetworkInterfaceID: id})
					}
				}
			}
		}
		if len(inst.NetworkInterfaces) == 0 && (vpc != "" || subnet != "" || private != "") {
			inst.NetworkInterfaces = []finding.NetworkInterface{{}}
		}
		if len(inst.NetworkInterfaces) > 0 {
			ni := &inst.NetworkInterfaces[0]
			ni.VpcID, ni.SubnetID, ni.PrivateIPAddress = vpc, subnet, private
		}
		fr.InstanceDetails = inst
	case "AwsIamAccessKey":
		fr.ResourceType = "AccessKey"
		d := detail("AwsIamAccessKey")
		const dp = p + ".Details.AwsIamAccessKey"
		k := &finding.AccessKeyDetails{
			AccessKeyID: str(d, dp, "AccessKeyId"),
			PrincipalID: str(d, dp, "PrincipalId"),
			UserType:    str(d, dp, "PrincipalType"),
			UserName:    str(d, dp, "PrincipalName"),
		}
		if k.AccessKeyID == "" && !strings.HasPrefix(id, "arn:") {
			k.AccessKeyID = id
		}
		if k.UserName == "" {
			k.UserName = str(d, dp, "UserName")
		}
		if k.UserName == "" && d != nil {
			if sc := d.Get("SessionContext"); sc != nil && sc.Type() == fastjson.TypeObject {
				if si := sc.Get("SessionIssuer"); si != nil && si.Type() == fastjson.TypeObject {
					if u := si.Get("UserName"); u != nil {
						k.UserName = r.Str(u, dp+".SessionContext.SessionIssuer", "UserName")
					}
				}
			}
		}
		fr.AccessKeyDetails = k
	case "AwsS3Bucket":
		fr.ResourceType = "S3Bucket"
		b := finding.S3BucketDetail{Name: id}
		if strings.HasPrefix(id, "arn:") {
			b.Arn = id
			_, b.Name, _ = strings.Cut(id, ":::")
		}
		fr.S3BucketDetails = []finding.S3BucketDetail{b}
	case "AwsEksCluster":
		fr.ResourceType = "EKSCluster"
		c := &finding.EksClusterDetails{Name: str(detail("AwsEksCluster"), p+".Details.AwsEksCluster", "Name")}
		if strings.HasPrefix(id, "arn:") {
			c.Arn = id
			if c.Name == "" {
				_, c.Name, _ = strings.Cut(id, ":cluster/")
			}
		} else if c.Name == "" {
			c.Name = id
		}
		fr.EksClusterDetails = c
	}
	return out
}

// instanceID returns the instance ID in an instance ARN
// (arn:aws:ec2:…:instance/i-…), or id itself when it is one.
func instanceID(id string) string {
	if _, after, ok := strings.Cut(id, ":instance/"); ok {
		return after
	}
	if strings.HasPrefix(id, "i-") {
		return id
	}
	return ""
}

// GuardDutyType reads a GuardDuty-style finding type from an ASFF Types
// entry, whose last part is the type with its "/" turned into "-"
// ("TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce" →
// "UnauthorizedAccess:EC2/SSHBruteForce"), or kept ("TTPs/PenTest:IAMUser/
// KaliLinux"). gd says the finding is GuardDuty's, for the one type whose
// ASFF name differs further.
func GuardDutyType(t string, gd bool) (string, bool) {
	c := strings.IndexByte(t, ':')
	if c < 0 {
		return "", false
	}
	start := strings.LastIndexByte(t[:c], '/') + 1
	purpose, rest := t[start:c], t[c+1:]
	if len(purpose) < 2 || purpose[0] < 'A' || purpose[0] > 'Z' || !alnum(purpose, false) {
		return "", false
	}
	sep := strings.IndexAny(rest, "-/")
	if sep < 1 || sep == len(rest)-1 || !alnum(rest[:sep], true) || strings.ContainsAny(rest[sep+1:], " \t\r\n") {
		return "", false
	}
	typ := t[start:c+1] + rest[:sep] + "/" + rest[sep+1:]
	if gd && typ == "Trojan:EC2/DNSDataExfiltration!DNS" {
		typ = "Trojan:EC2/DNSDataExfiltration"
	}
	return typ, true
}

// alnum reports whether s is letters (and digits when digits is set).
func alnum(s string, digits bool) bool {
	for i := range len(s) {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || digits && c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

// Purpose derives a GuardDuty-style threat purpose from an ASFF type's
// namespace and category (see the package doc).
func Purpose(t string) string {
	parts := strings.Split(t, "/")
	ns, cat := strings.TrimSpace(parts[0]), ""
	if len(parts) > 1 {
		cat = strings.TrimSpace(parts[1])
	}
	switch ns {
	case "":
		return "Finding"
	case "TTPs":
		if cat == "" {
			return "TTP"
		}
		return words(cat)
	case "Effects":
		if cat == "Data Exfiltration" {
			return "Exfiltration"
		}
		return "Impact"
	case "Unusual Behaviors":
		return "Behavior"
	case "Software and Configuration Checks":
		if cat == "Vulnerabilities" {
			return "Vulnerability"
		}
		return "Policy"
	case "Sensitive Data Identifications":
		return "SensitiveData"
	}
	if w := words(ns); w != "" {
		return w
	}
	return "Finding"
}

// words joins the words of s, each capitalized, dropping other characters:
// "Command and Control" → "CommandAndControl".
func words(s string) string {
	var b strings.Builder
	up := true
	for i := range len(s) {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			if up {
				c -= 'a' - 'A'
			}
			b.WriteByte(c)
			up = false
		case c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
			b.WriteByte(c)
			up = false
		default:
			up = true
		}
	}
	return b.String()
}

// ResourceToken names an ASFF resource type the way GuardDuty's finding
// types name the resource affected (see the package doc).
func ResourceToken(t string) string {
	switch {
	case t == "":
		return "Unknown"
	case t == "AwsIamAccessKey" || t == "AwsIamUser":
		return "IAMUser"
	case t == "AwsIamRole":
		return "IAMRole"
	case t == "AwsAccount":
		return "Account"
	}
	for _, p := range [...][2]string{
		{"AwsEc2", "EC2"}, {"AwsIam", "IAM"}, {"AwsS3", "S3"}, {"AwsEks", "EKS"},
		{"AwsLambda", "Lambda"}, {"AwsRds", "RDS"}, {"AwsEcs", "ECS"},
	} {
		if strings.HasPrefix(t, p[0]) {
			return p[1]
		}
	}
	t = strings.TrimPrefix(t, "Aws")
	if n := sanitize(t); n != "" {
		return n
	}
	return "Unknown"
}

// GeneratorName derives the name part of a built type from a GeneratorId
// (see the package doc).
func GeneratorName(g string) string {
	parts := strings.Split(g, "/")
	if len(parts) == 1 {
		if i := strings.LastIndexByte(g, ':'); i >= 0 && strings.HasPrefix(g, "arn:") {
			parts = []string{g[i+1:]}
		}
	}
	name := parts[len(parts)-1]
	if !hasLetter(name) {
		for i := len(parts) - 2; i >= 0; i-- {
			p := parts[i]
			if p == "v" || p == "rule" || !hasLetter(p) {
				continue
			}
			if j := strings.LastIndexByte(p, ':'); j >= 0 {
				p = p[j+1:]
			}
			if p != "" {
				name = p + "." + name
			}
			break
		}
	}
	if n := sanitize(name); n != "" {
		return n
	}
	return "Unknown"
}

func hasLetter(s string) bool {
	for i := range len(s) {
		if c := s[i] | 0x20; c >= 'a' && c <= 'z' {
			return true
		}
	}
	return false
}

// sanitize keeps letters, digits, ".", "_" and "-", turning runs of
// anything else into "-".
func sanitize(s string) string {
	var b strings.Builder
	dash := false
	for i := range len(s) {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' {
			b.WriteByte(c)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.Trim(b.String(), "-")
}

// arnField returns the i-th colon-separated field of an ARN, or "".
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

// isRegion reports whether s looks like an AWS region: "us-east-1",
// "us-gov-west-1".
func isRegion(s string) bool {
	i := strings.LastIndexByte(s, '-')
	if i < 4 || i == len(s)-1 {
		return false
	}
	for j := i + 1; j < len(s); j++ {
		if s[j] < '0' || s[j] > '9' {
			return false
		}
	}
	for j := range i {
		if c := s[j]; !(c >= 'a' && c <= 'z' || c == '-') {
			return false
		}
	}
	return true
}

func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
