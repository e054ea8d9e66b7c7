package runbook_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"

	"github.com/picket-dev/picket/internal/app"
	"github.com/picket-dev/picket/internal/config"
	"github.com/picket-dev/picket/internal/runbook"
)

// writeFiles makes a directory holding files (name → content).
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func fm(typ string) string { return "---\ntype: " + typ + "\n---\nbody of " + typ + "\n" }

func TestFind(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"exact.md":     fm("Recon:EC2/PortProbeUnprotectedPort"),
		"recon-ec2.md": fm("Recon:EC2/"),
		"recon.md":     fm("Recon:"),
		"dos.md":       fm("Backdoor:EC2/DenialOfService."),
		"tcp.md":       fm("Backdoor:EC2/DenialOfService.Tcp"),
		"backdoor.md":  fm("Backdoor:EC2/"),
		"generic.md":   fm(`""`),
	})
	set, err := runbook.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		find, want string
	}{
		{"Recon:EC2/PortProbeUnprotectedPort", "Recon:EC2/PortProbeUnprotectedPort"}, // exact beats prefixes
		{"Recon:EC2/Portscan", "Recon:EC2/"},                                         // resource prefix beats purpose prefix
		{"Recon:EC2/PortProbeUnprotectedPortX", "Recon:EC2/"},                        // an exact type is no prefix
		{"Recon:IAMUser/TorIPCaller", "Recon:"},                                      // purpose prefix
		{"Backdoor:EC2/DenialOfService.Udp", "Backdoor:EC2/DenialOfService."},        // longest prefix wins
		{"Backdoor:EC2/DenialOfService.Tcp", "Backdoor:EC2/DenialOfService.Tcp"},     // exact beats the family
		{"Backdoor:EC2/Spambot", "Backdoor:EC2/"},
		{"Trojan:EC2/DNSDataExfiltration", ""}, // nothing matches: generic
		{"recon:EC2/Portscan", ""},             // case-sensitive, as GuardDuty
		{"Recon", ""},
		{"", ""},
	} {
		rb, ok := set.Find(tc.find)
		if !ok || rb.Type != tc.want {
			t.Errorf("Find(%q) = %q, %v; want %q, true", tc.find, rb.Type, ok, tc.want)
		}
		if ok && !strings.Contains(string(rb.Markdown), "body of") {
			t.Errorf("Find(%q): Markdown %q", tc.find, rb.Markdown)
		}
	}

	// Without a generic runbook, a type nothing matches has none.
	dir = writeFiles(t, map[string]string{"recon.md": fm("Recon:")})
	set, err = runbook.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if rb, ok := set.Find("Backdoor:EC2/Spambot"); ok {
		t.Errorf("Find without a generic runbook = %+v, true", rb)
	}
	if _, ok := set.Find("Recon:EC2/Portscan"); !ok {
		t.Error("Find(Recon:EC2/Portscan) found nothing")
	}
	var nilSet *runbook.Set
	if _, ok := nilSet.Find("Recon:EC2/Portscan"); ok {
		t.Error("nil set found a runbook")
	}
}

