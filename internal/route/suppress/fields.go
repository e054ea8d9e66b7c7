package suppress

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/picket-dev/picket/internal/finding"
)

// kind is what a criterion field holds, which decides the operators it
// takes and how operands are read.
type kind uint8

const (
	kindString  kind = iota + 1
	kindNumber       // severity, ports, counts
	kindBool         // service.archived, blocked
	kindTime         // createdAt, updatedAt, eventFirstSeen, eventLastSeen
	kindDynamic      // free-form (service.additionalInfo.*) or not in Picket's schema
)

func (k kind) String() string {
	switch k {
	case kindString:
		return "a string"
	case kindNumber:
		return "a number"
	case kindBool:
		return "a boolean"
	case kindTime:
		return "a time"
	}
	return "free-form"
}

// step is one struct-field hop of an accessor. Pointers and slices between
// hops are crossed implicitly (slices fan out: any element may match).
type step struct {
	index     int
	omitEmpty bool
}

// accessor reads the values at one dotted path of a finding, as they
// would appear in the finding's JSON, straight from the struct.
type accessor struct {
	path  string
	kind  kind
	steps []step
	// rest is the path below a map or interface field, e.g. ["threatListName"]
	// under service.additionalInfo.
	rest   []string
	key    string        // rest joined with ".", the key into a map[string]string
	keyVal reflect.Value // the same, for other map types
	// absent marks a GuardDuty filter attribute that Picket findings do
	// not carry: it resolves to no values.
	absent bool
}

// vkind is the type of one resolved value.
type vkind uint8

const (
	vString vkind = iota + 1
	vNumber
	vBool
	vTime // n is epoch milliseconds
)

// value is one leaf value of a finding.
type value struct {
	k vkind
	s string
	n float64 // number; epoch ms for vTime; 1 or 0 for vBool
}

var timeType = reflect.TypeFor[time.Time]()

// schema is the set of paths a criterion may name, derived from
// finding.Finding's JSON tags.
type schema struct {
	leaves  map[string]*accessor // string, number, bool and time leaves
	prefix  map[string]*accessor // maps and interfaces: paths below them are free-form
	objects map[string]bool      // intermediate objects (not matchable themselves)
	folded  map[string]string    // lower-cased path -> path, for "did you mean"
}

var theSchema = sync.OnceValue(func() *schema {
	s := &schema{
		leaves:  map[string]*accessor{},
		prefix:  map[string]*accessor{},
		objects: map[string]bool{},
		folded:  map[string]string{},
	}
	s.walk(reflect.TypeFor[finding.Finding](), "", nil, 0)
	for p := range s.leaves {
		s.folded[strings.ToLower(p)] = p
	}
	for p := range guardDutyOnly {
		if _, ok := s.folded[strings.ToLower(p)]; !ok {
			s.folded[strings.ToLower(p)] = p
		}
	}
	return s
})

// walk records the paths under type t. Embedded structs without a JSON
// name are flattened, as encoding/json does.
func (s *schema) walk(t reflect.Type, prefix string, steps []step, depth int) {
	if depth > 16 {
		return // recursive types: stop
	}
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			return // []byte is base64 in JSON: not filterable
		}
		t = t.Elem()
	}
	leaf := func(k kind) {
		s.leaves[prefix] = &accessor{path: prefix, kind: k, steps: steps}
	}
	switch {
	case t == timeType:
		leaf(kindTime)
		return
	case t.Kind() == reflect.Struct:
		if prefix != "" {
			s.objects[prefix] = true
		}
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			name, omit, ok := jsonName(sf)
			if !ok {
				continue
			}
			st := append(steps[:len(steps):len(steps)], step{index: i, omitEmpty: omit})
			if name == "" { // embedded, flattened
				s.walk(sf.Type, prefix, st, depth+1)
				continue
			}
			p := name
			if prefix != "" {
				p = prefix + "." + name
			}
			s.walk(sf.Type, p, st, depth+1)
		}
	case t.Kind() == reflect.Map:
		if t.Key().Kind() != reflect.String {
			return
		}
		k := kindDynamic
		if t.Elem().Kind() == reflect.String {
			k = kindString
		}
		s.prefix[prefix] = &accessor{path: prefix, kind: k, steps: steps}
	case t.Kind() == reflect.Interface:
		s.prefix[prefix] = &accessor{path: prefix, kind: kindDynamic, steps: steps}
		s.leaves[prefix] = &accessor{path: prefix, kind: kindDynamic, steps: steps}
	case t.Kind() == reflect.String:
		leaf(kindString)
	case t.Kind() == reflect.Bool:
		leaf(kindBool)
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Float64:
		leaf(kindNumber)
	}
}

