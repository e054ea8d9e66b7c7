// Package pattern compiles Amazon EventBridge event patterns and matches
// them against JSON events.
//
// The pattern language is the one EventBridge documents and aws/event-ruler
// implements: exact strings, numbers, booleans and null; "prefix" and
// "suffix" (plain or {"equals-ignore-case": …}); "equals-ignore-case";
// "wildcard" (with \* and \\ escapes); "anything-but" (a string, a number,
// a list of either, or {"prefix"|"suffix"|"equals-ignore-case"|"wildcard":
// a string or list}); "numeric" ranges; "cidr" (IPv4 and IPv6); "exists";
// event-ruler's "exactly"; and "$or".
//
// # API
//
//	p, err := pattern.Compile([]byte(`{"source":["aws.guardduty"]}`))
//	ok := p.Match(ev)                // ev is an already-parsed *fastjson.Value
//	ok, err = p.MatchJSON(raw)       // parses raw with a pooled parser
//
// A [Set] holds named patterns and reports which names match an event.
// Compiled patterns are immutable and safe for concurrent use. A
// *fastjson.Value is not: fastjson unescapes strings and keys lazily on
// first access, so don't match one parsed event from several goroutines
// at once.
//
// Matching does not allocate: regexps are not used, wildcards are split
// into literal segments, CIDRs and IP literals are parsed, and numbers are
// converted at compile time. Case-insensitive comparisons use Unicode
// simple case folding (as strings.EqualFold does) rather than lowercased
// copies.
//
// # Semantics
//
// A pattern matches when every field it names matches. A field matches when
// any of its listed values matches. If the event value is an array, any
// element (including elements of nested arrays) may match.
//
// Strings match exactly, with no normalization. One exception: an exact
// string that is an IP address also matches the same address written
// another way ("2001:db8::1" matches "2001:DB8:0:0:0:0:0:1"), as
// event-ruler does. Numbers match numerically, so 5, 5.0 and 5e0 are equal,
// and so are 3e2 and 300. (EventBridge's user guide says numbers match by
// their text. event-ruler, which EventBridge uses, also compares numbers
// numerically, and this package follows event-ruler.) A string never equals
// a number: "5" does not match 5.
//
// prefix, suffix, equals-ignore-case, wildcard and cidr apply only to
// strings, and numeric applies only to numbers. anything-but matches any
// value that is present and not excluded. Values of another type are never
// excluded, so {"anything-but":"x"} matches 5, true and null, and
// {"anything-but":5} matches "5". A missing field matches none of these.
//
// exists applies to leaf values, as EventBridge documents. A field holding
// an object or an empty array does not exist, and null does. A field list
// may combine {"exists":false} with other values, as in
// [{"exists":false}, "x"], meaning "absent or x".
//
// # Arrays of objects
//
// Fields under the same array of objects must match within one element of
// that array. This is EventBridge's "array consistency". For example,
// {"m":{"a":["1"],"b":["2"]}} does not match {"m":[{"a":"1"},{"b":"2"}]}.
// This package evaluates the pattern as a tree, choosing an array element at
// each level. A negative field ({"exists":false}) is checked in the element
// chosen for its positive siblings. An object pattern whose fields are all
// negative has nothing to choose an element, so it must hold for every
// element. This is the order-independent form of event-ruler's rule: an
// occurrence counts as present unless it sits in a different element from
// the values that matched.
//
// # $or
//
// "$or" takes an array of two or more objects, and the pattern matches when
// at least one of them does. It may appear at any level and may nest. At
// compile time, $or and mixed exists:false lists are expanded into
// alternative sub-patterns, as event-ruler does. More than 1000 alternatives
// is an error, which is EventBridge's limit.
//
// event-ruler first tries "$or" as the operator. If that fails (the value
// is not an array of at least two objects, or a branch uses a reserved
// match keyword like "prefix" or "numeric" as a field name), it recompiles
// the whole pattern in legacy mode, where "$or" is an ordinary field name.
// Compile does the same. When both fail, it reports the $or error.
//
// # Errors
//
// Invalid patterns return an *Error naming the path of the offending
// element, for example "detail.severity[0].numeric[2]". Rejected: non-JSON
// input, a root that is not an object, empty objects or lists, unknown
// operators, operands of the wrong type, bad numeric ranges (bounds out of
// order, lower bound not first, empty ranges, non-finite numbers), bad CIDRs,
// wildcards with "**" or a bad escape, empty anything-but prefixes or
// suffixes, mixed-type anything-but lists, and operator objects with more
// or fewer than one key.
//
// # Duplicate keys and other choices
//
// If a pattern repeats a key, the last value wins for lists, as EventBridge
// documents. Repeated object keys are merged, as event-ruler does with its
// flattened paths. Unlike event-ruler, keys containing dots are not treated
// as nested paths: {"a.b":["x"]} matches only a key literally named "a.b".
// Match(nil) is false.
package pattern