func TestLoad(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"Recon__EC2--PortProbeUnprotectedPort.md": "## What it means\n\nProbe.\n",
		"Backdoor__EC2--.md":                      "# Backdoor *family*\n\ntext\n",
		"Backdoor__.md":                           "---\ntitle: \"Quoted: title\"\n---\nno heading\n",
		"Backdoor__EC2--DenialOfService..md":      "dos\n",
		"Trojan__EC2--C&CActivity.B!DNS.md":       "x\n",
		"_default.md":                             "generic\n",
		"crlf.md":                                 "---\r\ntype: 'Stealth:'\r\n# a comment\r\n\r\n---\r\nbody\r\n",
		"bom.md":                                  "\xef\xbb\xbf---\ntype: Impact:S3/\n---\nbom\n",
		"README.txt":                              "not a runbook",
	})
	if err := os.Mkdir(filepath.Join(dir, "sub.md"), 0o755); err != nil { // directories are skipped
		t.Fatal(err)
	}
	set, err := runbook.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct{ title, markdown, file string }{
		"Recon:EC2/PortProbeUnprotectedPort": {"What it means", "## What it means\n\nProbe.\n", "Recon__EC2--PortProbeUnprotectedPort.md"},
		"Backdoor:EC2/":                      {"Backdoor family", "# Backdoor *family*\n\ntext\n", "Backdoor__EC2--.md"},
		"Backdoor:":                          {"Quoted: title", "no heading\n", "Backdoor__.md"},
		"Backdoor:EC2/DenialOfService.":      {"Backdoor:EC2/DenialOfService.", "dos\n", "Backdoor__EC2--DenialOfService..md"},
		"Trojan:EC2/C&CActivity.B!DNS":       {"Trojan:EC2/C&CActivity.B!DNS", "x\n", "Trojan__EC2--C&CActivity.B!DNS.md"},
		"":                                   {"Generic runbook", "generic\n", "_default.md"},
		"Stealth:":                           {"Stealth:", "body\r\n", "crlf.md"},
		"Impact:S3/":                         {"Impact:S3/", "bom\n", "bom.md"},
	}
	all := set.All()
	if len(all) != len(want) || set.Len() != len(want) {
		t.Fatalf("loaded %d runbooks (Len %d), want %d: %+v", len(all), set.Len(), len(want), all)
	}
	if !slices.IsSortedFunc(all, func(a, b runbook.Runbook) int { return strings.Compare(a.Type, b.Type) }) {
		t.Error("All is not sorted by type")
	}
	for _, rb := range all {
		w, ok := want[rb.Type]
		if !ok {
			t.Errorf("unexpected type %q", rb.Type)
			continue
		}
		if rb.Title != w.title || string(rb.Markdown) != w.markdown || rb.Source != filepath.Join(dir, w.file) {
			t.Errorf("%q: got title %q, markdown %q, source %q; want %q, %q, %q", rb.Type, rb.Title, rb.Markdown, rb.Source, w.title, w.markdown, filepath.Join(dir, w.file))
		}
	}
}