// jsonName is the field's JSON name ("" for an embedded struct to
// flatten), whether it has omitempty, and whether it is serialized at all.
func jsonName(sf reflect.StructField) (name string, omitEmpty, ok bool) {
	tag := sf.Tag.Get("json")
	if tag == "-" {
		return "", false, false
	}
	name, opts, _ := strings.Cut(tag, ",")
	for o := range strings.SplitSeq(opts, ",") {
		if o == "omitempty" || o == "omitzero" {
			omitEmpty = true
		}
	}
	if sf.Anonymous && name == "" {
		t := sf.Type
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() == reflect.Struct {
			return "", omitEmpty, true
		}
	}
	if !sf.IsExported() {
		return "", false, false
	}
	if name == "" {
		name = sf.Name
	}
	return name, omitEmpty, true
}

// guardDutyOnly lists GuardDuty filter attributes (from its "Filter
// attributes" table and newer finding types) that Picket's findings do
// not carry. Criteria naming them parse, so GuardDuty filters import
// as-is, but the field is always missing (see Criteria.Unpopulated). A
// path that Picket's schema grows into is served by the schema instead.
var guardDutyOnly = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range []string{
		"confidence",
		"resource.instanceDetails.iamInstanceProfile.id",
		"resource.instanceDetails.instanceType",
		"resource.instanceDetails.launchTime",
		"resource.instanceDetails.imageId",
		"resource.instanceDetails.networkInterfaces.ipv6Addresses",
		"resource.instanceDetails.networkInterfaces.privateIpAddresses.privateIpAddress",
		"resource.instanceDetails.networkInterfaces.publicDnsName",
		"resource.instanceDetails.networkInterfaces.publicIp",
		"resource.instanceDetails.networkInterfaces.securityGroups.groupId",
		"resource.instanceDetails.networkInterfaces.securityGroups.groupName",
		"resource.instanceDetails.networkInterfaces.subnetId",
		"resource.instanceDetails.networkInterfaces.vpcId",
		"resource.instanceDetails.outpostArn",
		"resource.instanceDetails.outpostARN",
		"resource.instanceDetails.tags.key",
		"resource.instanceDetails.tags.value",
		"resource.s3BucketDetails.publicAccess.effectivePermissions",
		"resource.s3BucketDetails.tags.key",
		"resource.s3BucketDetails.tags.value",
		"resource.s3BucketDetails.type",
		"resource.eksClusterDetails.name",
		"resource.kubernetesDetails.kubernetesWorkloadDetails.containers.image",
		"resource.kubernetesDetails.kubernetesWorkloadDetails.containers.imagePrefix",
		"resource.kubernetesDetails.kubernetesWorkloadDetails.name",
		"resource.kubernetesDetails.kubernetesWorkloadDetails.namespace",
		"resource.kubernetesDetails.kubernetesUserDetails.username",
		"resource.ecsClusterDetails.name",
		"resource.containerDetails.image",
		"resource.rdsDbInstanceDetails.dbInstanceIdentifier",
		"resource.rdsDbUserDetails.user",
		"resource.lambdaDetails.functionName",
		"service.action.awsApiCallAction.callerType",
		"service.action.awsApiCallAction.errorCode",
		"service.action.awsApiCallAction.remoteAccountDetails.accountId",
		"service.action.awsApiCallAction.remoteAccountDetails.affiliated",
		"service.action.awsApiCallAction.remoteIpDetails.city.cityName",
		"service.action.awsApiCallAction.remoteIpDetails.country.countryName",
		"service.action.awsApiCallAction.remoteIpDetails.organization.asn",
		"service.action.awsApiCallAction.remoteIpDetails.organization.asnOrg",
		"service.action.dnsRequestAction.domain",
		"service.action.networkConnectionAction.localIpDetails.ipAddressV4",
		"service.action.networkConnectionAction.remoteIpDetails.city.cityName",
		"service.action.networkConnectionAction.remoteIpDetails.country.countryName",
		"service.action.networkConnectionAction.remoteIpDetails.organization.asn",
		"service.action.networkConnectionAction.remoteIpDetails.organization.asnOrg",
		"service.action.kubernetesApiCallAction.remoteIpDetails.city.cityName",
		"service.action.kubernetesApiCallAction.remoteIpDetails.country.countryName",
		"service.action.kubernetesApiCallAction.remoteIpDetails.organization.asn",
		"service.action.kubernetesApiCallAction.remoteIpDetails.organization.asnOrg",
		"service.action.kubernetesApiCallAction.namespace",
		"service.action.kubernetesApiCallAction.requestUri",
		"service.action.kubernetesApiCallAction.statusCode",
		"service.action.kubernetesApiCallAction.verb",
		"service.additionalInfo.threatListName",
		"service.ebsVolumeScanDetails.scanId",
		"service.localIpDetails.ipAddressV4",
		"service.runtimeDetails.process.executablePath",
		"service.runtimeDetails.process.executableSha256",
		"service.runtimeDetails.process.name",
	} {
		m[p] = true
	}
	return m
}()

