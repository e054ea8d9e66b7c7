package sequence

import "strings"

// Tactics names the MITRE ATT&CK (Enterprise, cloud) tactics by ID.
var Tactics = map[string]string{
	"TA0001": "Initial Access",
	"TA0002": "Execution",
	"TA0003": "Persistence",
	"TA0004": "Privilege Escalation",
	"TA0005": "Defense Evasion",
	"TA0006": "Credential Access",
	"TA0007": "Discovery",
	"TA0008": "Lateral Movement",
	"TA0009": "Collection",
	"TA0010": "Exfiltration",
	"TA0011": "Command and Control",
	"TA0040": "Impact",
	"TA0042": "Resource Development",
	"TA0043": "Reconnaissance",
}

// PurposeTactics maps a GuardDuty threat purpose (the finding type's part
// before ':') to the ATT&CK tactic it stands for. Purposes without one
// (Behavior, Policy, Vulnerability, Other) map to "": such findings match
// stages by type only. Sigma findings (<Purpose>:<Resource>/<Name>.Sigma)
// take their purpose from the rule's first ATT&CK tag, so they land on
// the right tactic through this table too.
var PurposeTactics = map[string]string{
	"Backdoor":            "TA0011",
	"CredentialAccess":    "TA0006",
	"CryptoCurrency":      "TA0040",
	"DefenseEvasion":      "TA0005",
	"DefenseImpairment":   "TA0005",
	"Discovery":           "TA0007",
	"Execution":           "TA0002",
	"Exfiltration":        "TA0010",
	"Impact":              "TA0040",
	"InitialAccess":       "TA0001",
	"Object":              "TA0002",
	"PenTest":             "TA0007",
	"Persistence":         "TA0003",
	"PrivilegeEscalation": "TA0004",
	"Recon":               "TA0007",
	"Stealth":             "TA0005",
	"Trojan":              "TA0011",
	"UnauthorizedAccess":  "TA0001",
}

// TypeTactic refines PurposeTactics for types whose purpose says less
// than the type (first matching glob wins), and names techniques.
type TypeTactic struct {
	Glob       string
	Tactic     string // "" keeps the purpose's tactic
	Techniques []string
}

// TypeTactics is the refinement table.
var TypeTactics = []TypeTactic{
	{"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.*", "TA0001", []string{"T1552.005", "T1078.004"}},
	{"UnauthorizedAccess:IAMUser/ResourceCredentialExfiltration.*", "TA0001", []string{"T1552", "T1078.004"}},
	{"UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.*", "TA0001", []string{"T1078.004"}},
	{"UnauthorizedAccess:EC2/MetadataDNSRebind", "TA0006", []string{"T1552.005"}},
	{"UnauthorizedAccess:EC2/*BruteForce", "TA0006", []string{"T1110"}},
	{"Impact:EC2/WinRMBruteForce", "TA0006", []string{"T1110"}},
	{"CredentialAccess:IAMUser/BruteForce*", "TA0006", []string{"T1110"}},
	{"Behavior:IAMUser/FailedLogin*", "TA0006", []string{"T1110"}},
	{"Policy:IAMUser/*RootCredentialUsage", "TA0001", []string{"T1078.004"}},
	{"Policy:S3/*", "TA0005", []string{"T1562"}},
	{"Stealth:IAMUser/CloudTrailLoggingDisabled", "TA0005", []string{"T1562.008"}},
	{"Stealth:S3/ServerAccessLoggingDisabled", "TA0005", []string{"T1562.008"}},
	{"Stealth:IAMUser/PasswordPolicyChange", "TA0005", []string{"T1556"}},
	{"Discovery:S3/*", "TA0007", []string{"T1619"}},
	{"Exfiltration:S3/*", "TA0010", []string{"T1530"}},
	{"Impact:S3/AnomalousBehavior.Delete", "TA0040", []string{"T1485"}},
	{"Impact:S3/AnomalousBehavior.Write", "TA0040", []string{"T1486"}},
	{"Impact:S3/AnomalousBehavior.Permission", "TA0040", []string{"T1222"}},
	{"Trojan:EC2/DNSDataExfiltration*", "TA0010", []string{"T1048"}},
	{"Trojan:EC2/DropPoint*", "TA0010", []string{"T1041"}},
	{"Trojan:EC2/*", "TA0011", []string{"T1071"}},
	{"Backdoor:EC2/DenialOfService.*", "TA0040", []string{"T1498"}},
	{"Backdoor:EC2/*", "TA0011", []string{"T1071"}},
	{"CryptoCurrency:*", "TA0040", []string{"T1496"}},
	{"Impact:EC2/BitcoinDomainRequest.*", "TA0040", []string{"T1496"}},
	{"Recon:EC2/Portscan", "TA0007", []string{"T1046"}},
	{"Recon:EC2/PortProbe*", "TA0043", []string{"T1595"}},
	{"*:IAMUser/AnomalousBehavior", "", []string{"T1078.004"}},
}

var typeTacticGlobs = func() []glob {
	gs := make([]glob, len(TypeTactics))
	for i, t := range TypeTactics {
		gs[i] = compileGlob(t.Glob)
	}
	return gs
}()

// Classify returns the ATT&CK tactic of a finding type ("" when none)
// and the techniques known for it. techniques must not be modified.
func Classify(typ string) (tactic string, techniques []string) {
	purpose, _, _ := strings.Cut(typ, ":")
	tactic = PurposeTactics[purpose]
	for i := range typeTacticGlobs {
		if typeTacticGlobs[i].match(typ) {
			if t := TypeTactics[i].Tactic; t != "" {
				tactic = t
			}
			return tactic, TypeTactics[i].Techniques
		}
	}
	return tactic, nil
}

// glob is a compiled pattern where * matches any run of characters
// (':' and '/' included); every other character matches itself.
type glob struct {
	parts []string // the text between stars
	star  bool     // the pattern has a star
}

func compileGlob(p string) glob {
	parts := strings.Split(p, "*")
	return glob{parts: parts, star: len(parts) > 1}
}

func (g *glob) match(s string) bool {
	if !g.star {
		return s == g.parts[0]
	}
	first, last := g.parts[0], g.parts[len(g.parts)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	s = s[len(first) : len(s)-len(last)]
	for _, p := range g.parts[1 : len(g.parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return true
}