func TestFileName(t *testing.T) {
	for typ, want := range map[string]string{
		"Recon:EC2/PortProbeUnprotectedPort": "Recon__EC2--PortProbeUnprotectedPort.md",
		"Backdoor:EC2/":                      "Backdoor__EC2--.md",
		"Backdoor:":                          "Backdoor__.md",
		"":                                   "_default.md",
	} {
		if got := runbook.FileName(typ); got != want {
			t.Errorf("FileName(%q) = %q, want %q", typ, got, want)
		}
	}
	// Every type Picket raises survives the round trip through a file name.
	types := raisedTypes(t)
	files := map[string]string{}
	for typ := range types {
		files[runbook.FileName(typ)] = "x\n"
	}
	set, err := runbook.Load(writeFiles(t, files))
	if err != nil {
		t.Fatal(err)
	}
	for typ := range types {
		if rb, ok := set.Find(typ); !ok || rb.Type != typ {
			t.Errorf("%s: file %s loads as %q", typ, runbook.FileName(typ), rb.Type)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		setup func(dir string) error
		want  []string // substrings of the error; a file name among them
	}{
		{"missing type", map[string]string{"notes.md": "# Notes\n"}, nil, []string{"notes.md", "no finding type"}},
		{"front matter without type", map[string]string{"notes.md": "---\ntitle: Notes\n---\n"}, nil, []string{"notes.md", "no finding type"}},
		{"bare type", map[string]string{"x.md": "---\ntype:\n---\n"}, nil, []string{"x.md", "type is empty"}},
		{"invalid type", map[string]string{"x.md": "---\ntype: not a type\n---\n"}, nil, []string{"x.md", "invalid finding type"}},
		{"prefix without separator", map[string]string{"x.md": "---\ntype: Recon:EC2\n---\n"}, nil, []string{"x.md", "invalid finding type"}},
		{"invalid name", map[string]string{"Recon__EC2.md": "x\n"}, nil, []string{"Recon__EC2.md", "invalid finding type"}},
		{"duplicate type", map[string]string{
			"a.md":                    fm("Recon:EC2/Portscan"),
			"Recon__EC2--Portscan.md": "x\n",
		}, nil, []string{"a.md", "Recon__EC2--Portscan.md", `"Recon:EC2/Portscan" already has runbook`}},
		{"duplicate generic", map[string]string{"_default.md": "x\n", "g.md": fm(`""`)}, nil, []string{"_default.md", "g.md", "generic"}},
		{"name and front matter differ", map[string]string{"Recon__EC2--.md": fm("Backdoor:EC2/")}, nil, []string{"Recon__EC2--.md", "differs"}},
		{"unclosed front matter", map[string]string{"x.md": "---\ntype: Recon:\n"}, nil, []string{"x.md", "no closing"}},
		{"unknown key", map[string]string{"x.md": "---\ntype: Recon:\ntpye: Recon:\n---\n"}, nil, []string{"x.md", "line 3", `unknown key "tpye"`}},
		{"repeated key", map[string]string{"x.md": "---\ntype: Recon:\ntype: Backdoor:\n---\n"}, nil, []string{"x.md", "given twice"}},
		{"bad quote", map[string]string{"x.md": "---\ntype: \"Recon:\n---\n"}, nil, []string{"x.md", "unterminated"}},
		{"not key value", map[string]string{"x.md": "---\njust words\n---\n"}, nil, []string{"x.md", "want key: value"}},
		{"unreadable (dangling link)", nil, func(dir string) error {
			return os.Symlink(filepath.Join(dir, "missing"), filepath.Join(dir, "gone.md"))
		}, []string{"gone.md", "no such file"}},
		{"no directory", nil, func(dir string) error { return os.RemoveAll(dir) }, []string{"runbook directory", "no such file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"ok.md": fm("Policy:S3/")}
			for k, v := range tc.files {
				files[k] = v
			}
			dir := writeFiles(t, files)
			if tc.setup != nil {
				if err := tc.setup(dir); err != nil {
					t.Fatal(err)
				}
			}
			set, err := runbook.Load(dir)
			if err == nil {
				t.Fatalf("no error; loaded %+v", set.All())
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if tc.name != "no directory" && !strings.Contains(err.Error(), dir) {
				t.Errorf("error %q does not name the file's path", err)
			}
			if strings.Contains(err.Error(), "ok.md") {
				t.Errorf("error %q names the good file", err)
			}
		})
	}
}

func TestLoadUnreadablePermissions(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any file; the dangling-link case in TestLoadErrors covers read errors")
	}
	dir := writeFiles(t, map[string]string{"x.md": fm("Recon:")})
	if err := os.Chmod(filepath.Join(dir, "x.md"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := runbook.Load(dir); err == nil || !strings.Contains(err.Error(), "x.md") || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("err = %v", err)
	}
}

func TestMerge(t *testing.T) {
	base, err := runbook.Load(writeFiles(t, map[string]string{
		"a.md": "---\ntype: Recon:EC2/\ntitle: base recon\n---\nbase\n",
		"b.md": "---\ntype: Backdoor:\ntitle: base backdoor\n---\nbase\n",
		"c.md": "---\ntype: \"\"\ntitle: base generic\n---\nbase\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	over, err := runbook.Load(writeFiles(t, map[string]string{
		"a.md": "---\ntype: Recon:EC2/\ntitle: my recon\n---\nmine\n",
		"c.md": "---\ntype: \"\"\ntitle: my generic\n---\nmine\n",
		"d.md": "---\ntype: Recon:EC2/Portscan\ntitle: my portscan\n---\nmine\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	merged := base.Merge(over)
	for find, want := range map[string]string{
		"Recon:EC2/PortProbeUnprotectedPort": "my recon",      // overridden
		"Backdoor:EC2/Spambot":               "base backdoor", // kept
		"Recon:EC2/Portscan":                 "my portscan",   // added
		"Trojan:EC2/DropPoint":               "my generic",    // generic overridden
	} {
		if rb, _ := merged.Find(find); rb.Title != want {
			t.Errorf("merged.Find(%q).Title = %q, want %q", find, rb.Title, want)
		}
	}
	if merged.Len() != 4 {
		t.Errorf("merged has %d runbooks, want 4", merged.Len())
	}
	// Neither input changes.
	if rb, _ := base.Find("Recon:EC2/Portscan"); rb.Title != "base recon" || base.Len() != 3 {
		t.Errorf("base changed: %q, %d runbooks", rb.Title, base.Len())
	}
	if over.Len() != 3 {
		t.Errorf("over changed: %d runbooks", over.Len())
	}
	// Nil on either side.
	if got := base.Merge(nil); got.Len() != 3 {
		t.Errorf("Merge(nil) has %d runbooks", got.Len())
	}
	var none *runbook.Set
	if got := none.Merge(over); got.Len() != 3 {
		t.Errorf("nil.Merge(over) has %d runbooks", got.Len())
	}
	// User runbooks over the defaults.
	d := runbook.Defaults().Merge(over)
	if rb, _ := d.Find("Recon:EC2/Portscan"); rb.Title != "my portscan" {
		t.Errorf("defaults+mine: %q", rb.Title)
	}
	if rb, _ := d.Find("Trojan:EC2/DNSDataExfiltration"); rb.Source != "embedded:defaults/Trojan__EC2--DNSDataExfiltration.md" {
		t.Errorf("defaults+mine lost a default: %+v", rb.Source)
	}
}

// raisedTypes are the finding types Picket's detectors can raise.
func raisedTypes(t *testing.T) map[string]bool {
	t.Helper()
	reg, err := app.Detectors(config.DetectorsConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]bool{}
	for _, d := range reg.All() {
		for _, typ := range d.Info().Types {
			types[typ] = true
		}
	}
	if len(types) < 50 {
		t.Fatalf("only %d types from the registry", len(types))
	}
	return types
}

// highTypes are the types Picket raises at High severity (≥ 7.0), at least
// in some cases; they mirror the severities set in detect/builtin,
// detect/netflow, detect/dnsquery and detect/threatintel.
var highTypes = []string{
	// CloudTrail (builtin)
	"Policy:S3/BucketAnonymousAccessGranted",
	"Policy:S3/BucketPublicAccessGranted",
	"DefenseImpairment:EC2/DisableOrModifyTools",
	"DefenseImpairment:GuardDuty/DisableOrModifyTools",
	"DefenseImpairment:Route53Resolver/DisableOrModifyTools",
	"DefenseImpairment:Organizations/ModifyCloudResourceHierarchy",
	// VPC flow logs (netflow)
	"Impact:EC2/PortSweep",
	"UnauthorizedAccess:EC2/SSHBruteForce", // when the instance attacks
	"UnauthorizedAccess:EC2/RDPBruteForce",
	"Impact:EC2/WinRMBruteForce",
	"Backdoor:EC2/DenialOfService.Tcp",
	"Backdoor:EC2/DenialOfService.Udp",
	"Backdoor:EC2/DenialOfService.Dns",
	"Backdoor:EC2/DenialOfService.UdpOnTcpPorts",
	"Backdoor:EC2/DenialOfService.UnusualProtocol",
	// DNS logs (dnsquery)
	"Trojan:EC2/DNSDataExfiltration",
	"Trojan:EC2/DGADomainRequest.B",
	"UnauthorizedAccess:EC2/MetadataDNSRebind",
	// Threat lists (threatintel): flows, DNS, CloudTrail callers
	"Backdoor:EC2/C&CActivity.B",
	"CryptoCurrency:EC2/BitcoinTool.B",
	"UnauthorizedAccess:EC2/TorClient",
	"UnauthorizedAccess:EC2/TorRelay",
	"Backdoor:EC2/C&CActivity.B!DNS",
	"CryptoCurrency:EC2/BitcoinTool.B!DNS",
	"Trojan:EC2/PhishingDomainRequest!DNS",
	"Impact:EC2/MaliciousDomainRequest.Reputation",
	"Impact:EC2/BitcoinDomainRequest.Reputation",
	"Trojan:EC2/DGADomainRequest.C!DNS",
	"UnauthorizedAccess:S3/TorIPCaller",
	"Discovery:S3/MaliciousIPCaller.Custom",
	"UnauthorizedAccess:S3/MaliciousIPCaller.Custom",
	"Exfiltration:S3/MaliciousIPCaller",
	"Discovery:S3/MaliciousIPCaller",
	"Impact:S3/MaliciousIPCaller",
}

var sections = []string{"What it means", "Check whether it is expected", "Contain", "When to escalate", "Known false positives"}

// headings returns the text of md's headings of one level.
func headings(md []byte, level int) []string {
	doc := goldmark.New().Parser().Parse(text.NewReader(md))
	var out []string
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering && h.Level == level {
			var b bytes.Buffer
			for c := h.FirstChild(); c != nil; c = c.NextSibling() {
				if t, ok := c.(*ast.Text); ok {
					b.Write(t.Segment.Value(md))
				}
			}
			out = append(out, b.String())
		}
		return ast.WalkContinue, nil
	})
	return out
}

func TestDefaults(t *testing.T) {
	types := raisedTypes(t)
	set := runbook.Defaults()
	all := set.All()
	if len(all) < len(highTypes) {
		t.Fatalf("only %d default runbooks", len(all))
	}
	generic := 0
	for _, rb := range all {
		switch {
		case rb.Type == "":
			generic++
		case rb.IsPrefix():
			covers := false
			for typ := range types {
				covers = covers || strings.HasPrefix(typ, rb.Type)
			}
			if !covers {
				t.Errorf("%s: prefix %q covers no type Picket raises", rb.Source, rb.Type)
			}
		case !types[rb.Type]:
			t.Errorf("%s: %q is not a type Picket raises", rb.Source, rb.Type)
		}
		if got := headings(rb.Markdown, 2); !slices.Equal(got, sections) {
			t.Errorf("%s: sections %q, want %q", rb.Source, got, sections)
		}
		if rb.Title == "" || rb.Title == rb.Type || !strings.HasPrefix(rb.Source, "embedded:defaults/") {
			t.Errorf("%s: title %q, source %q", rb.Source, rb.Title, rb.Source)
		}
		checkSafeMarkdown(t, rb)
	}
	if generic != 1 {
		t.Errorf("%d generic runbooks, want 1", generic)
	}

	// Every High type has a runbook of its own, or of its variants' family
	// ("Backdoor:EC2/DenialOfService."), not only a purpose or resource
	// family's.
	for _, typ := range highTypes {
		if !types[typ] {
			t.Errorf("high type %q is not raised by any detector (update highTypes)", typ)
			continue
		}
		rb, ok := set.Find(typ)
		if !ok || rb.Type == "" || strings.HasSuffix(rb.Type, ":") || strings.HasSuffix(rb.Type, "/") {
			t.Errorf("high type %q has no runbook of its own (found %q)", typ, rb.Type)
		}
	}

	// The files on disk load the same as the embedded ones.
	disk, err := runbook.Load("defaults")
	if err != nil {
		t.Fatal(err)
	}
	if disk.Len() != set.Len() {
		t.Fatalf("defaults/ has %d runbooks, embedded %d", disk.Len(), set.Len())
	}
	for _, rb := range disk.All() {
		e, ok := set.Find(rb.Type)
		if !ok || e.Type != rb.Type || !bytes.Equal(e.Markdown, rb.Markdown) || e.Title != rb.Title {
			t.Errorf("%s differs from its embedded copy", rb.Source)
		}
	}
}

// checkSafeMarkdown: a default runbook holds no raw HTML (placeholders
// such as <id> belong in code) and links only to http(s).
func checkSafeMarkdown(t *testing.T, rb runbook.Runbook) {
	t.Helper()
	doc := goldmark.New().Parser().Parse(text.NewReader(rb.Markdown))
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.RawHTML:
			t.Errorf("%s: raw HTML %q", rb.Source, n.Segments.Value(rb.Markdown))
		case *ast.HTMLBlock:
			t.Errorf("%s: raw HTML block %q", rb.Source, n.Lines().Value(rb.Markdown))
		case *ast.Link:
			if d := string(n.Destination); !strings.HasPrefix(d, "https://") {
				t.Errorf("%s: link to %q", rb.Source, d)
			}
		}
		return ast.WalkContinue, nil
	})
	if bytes.Contains(rb.Markdown, []byte("{{")) {
		t.Errorf("%s: unexpanded template marker", rb.Source)
	}
}