// lookupField resolves a criterion field name. It returns an *Error-ready
// message when the name is not filterable.
func lookupField(path string) (*accessor, string) {
	s := theSchema()
	if a, ok := s.leaves[path]; ok {
		return a, ""
	}
	// Below a map or interface: the longest such prefix wins.
	for p := path; ; {
		i := strings.LastIndexByte(p, '.')
		if i <= 0 {
			break
		}
		p = p[:i]
		if base, ok := s.prefix[p]; ok {
			rest := strings.Split(path[len(p)+1:], ".")
			if slicesContainsEmpty(rest) {
				return nil, "has an empty path segment"
			}
			a := &accessor{path: path, kind: base.kind, steps: base.steps, rest: rest}
			a.key = strings.Join(rest, ".")
			a.keyVal = reflect.ValueOf(a.key)
			return a, ""
		}
		if _, ok := s.leaves[p]; ok {
			break // below a scalar: nothing there
		}
	}
	if guardDutyOnly[path] {
		return &accessor{path: path, kind: kindDynamic, absent: true}, ""
	}
	if s.objects[path] {
		return nil, "is an object; name one of its fields (e.g. " + path + "." + someChild(path) + ")"
	}
	if _, ok := s.prefix[path]; ok {
		return nil, "is a map; name one of its keys (" + path + ".<key>)"
	}
	if p, ok := s.folded[strings.ToLower(path)]; ok {
		return nil, "is not a filterable field (field names are case-sensitive: did you mean " + strconv.Quote(p) + "?)"
	}
	return nil, "is not a filterable field of a GuardDuty finding"
}

func slicesContainsEmpty(ss []string) bool {
	for _, s := range ss {
		if s == "" {
			return true
		}
	}
	return false
}

// someChild names one leaf under an object path, for error messages.
func someChild(obj string) string {
	best := ""
	for p := range theSchema().leaves {
		if rest, ok := strings.CutPrefix(p, obj+"."); ok && (best == "" || rest < best) {
			best = rest
		}
	}
	return best
}

// appendValues appends the values at a's path in the finding root (a
// reflect.Value of an addressable finding.Finding) to dst.
func (a *accessor) appendValues(dst []value, root reflect.Value) []value {
	if a.absent {
		return dst
	}
	return a.walk(dst, root, 0)
}

