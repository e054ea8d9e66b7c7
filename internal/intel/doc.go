// Package intel holds threat-intelligence and trusted lists of IP addresses,
// CIDR ranges and domain names, and answers "is this address or name on a
// list?" on the hot path of detection.
//
// # Lists
//
// A list (ListConfig) has a name, a kind (threat, trusted or tor), a format
// and a local file; optionally an http(s) URL it is fetched from (with a
// timeout, conditionally on its ETag or Last-Modified, every Refresh), in
// which case the file is where the last good copy is kept. Trusted lists
// must use https, and no list fetched over https follows a redirect to
// plain http. Formats are GuardDuty's (TXT, STIX, OTX_CSV, ALIEN_VAULT,
// PROOF_POINT, FIRE_EYE) and those of the open feeds Picket ships with
// (ipsum, hosts files, maltrail trails, Tor exit lists); see Format. Bad
// lines are counted and the first few reported with their line numbers;
// they never fail a load. An empty or unreadable list is an error for that
// list only, and its last good version stays in use.
//
// A threat entry has a Category that detectors use to pick GuardDuty
// finding types: malicious, cryptomining (mining pools), c2, dropzone,
// blackhole, tor, phishing, dga (domains from a domain generation
// algorithm), and three weaker ones: cryptocurrency (exchanges, wallets and
// other coin sites that are not mining pools), abused (legitimate services
// malware leans on: free and dynamic DNS, paste sites, IP-lookup services)
// and suspicious (low-confidence reputation). It comes from the feed when
// the feed says (a STIX indicator's types and name, an AlienVault or OTX
// type or description, a Proofpoint ET category number, a maltrail file
// name), else from the list's configuration, else it is malicious; tor
// lists are always tor. When a feed's words name several categories, the
// most specific threat wins, and the weak three lose to any other.
//
// # Lookups
//
// LookupIP and LookupDomain answer with a Hit that says where the entry came
// from: the list, the 1-based line, the entry as written, when the list was
// first loaded and when the entry was first seen (kept across reloads while
// the entry stays in the list; not across restarts). Exact addresses are
// found in sorted tables behind a radix index (IPv4) or by binary search
// (IPv6), CIDR ranges by longest-prefix match over disjoint intervals
// precomputed from the nested ranges (O(log n)), domains by one hash probe
// per label suffix, longest first, so evil.example matches a.b.evil.example
// but not notevil.example. Exact entries and the longest range win across
// lists; for the same entry, the first list in the configuration wins. None
// of the lookups allocates.
//
// IPv4-mapped IPv6 addresses (::ffff:1.2.3.4), in lists and in lookups, are
// IPv4. IPv6 ranges shorter than /96 never match IPv4 addresses, so ::/0 is
// "all of IPv6" and 0.0.0.0/0 "all of IPv4".
//
// Trusted lists win over threat lists, as in GuardDuty: a lookup that hits a
// trusted entry reports no threat, whichever entry is more specific.
// CheckIP and CheckDomain return the whole verdict — the trusted hit and the
// threat hit it suppressed — so callers can log the suppression.
//
// # Reloads
//
// A Set holds every configured list in an immutable snapshot behind an
// atomic pointer: readers never lock, and Reload swaps in a new snapshot
// built from the lists whose sources changed. Changes to trusted lists are
// security-relevant — an attacker who widens a trusted list hides their
// activity (Pacu's guardduty__whitelist_ip does exactly that to GuardDuty) —
// so Changes lists every entry added to or removed from a trusted list, and
// trusted lists are re-read and hashed on every reload instead of trusting
// the file's size and modification time, which can be forged.
package intel