func TestRenderHTML(t *testing.T) {
	for _, tc := range []struct {
		name, md      string
		want, notWant []string
	}{
		{"script block", "<script>alert(1)</script>\n", []string{"&lt;script&gt;alert(1)&lt;/script&gt;"}, []string{"<script"}},
		{"inline html", "hi <b onclick=\"x()\">b</b> <img src=x onerror=alert(1)>\n", []string{"&lt;b onclick=", "&lt;img src=x onerror=alert(1)&gt;"}, []string{"<b", "<img"}},
		{"html comment", "<!-- secret -->\n", []string{"&lt;!-- secret --&gt;"}, []string{"<!--"}},
		{"javascript link", "[click](javascript:alert(1))\n", []string{"<p>click</p>"}, []string{"<a", "href"}},
		{"javascript upper case", "[click](JaVaScRiPt:alert(1))\n", []string{"click"}, []string{"<a"}},
		{"javascript entity", "[click](javascript&#58;alert(1))\n", []string{"click"}, []string{"<a"}},
		{"javascript autolink", "<javascript:alert(1)>\n", []string{"javascript:alert(1)"}, []string{"<a"}},
		{"javascript reference", "[click][x]\n\n[x]: javascript:alert(1)\n", []string{"click"}, []string{"<a"}},
		{"data link", "[d](data:text/html;base64,PHNjcmlwdD4=)\n", []string{"d"}, []string{"<a"}},
		{"mailto link", "[m](mailto:a@example.com) a@example.com\n", []string{"m a@example.com"}, []string{"<a", "mailto"}},
		{"space in destination", "[s](<java script:alert(1)>)\n", []string{"s"}, []string{"<a"}},
		{"https link", "[docs](https://docs.aws.amazon.com/guardduty/ \"Guide\")\n", []string{`<a href="https://docs.aws.amazon.com/guardduty/" title="Guide">docs</a>`}, nil},
		{"http bare url", "see https://example.com/x\n", []string{`<a href="https://example.com/x">https://example.com/x</a>`}, nil},
		{"relative links", "[a](/findings?id=1) [b](#contain) [c](other.md)\n", []string{`<a href="/findings?id=1">a</a>`, `<a href="#contain">b</a>`, `<a href="other.md">c</a>`}, nil},
		{"image becomes link", "![graph](https://example.com/g.png)\n", []string{`<a href="https://example.com/g.png">graph</a>`}, []string{"<img"}},
		{"unsafe image", "![x](data:image/png;base64,AAAA)\n", []string{"x"}, []string{"<img", "<a", "data:"}},
		{"headings", "# One\n\n## Two\n\n### Three\n", []string{"<h1>One</h1>", "<h2>Two</h2>", "<h3>Three</h3>"}, nil},
		{"lists", "- a\n- b\n\n1. c\n2. d\n", []string{"<ul>\n<li>a</li>\n<li>b</li>\n</ul>", "<ol>\n<li>c</li>\n<li>d</li>\n</ol>"}, nil},
		{"code", "Run `aws ec2 describe-instances --instance-ids <id>`:\n\n```sh\naws iam update-access-key --status Inactive <key>\n```\n",
			[]string{"<code>aws ec2 describe-instances --instance-ids &lt;id&gt;</code>", `<pre><code class="language-sh">aws iam update-access-key --status Inactive &lt;key&gt;`}, []string{"<id>", "<key>"}},
		{"emphasis", "*em* **strong** ~~gone~~\n", []string{"<em>em</em>", "<strong>strong</strong>", "<del>gone</del>"}, nil},
		{"table", "| a | b |\n|---|---|\n| 1 | 2 |\n", []string{"<table>", "<th>a</th>", "<td>2</td>"}, nil},
		{"no attributes", "## Title {onclick=alert(1)}\n", []string{"<h2>Title {onclick=alert(1)}</h2>"}, []string{"<h2 "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(runbook.RenderHTML([]byte(tc.md)))
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got, w) {
					t.Errorf("output has %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestRenderDefaults(t *testing.T) {
	for _, rb := range runbook.Defaults().All() {
		html := string(runbook.RenderHTML(rb.Markdown))
		if !strings.Contains(html, "<h2>Contain</h2>") || !strings.Contains(html, "<pre><code") && rb.Type != "" {
			t.Errorf("%s renders without its sections or code:\n%.300s", rb.Source, html)
		}
	}
}

func TestSafeURL(t *testing.T) {
	for url, want := range map[string]bool{
		"https://example.com":      true,
		"HTTP://example.com":       true,
		"/relative/path":           true,
		"relative.md":              true,
		"#fragment":                true,
		"?q=1":                     true,
		"//example.com/x":          true,
		"path/with:colon":          true,
		"javascript:alert(1)":      false,
		" javascript:alert(1)":     false,
		"java\nscript:alert(1)":    false,
		"\x01javascript:alert(1)":  false,
		"vbscript:msgbox":          false,
		"data:text/html,x":         false,
		"file:///etc/passwd":       false,
		"mailto:a@example.com":     false,
		"ftp://example.com":        false,
		"javascript%3Aalert(1)":    true, // no scheme: a relative path, not script
		"Javascript:void(0)#x?y/z": false,
	} {
		if got := runbook.SafeURL(url); got != want {
			t.Errorf("SafeURL(%q) = %v, want %v", url, got, want)
		}
	}
}

func TestValidType(t *testing.T) {
	for typ, want := range map[string]bool{
		"":                               true,
		"Recon:":                         true,
		"Recon:EC2/":                     true,
		"Recon:EC2/Portscan":             true,
		"Backdoor:EC2/C&CActivity.B!DNS": true,
		"Backdoor:EC2/DenialOfService.":  true,
		"Recon:EC2":                      false,
		"Recon":                          false,
		":EC2/Portscan":                  false,
		"Recon:EC2/Port scan":            false,
		"Recon:EC2/Port/scan":            false,
		"Recon:EC2//":                    false,
	} {
		if got := runbook.ValidType(typ); got != want {
			t.Errorf("ValidType(%q) = %v, want %v", typ, got, want)
		}
	}
}

// TestConcurrentUse runs lookups and rendering in parallel (for -race).
func TestConcurrentUse(t *testing.T) {
	set := runbook.Defaults()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, typ := range highTypes {
				rb, ok := set.Find(typ)
				if !ok || len(runbook.RenderHTML(rb.Markdown)) == 0 {
					t.Errorf("%s: no runbook or empty HTML", typ)
				}
			}
		}()
	}
	wg.Wait()
}