func (a *accessor) walk(dst []value, v reflect.Value, i int) []value {
	for {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() {
				return dst
			}
			v = v.Elem()
			continue
		case reflect.Slice, reflect.Array:
			for j, n := 0, v.Len(); j < n; j++ {
				dst = a.walk(dst, v.Index(j), i)
			}
			return dst
		}
		break
	}
	if i < len(a.steps) {
		st := a.steps[i]
		f := v.Field(st.index)
		if st.omitEmpty && isEmpty(f) {
			return dst
		}
		return a.walk(dst, f, i+1)
	}
	if a.rest != nil {
		return a.below(dst, v)
	}
	switch v.Kind() {
	case reflect.String:
		return append(dst, value{k: vString, s: v.String()})
	case reflect.Bool:
		return append(dst, boolValue(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return append(dst, value{k: vNumber, n: float64(v.Int())})
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return append(dst, value{k: vNumber, n: float64(v.Uint())})
	case reflect.Float32, reflect.Float64:
		return append(dst, value{k: vNumber, n: v.Float()})
	case reflect.Struct:
		if v.Type() == timeType {
			var t time.Time
			if v.CanAddr() {
				t = *v.Addr().Interface().(*time.Time)
			} else {
				t = v.Interface().(time.Time)
			}
			if t.IsZero() {
				return dst // Go's "unset": missing, not year 1
			}
			return append(dst, value{k: vTime, n: float64(t.UnixMilli())})
		}
	case reflect.Interface:
		if v.IsNil() {
			return dst
		}
		return appendDynamic(dst, v.Elem().Interface(), nil)
	}
	return dst
}

// below resolves a.rest inside a map or interface value.
func (a *accessor) below(dst []value, v reflect.Value) []value {
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			return dst
		}
		return appendDynamic(dst, v.Elem().Interface(), a.rest)
	case reflect.Map:
		if v.IsNil() {
			return dst
		}
		switch m := v.Interface().(type) {
		case map[string]any:
			return appendDynamic(dst, m, a.rest)
		case map[string]string:
			if s, ok := m[a.key]; ok {
				dst = append(dst, value{k: vString, s: s})
			}
			return dst
		}
		e := v.MapIndex(a.keyVal)
		if !e.IsValid() {
			return dst
		}
		if e.Kind() == reflect.Interface {
			if e.IsNil() {
				return dst
			}
			return appendDynamic(dst, e.Elem().Interface(), nil)
		}
		return appendDynamic(dst, e.Interface(), nil)
	}
	return dst
}

// appendDynamic resolves rest inside a free-form value (as decoded from
// JSON, or built by a detector) and appends the scalars found. Arrays are
// crossed at any level. Values of other types are skipped.
func appendDynamic(dst []value, x any, rest []string) []value {
	switch x := x.(type) {
	case map[string]any:
		if len(rest) == 0 {
			return dst
		}
		if e, ok := x[rest[0]]; ok {
			return appendDynamic(dst, e, rest[1:])
		}
		return dst
	case map[string]string:
		if len(rest) == 1 {
			if s, ok := x[rest[0]]; ok {
				dst = append(dst, value{k: vString, s: s})
			}
		}
		return dst
	case []any:
		for _, e := range x {
			dst = appendDynamic(dst, e, rest)
		}
		return dst
	}
	if len(rest) != 0 {
		return dst
	}
	switch x := x.(type) {
	case string:
		return append(dst, value{k: vString, s: x})
	case []string:
		for _, s := range x {
			dst = append(dst, value{k: vString, s: s})
		}
		return dst
	case bool:
		return append(dst, boolValue(x))
	case float64:
		return append(dst, value{k: vNumber, n: x})
	case float32:
		return append(dst, value{k: vNumber, n: float64(x)})
	case int:
		return append(dst, value{k: vNumber, n: float64(x)})
	case int64:
		return append(dst, value{k: vNumber, n: float64(x)})
	case int32:
		return append(dst, value{k: vNumber, n: float64(x)})
	case uint64:
		return append(dst, value{k: vNumber, n: float64(x)})
	case uint32:
		return append(dst, value{k: vNumber, n: float64(x)})
	case json.Number:
		if f, err := strconv.ParseFloat(string(x), 64); err == nil {
			return append(dst, value{k: vNumber, n: f})
		}
		return append(dst, value{k: vString, s: string(x)})
	case time.Time:
		if x.IsZero() {
			return dst
		}
		return append(dst, value{k: vTime, n: float64(x.UnixMilli())})
	}
	return dst
}

func boolValue(b bool) value {
	if b {
		return value{k: vBool, n: 1}
	}
	return value{k: vBool}
}

// isEmpty is encoding/json's omitempty test.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String, reflect.Slice, reflect.Map, reflect.Array:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Pointer, reflect.Interface:
		return v.IsNil()
	}
	return false
}
