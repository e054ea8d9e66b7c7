// Package suppress holds suppression rules: GuardDuty filter criteria
// (the FindingCriteria of CreateFilter with action ARCHIVE) plus the
// governance GuardDuty lacks — an accountable owner, a reason, an expiry,
// and a preview of what a rule would mute.
//
// # API
//
//	c, err := suppress.ParseCriteria([]byte(`{"Criterion":{"type":{"Equals":["Recon:EC2/PortProbeUnprotectedPort"]},"severity":{"Lt":5}}}`))
//	c, err = suppress.ParseTerms([]string{"type=Recon:EC2/PortProbeUnprotectedPort", "severity<5"})
//	c, err = suppress.ParseCriteriaYAML(node)     // same shape, from picket.yaml
//	ok := c.Match(&f)
//	n, ids := suppress.Preview(c, stored)          // how many would be muted, a few IDs
//
//	r := suppress.Rule{ID: suppress.NewID(), Owner: "secops", Reason: "scanner", Criteria: c, Expires: t}
//	err = r.Validate(time.Now())                   // owner, reason, criteria, expiry in the future
//	set, err := suppress.NewSet(rules)
//	if r := set.First(&f, time.Now()); r != nil { /* mute f, citing r */ }
//
// Criteria, Rule and Set are immutable once built and safe for concurrent
// use. Criteria marshal to and from JSON and YAML as GuardDuty's
// {"Criterion": {...}}, the bytes store.SuppressionRule.Criteria holds.
//
// # Fields
//
// A criterion field is a dotted path into the finding's JSON, as GuardDuty
// names its filter attributes: "type", "severity", "accountId",
// "resource.instanceDetails.instanceId",
// "service.action.awsApiCallAction.remoteIpDetails.ipAddressV4",
// "service.archived", "updatedAt" and so on. Names are case-sensitive.
// Paths are checked when criteria are parsed, against finding.Finding's
// JSON tags (read by reflection, so new fields become filterable without
// changes here):
//
//   - A path into Picket's schema is matched against the finding.
//   - A path below a free-form map (service.additionalInfo.threatListName,
//     service.action.awsApiCallAction.affectedResources.<key>) is looked up
//     in the map; nested maps and arrays are followed segment by segment.
//   - A GuardDuty filter attribute that Picket's findings don't carry
//     (resource.instanceDetails.imageId, ...tags.value, confidence, ...) is
//     accepted, so GuardDuty filters import unchanged, but it is always
//     missing; Criteria.Unpopulated lists such fields so callers can warn.
//   - Anything else is an error ("did you mean" on a case mismatch), as
//     is naming an object ("resource") instead of one of its fields. A
//     typo is never silently "missing": with NotEquals it would mute
//     everything.
//
// Values are what encoding/json would write: a field with omitempty and an
// empty value is missing, one without omitempty is present ("" or 0 or
// false). A nil pointer, an empty slice and a zero time.Time are missing.
// Through arrays (resource.s3BucketDetails.name,
// resource.instanceDetails.networkInterfaces.privateIpAddress) a field
// has several values, and the operators below say which must match.
// Matching reads the finding struct directly (reflection over paths
// compiled once); it does not marshal.
//
// # Operators
//
// All fields must match (AND); within one field all given operators must
// hold (AND), so {"Gte": 4, "Lt": 7} is a range. Operator names are
// case-insensitive; the deprecated Eq, Neq, Gt, Gte, Lt, Lte are
// synonyms, and giving an operator together with its synonym is an error.
//
//   - Equals: some value of the field equals one of the listed values.
//     Strings compare exactly (case-sensitive, no trimming, as GuardDuty);
//     numbers numerically ("7" equals 7.0); booleans are "true" or
//     "false"; times compare as instants, written as epoch milliseconds
//     or RFC3339.
//   - NotEquals: no value of the field equals any listed value.
//   - Matches: some string value matches one of the wildcard patterns:
//     "*" is any run of characters (including none), "?" exactly one
//     character; "\*", "\?" and "\\" are literal; any other backslash is
//     an error. Case-sensitive, anchored at both ends. Strings only.
//   - NotMatches: no string value matches any pattern.
//   - GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual: some
//     single value satisfies all the bounds given for the field. They
//     apply to numbers and times. Bounds are numbers (fractions allowed:
//     GuardDuty takes integers, Picket is more lenient), or RFC3339 times
//     on time fields, compared as epoch milliseconds (GuardDuty's unit).
//     Finding times are truncated to the millisecond.
//
// Missing fields: Equals, Matches and the range operators never match a
// missing field; NotEquals and NotMatches always do. GuardDuty's docs
// don't say; Picket reads the negative operators as exclusion ("drop
// findings whose field equals x"), as search engines' must_not does, so a
// finding without the field is not excluded. So "accountId!=111122223333"
// mutes findings of every other account, and a rule of only NotEquals on a
// field few findings carry mutes nearly everything: check with Preview.
//
// Free-form fields (service.additionalInfo.*) have no declared type: each
// value is compared by its own type — strings exactly, numbers
// numerically when the operand is a number, booleans against "true" or
// "false" — and the range operators also accept strings that hold a
// decimal number or an RFC3339 time.
//
// Operands are checked against the field's type when parsed: a non-number
// for severity, "False" for service.archived, Matches on a number, or
// GreaterThan on a string field is an error. Lists must be non-empty and
// hold at most 50 values, criteria at most 50 fields (GuardDuty's
// limits); values must be non-empty, valid UTF-8 and not null. Bare JSON
// numbers and booleans in lists are taken by their text, so
// {"Equals":[123456789012]} works as the string.
//
// # Rules and sets
//
// A Rule needs an ID (NewID makes one), an Owner and a Reason; Validate
// also rejects an Expires that is not in the future. NewSet keeps rules in
// order and First returns the first one that is active (zero Expires, or
// now before Expires) and matches. Rules pinning "type" with Equals are
// indexed by type, so a finding is only checked against rules for its
// type plus the unpinned ones, and each field is read from the finding
// once per First call however many rules use it.
//
// # Not supported
//
// CIDR ranges on IP fields (GuardDuty's docs mention them for the API
// caller IPv4 address; here an IP is a string), sort criteria,
// filter rank and the NOOP action (every rule here archives), and field
// names with literal dots inside free-form map keys (a dot always
// separates path segments, except that a map[string]string such as
// affectedResources is looked up with the rest of the path as one key).
package suppress
