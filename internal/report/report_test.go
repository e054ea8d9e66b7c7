package report_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/picket-dev/picket/internal/finding"
	"github.com/picket-dev/picket/internal/report"
)

var (
	t0 = time.Date(2024, 6, 1, 8, 0, 0, 0, time.UTC)
	t1 = time.Date(2024, 6, 1, 9, 30, 15, 123456789, time.UTC)
)

// sealed fills f's derived fields and returns it.
func sealed(f finding.Finding) finding.Finding {
	f.Seal()
	return f
}

// sample is a small set of findings of every resource kind and severity band.
func sample() []finding.Finding {
	return []finding.Finding{
		sealed(finding.Finding{
			AccountID: "111122223333", Region: "us-east-1",
			Type:     "UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B",
			Severity: finding.SevMedium, Title: "Console login from an unusual place",
			Description: "alice logged in\nfrom 198.51.100.7",
			CreatedAt:   t0, UpdatedAt: t1,
			Resource: finding.Resource{ResourceType: "AccessKey", AccessKeyDetails: &finding.AccessKeyDetails{
				AccessKeyID: "ASIAEXAMPLE1", PrincipalID: "AIDAEXAMPLE", UserName: "alice", UserType: "IAMUser",
			}},
			Service: finding.Service{
				DetectorID: "console-login", ResourceRole: "ACTOR", Count: 3,
				EventFirstSeen: t0, EventLastSeen: t1,
				Action: finding.Action{ActionType: "AWS_API_CALL", AwsAPICallAction: &finding.AwsAPICallAction{
					API: "ConsoleLogin", ServiceName: "signin.amazonaws.com", CallerType: "Remote IP",
					RemoteIPDetails: &finding.RemoteIPDetails{IPAddressV4: "198.51.100.7"},
				}},
				AdditionalInfo: map[string]any{"reason": "new country"},
			},
			Keys: finding.Keys{Actor: "arn:aws:iam::111122223333:user/alice"},
		}),
		sealed(finding.Finding{
			AccountID: "111122223333", Region: "eu-west-1",
			Type:     "Policy:S3/BucketBlockPublicAccessDisabled",
			Severity: finding.SevCritical, Title: "Public access block removed",
			CreatedAt: t0, UpdatedAt: t0,
			Resource: finding.Resource{ResourceType: "S3Bucket", S3BucketDetails: []finding.S3BucketDetail{
				{Name: "prod-data", Arn: "arn:aws:s3:::prod-data"},
			}},
			Service: finding.Service{DetectorID: "s3-public", ResourceRole: "TARGET", EventFirstSeen: t0, EventLastSeen: t0},
			Keys:    finding.Keys{Resource: "prod-data", Actor: "arn:aws:iam::111122223333:role/deploy"},
		}),
		sealed(finding.Finding{
			AccountID: "444455556666", Region: "cn-north-1",
			Type:     "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
			Severity: finding.SevHigh,
			Resource: finding.Resource{ResourceType: "Instance", InstanceDetails: &finding.InstanceDetails{InstanceID: "i-0abc123def4567890"}},
			Service:  finding.Service{EventFirstSeen: t0, EventLastSeen: t1},
			Keys:     finding.Keys{Resource: "i-0abc123def4567890"},
		}),
		sealed(finding.Finding{
			AccountID: "444455556666", Region: "us-gov-west-1",
			Type:     "Recon:IAMUser/UserPermissions",
			Severity: finding.SevLow,
			Resource: finding.Resource{ResourceType: "AccessKey"},
			Service:  finding.Service{EventFirstSeen: t0, EventLastSeen: t0},
			Keys:     finding.Keys{Resource: "AKIAEXAMPLE2", Actor: "arn:aws:iam::444455556666:user/bob"},
		}),
	}
}

// withoutKeys is f as it comes back from JSON: Keys are not serialized.
func withoutKeys(fs []finding.Finding) []finding.Finding {
	out := make([]finding.Finding, len(fs))
	for i, f := range fs {
		f.Keys = finding.Keys{}
		out[i] = f
	}
	return out
}

func TestWriteJSON(t *testing.T) {
	fs := sample()
	sum := &report.Summary{Objects: 3, Records: 1200, Events: 1180, Quarantined: 2, Skipped: 18, Bytes: 1 << 20, Errors: 1}
	var buf bytes.Buffer
	if err := report.Write(&buf, "json", fs, sum); err != nil {
		t.Fatalf("Write json: %v", err)
	}
	var doc struct {
		Findings []finding.Finding `json:"findings"`
		Summary  *report.Summary   `json:"summary"`
	}
	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("decoding json output: %v\n%s", err, buf.String())
	}
	if want := withoutKeys(fs); !reflect.DeepEqual(doc.Findings, want) {
		t.Errorf("findings did not survive the round trip:\n got %+v\nwant %+v", doc.Findings, want)
	}
	if doc.Summary == nil || *doc.Summary != *sum {
		t.Errorf("summary = %+v, want %+v", doc.Summary, sum)
	}
	if dec.More() {
		t.Error("json output holds more than one document")
	}
}

func TestWriteJSONEmpty(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   []finding.Finding
	}{{"nil", nil}, {"empty", []finding.Finding{}}} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := report.Write(&buf, "json", tc.fs, nil); err != nil {
				t.Fatalf("Write json: %v", err)
			}
			var doc map[string]json.RawMessage
			if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatalf("decoding %q: %v", buf.String(), err)
			}
			// `jq '.findings[]'` must work on a clean scan: [] and not null.
			if got := string(doc["findings"]); got != "[]" {
				t.Errorf("findings = %s, want []", got)
			}
			if s, ok := doc["summary"]; ok {
				t.Errorf("summary = %s with a nil summary, want it left out", s)
			}
		})
	}
}

func TestWriteJSONL(t *testing.T) {
	fs := sample()
	var buf bytes.Buffer
	if err := report.Write(&buf, "jsonl", fs, &report.Summary{Objects: 9}); err != nil {
		t.Fatalf("Write jsonl: %v", err)
	}
	out := buf.String()
	if !strings.HasSuffix(out, "\n") {
		t.Errorf("jsonl output does not end in a newline: %q", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(fs) {
		t.Fatalf("jsonl output has %d lines, want one per finding (%d):\n%s", len(lines), len(fs), out)
	}
	want := withoutKeys(fs)
	for i, line := range lines {
		var f finding.Finding
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			t.Fatalf("line %d does not decode as a finding: %v\n%s", i+1, err, line)
		}
		if !reflect.DeepEqual(f, want[i]) {
			t.Errorf("line %d:\n got %+v\nwant %+v", i+1, f, want[i])
		}
	}
	if strings.Contains(out, `"objects"`) {
		t.Error("jsonl output includes the summary; it should hold findings only")
	}

	t.Run("no findings, no output", func(t *testing.T) {
		var buf bytes.Buffer
		if err := report.Write(&buf, "jsonl", nil, nil); err != nil {
			t.Fatalf("Write jsonl: %v", err)
		}
		if buf.Len() != 0 {
			t.Errorf("jsonl output for no findings = %q, want nothing", buf.String())
		}
	})
}

func TestWriteFormats(t *testing.T) {
	fs := sample()
	var table bytes.Buffer
	if err := report.Table(&table, fs); err != nil {
		t.Fatal(err)
	}
	t.Run("every listed format is accepted", func(t *testing.T) {
		for _, f := range report.Formats {
			var buf bytes.Buffer
			if err := report.Write(&buf, f, fs, nil); err != nil {
				t.Errorf("Write(%q): %v", f, err)
			}
			if buf.Len() == 0 {
				t.Errorf("Write(%q) wrote nothing", f)
			}
		}
	})
	for _, f := range []string{"table", ""} {
		t.Run(fmt.Sprintf("format %q is the table", f), func(t *testing.T) {
			var buf bytes.Buffer
			if err := report.Write(&buf, f, fs, &report.Summary{Objects: 1}); err != nil {
				t.Fatalf("Write(%q): %v", f, err)
			}
			if buf.String() != table.String() {
				t.Errorf("Write(%q) output differs from Table:\n%s\nwant\n%s", f, buf.String(), table.String())
			}
		})
	}
	for _, f := range []string{"yaml", "JSON", "csv", " json"} {
		t.Run(fmt.Sprintf("unknown format %q", f), func(t *testing.T) {
			var buf bytes.Buffer
			err := report.Write(&buf, f, fs, nil)
			if err == nil {
				t.Fatalf("Write(%q) succeeded, want an error", f)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", f)) {
				t.Errorf("error %q does not name the format %q", err, f)
			}
			if buf.Len() != 0 {
				t.Errorf("Write(%q) wrote %q before failing", f, buf.String())
			}
		})
	}
}

// tableLines writes fs as a table and splits the output into lines.
func tableLines(t *testing.T, fs []finding.Finding) []string {
	t.Helper()
	var buf bytes.Buffer
	if err := report.Table(&buf, fs); err != nil {
		t.Fatalf("Table: %v", err)
	}
	out := buf.String()
	if !strings.HasSuffix(out, "\n") {
		t.Errorf("table does not end in a newline: %q", out)
	}
	return strings.Split(strings.TrimSuffix(out, "\n"), "\n")
}

// checkTerminalSafe fails when out could do anything on a terminal besides
// print: invalid UTF-8 (a lone 0x9b is CSI on 8-bit terminals), C0 or C1
// controls other than newline, or bidirectional overrides.
func checkTerminalSafe(t *testing.T, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("output is not valid UTF-8: %q", out)
	}
	for i, r := range out {
		if r == '\n' {
			continue
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			t.Errorf("output holds %U at byte %d: %q", r, i, out)
			return
		}
	}
}

// checkAligned fails unless the ID column, last on every line, starts at
// the same column on every line.
func checkAligned(t *testing.T, lines []string, fs []finding.Finding) {
	t.Helper()
	col := func(line, id string) int {
		i := strings.LastIndex(line, id)
		if i < 0 || i+len(id) != len(line) {
			t.Errorf("line does not end in %q: %q", id, line)
			return -1
		}
		return utf8.RuneCountInString(line[:i])
	}
	want := col(lines[0], "ID")
	for i := range fs {
		if got := col(lines[i+1], fs[i].ID); got != want {
			t.Errorf("ID of finding %d starts at column %d, header at %d:\n%s", i, got, want, strings.Join(lines, "\n"))
		}
	}
}

func TestTable(t *testing.T) {
	fs := sample()
	lines := tableLines(t, fs)
	if len(lines) != len(fs)+1 {
		t.Fatalf("table has %d lines, want header + %d:\n%s", len(lines), len(fs), strings.Join(lines, "\n"))
	}
	header := strings.Fields(lines[0])
	wantHeader := []string{"SEVERITY", "TYPE", "ACCOUNT", "REGION", "RESOURCE", "ACTOR", "COUNT", "LAST", "SEEN", "ID"}
	if !reflect.DeepEqual(header, wantHeader) {
		t.Errorf("header fields %q, want %q", header, wantHeader)
	}
	checkAligned(t, lines, fs)
	checkTerminalSafe(t, strings.Join(lines, "\n"))

	rows := []struct {
		line int
		want []string
	}{
		{1, []string{"Medium 5.0", "UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B", "111122223333", "us-east-1", "key ASIAEXAMPLE1", "alice", " 3 ", "2024-06-01T09:30:15Z"}},
		{2, []string{"Critical 9.0", "Policy:S3/BucketBlockPublicAccessDisabled", "eu-west-1", "bucket prod-data", "arn:aws:iam::111122223333:role/deploy", " 1 ", "2024-06-01T08:00:00Z"}},
		{3, []string{"High 8.0", "444455556666", "cn-north-1", "instance i-0abc123def4567890", "2024-06-01T09:30:15Z"}},
		{4, []string{"Low 2.0", "Recon:IAMUser/UserPermissions", "us-gov-west-1", "AKIAEXAMPLE2", "arn:aws:iam::444455556666:user/bob"}},
	}
	for _, r := range rows {
		for _, w := range r.want {
			if !strings.Contains(lines[r.line], w) {
				t.Errorf("line %d lacks %q: %q", r.line, w, lines[r.line])
			}
		}
	}
}

func TestTableLastSeenInUTC(t *testing.T) {
	f := sample()[2]
	f.Service.EventLastSeen = time.Date(2024, 6, 1, 11, 30, 15, 0, time.FixedZone("CEST", 2*3600))
	lines := tableLines(t, []finding.Finding{f})
	if !strings.Contains(lines[1], "2024-06-01T09:30:15Z") {
		t.Errorf("last seen not shown in UTC: %q", lines[1])
	}
}

func TestTableNoFindings(t *testing.T) {
	lines := tableLines(t, nil)
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "SEVERITY") {
		t.Errorf("table of no findings = %q, want the header alone", lines)
	}
}

func TestTableEscapesAttackerStrings(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(f *finding.Finding)
		visible []string // text that must still be shown
	}{
		{"ANSI colour in a bucket name", func(f *finding.Finding) {
			f.Resource = finding.Resource{ResourceType: "S3Bucket", S3BucketDetails: []finding.S3BucketDetail{{Name: "evil\x1b[31mred"}}}
		}, []string{"evil", "red"}},
		{"newline in a user name", func(f *finding.Finding) {
			f.Resource.AccessKeyDetails = &finding.AccessKeyDetails{UserName: "bob\nCritical 10.0  Fake:Line"}
		}, []string{"bob", "Fake:Line"}},
		{"carriage return in the type", func(f *finding.Finding) { f.Type = "Recon:IAMUser/X\rOVERWRITE" }, []string{"OVERWRITE"}},
		{"OSC title sequence in the region", func(f *finding.Finding) { f.Region = "us-east-1\x1b]0;pwned\x07" }, []string{"us-east-1", "pwned"}},
		{"tab in the account", func(f *finding.Finding) { f.AccountID = "1111\t2222" }, []string{"1111", "2222"}},
		{"clear screen in the actor key", func(f *finding.Finding) {
			f.Resource.AccessKeyDetails = nil
			f.Keys.Actor = "arn:aws:iam::1:user/\x1b[2J\x1b[H"
		}, []string{"arn:aws:iam::1:user/"}},
		{"8-bit CSI (C1 control) in a resource key", func(f *finding.Finding) {
			f.Resource = finding.Resource{}
			f.Keys.Resource = "res\u009b31mred"
		}, []string{"res"}},
		{"right-to-left override in an instance ID", func(f *finding.Finding) {
			f.Resource.InstanceDetails = &finding.InstanceDetails{InstanceID: "i-\u202egnp.exe"}
		}, []string{"i-"}},
		{"invalid UTF-8 in a bucket name", func(f *finding.Finding) {
			f.Resource = finding.Resource{S3BucketDetails: []finding.S3BucketDetail{{Name: "bad\xff\x9b31mname"}}}
		}, []string{"bad", "name"}},
		{"tabwriter escape byte in a user name", func(f *finding.Finding) {
			f.Resource.AccessKeyDetails = &finding.AccessKeyDetails{UserName: "x\xff\ty\xff"}
		}, []string{"x", "y"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := sample()
			tc.mutate(&fs[1])
			lines := tableLines(t, fs)
			if len(lines) != len(fs)+1 {
				t.Fatalf("table has %d lines, want %d (header + one per finding):\n%s", len(lines), len(fs)+1, strings.Join(lines, "\n"))
			}
			checkTerminalSafe(t, strings.Join(lines, "\n"))
			checkAligned(t, lines, fs)
			for _, v := range tc.visible {
				if !strings.Contains(lines[2], v) {
					t.Errorf("escaped line lost %q: %q", v, lines[2])
				}
			}
		})
	}
}

func TestClean(t *testing.T) {
	unchanged := []string{
		"",
		"prod-data",
		"arn:aws:iam::111122223333:user/alice",
		"café-ßucket",
		"日本語のバケット",
		"emoji 🪣 bucket",
		"replacement \uFFFD character",
		`quote " and backslash \`,
	}
	for _, s := range unchanged {
		t.Run(fmt.Sprintf("printable %q unchanged", s), func(t *testing.T) {
			if got := report.Clean(s); got != s {
				t.Errorf("Clean(%q) = %q, want it unchanged", s, got)
			}
		})
	}

	escaped := []struct {
		in      string
		visible string // printable text kept
	}{
		{"\x1b[31mred\x1b[0m", "red"},
		{"line1\nline2", "line2"},
		{"a\rb", "b"},
		{"tab\there", "here"},
		{"nul\x00byte", "byte"},
		{"del\x7fchar", "char"},
		{"c1\u0085next", "next"},
		{"bidi\u202eevil", "evil"},
		{"zero\u200bwidth", "width"},
		{"bad\xffutf8", "utf8"},
		{"lone continuation \x9b", "lone continuation"},
		{"cut rune \xe6\x97", "cut rune"},
	}
	for _, tc := range escaped {
		t.Run(fmt.Sprintf("escapes %q", tc.in), func(t *testing.T) {
			got := report.Clean(tc.in)
			if got == tc.in {
				t.Errorf("Clean(%q) left it unchanged", tc.in)
			}
			checkTerminalSafe(t, got)
			if strings.Contains(got, "\t") {
				t.Errorf("Clean(%q) = %q holds a tab, which would split a table column", tc.in, got)
			}
			if !strings.Contains(got, tc.visible) {
				t.Errorf("Clean(%q) = %q lost the printable text %q", tc.in, got, tc.visible)
			}
		})
	}
}

func TestCleanShortens(t *testing.T) {
	const limit = 80 // runes shown at most for one value
	long := []struct {
		name string
		in   string
	}{
		{"ASCII", strings.Repeat("abcdefghij", 30)},
		{"long ARN", "arn:aws:iam::111122223333:role/" + strings.Repeat("very-long-role-name-", 10)},
	}
	// Runes of 2, 3 and 4 bytes after 0 to 3 ASCII bytes put the cut at every
	// position inside a rune.
	for _, r := range []string{"é", "日", "🪣"} {
		for pad := range 4 {
			long = append(long, struct {
				name string
				in   string
			}{fmt.Sprintf("%d-byte runes after %d ASCII", len(r), pad), strings.Repeat("x", pad) + strings.Repeat(r, 200)})
		}
	}
	for _, tc := range long {
		t.Run(tc.name, func(t *testing.T) {
			got := report.Clean(tc.in)
			if !utf8.ValidString(got) {
				t.Fatalf("Clean(long %s) = %q is not valid UTF-8", tc.name, got)
			}
			if n := utf8.RuneCountInString(got); n > limit || n < limit/5 {
				t.Errorf("Clean(long %s) has %d runes, want between %d and %d", tc.name, n, limit/5, limit)
			}
			if !strings.HasSuffix(got, "…") {
				t.Errorf("Clean(long %s) = %q does not end in an ellipsis", tc.name, got)
			}
			if kept := strings.TrimSuffix(got, "…"); !strings.HasPrefix(tc.in, kept) {
				t.Errorf("Clean(long %s) = %q is not a prefix of the input", tc.name, got)
			}
		})
	}
	t.Run("escaped then shortened", func(t *testing.T) {
		in := strings.Repeat("\x1b[31m", 50)
		got := report.Clean(in)
		checkTerminalSafe(t, got)
		if n := utf8.RuneCountInString(got); n > limit {
			t.Errorf("Clean of 50 escape sequences has %d runes, want at most %d", n, limit)
		}
	})
}

func TestResource(t *testing.T) {
	tests := []struct {
		name string
		f    finding.Finding
		want string
	}{
		{"instance", finding.Finding{Resource: finding.Resource{ResourceType: "Instance",
			InstanceDetails: &finding.InstanceDetails{InstanceID: "i-0abc"}}}, "instance i-0abc"},
		{"instance named over its access key", finding.Finding{Resource: finding.Resource{ResourceType: "Instance",
			InstanceDetails:  &finding.InstanceDetails{InstanceID: "i-0abc"},
			AccessKeyDetails: &finding.AccessKeyDetails{AccessKeyID: "ASIAROLE"}}}, "instance i-0abc"},
		{"instance without ID is not named", finding.Finding{Resource: finding.Resource{ResourceType: "Instance",
			InstanceDetails: &finding.InstanceDetails{}}}, "Instance"},
		{"one bucket", finding.Finding{Resource: finding.Resource{ResourceType: "S3Bucket",
			S3BucketDetails: []finding.S3BucketDetail{{Name: "prod-data"}}}}, "bucket prod-data"},
		{"two buckets", finding.Finding{Resource: finding.Resource{ResourceType: "S3Bucket",
			S3BucketDetails: []finding.S3BucketDetail{{Name: "src"}, {Name: "dst", Type: "Destination"}}}}, "bucket src,dst"},
		{"bucket named over the access key", finding.Finding{
			Resource: finding.Resource{ResourceType: "S3Bucket",
				S3BucketDetails:  []finding.S3BucketDetail{{Name: "prod-data"}},
				AccessKeyDetails: &finding.AccessKeyDetails{AccessKeyID: "AKIAUSER"}},
			Keys: finding.Keys{Resource: "AKIAUSER"}}, "bucket prod-data"},
		{"resource key", finding.Finding{Resource: finding.Resource{ResourceType: "AccessKey"},
			Keys: finding.Keys{Resource: "arn:aws:iam::1:role/admin"}}, "arn:aws:iam::1:role/admin"},
		{"access key", finding.Finding{Resource: finding.Resource{ResourceType: "AccessKey",
			AccessKeyDetails: &finding.AccessKeyDetails{AccessKeyID: "AKIAEXAMPLE", UserName: "alice"}}}, "key AKIAEXAMPLE"},
		{"access key details without a key ID", finding.Finding{Resource: finding.Resource{ResourceType: "AccessKey",
			AccessKeyDetails: &finding.AccessKeyDetails{UserName: "alice"}}}, "AccessKey"},
		{"resource type alone", finding.Finding{Resource: finding.Resource{ResourceType: "AccessKey"}}, "AccessKey"},
		{"nothing", finding.Finding{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := report.Resource(&tc.f); got != tc.want {
				t.Errorf("Resource = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestActor(t *testing.T) {
	const arn = "arn:aws:iam::111122223333:user/alice"
	tests := []struct {
		name string
		akd  *finding.AccessKeyDetails
		key  string
		want string
	}{
		{"user name first", &finding.AccessKeyDetails{UserName: "alice", PrincipalID: "AIDAEXAMPLE", AccessKeyID: "AKIA"}, arn, "alice"},
		{"principal when no user name", &finding.AccessKeyDetails{PrincipalID: "AROAEXAMPLE:session", AccessKeyID: "ASIA"}, arn, "AROAEXAMPLE:session"},
		{"actor key when details name no one", &finding.AccessKeyDetails{AccessKeyID: "AKIA"}, arn, arn},
		{"actor key without details", nil, arn, arn},
		{"nobody", nil, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := finding.Finding{Resource: finding.Resource{AccessKeyDetails: tc.akd}, Keys: finding.Keys{Actor: tc.key}}
			if got := report.Actor(&f); got != tc.want {
				t.Errorf("Actor = %q, want %q", got, tc.want)
			}
		})
	}
}

// withSeverities is one finding per severity.
func withSeverities(sevs ...float64) []finding.Finding {
	fs := make([]finding.Finding, len(sevs))
	for i, s := range sevs {
		fs[i] = sealed(finding.Finding{Type: fmt.Sprintf("T%d", i), Severity: s})
	}
	return fs
}

func TestCountLine(t *testing.T) {
	tests := []struct {
		name string
		sevs []float64
		want string
	}{
		{"none", nil, "0 findings"},
		{"one", []float64{8}, "1 finding: 1 High"},
		{"one low", []float64{1}, "1 finding: 1 Low"},
		{"two of one band", []float64{5, 4}, "2 findings: 2 Medium"},
		{"all bands, given low first", []float64{2, 5, 8, 9, 9, 8.5, 3.9, 2.1}, "8 findings: 2 Critical, 2 High, 1 Medium, 3 Low"},
		{"missing bands left out", []float64{2, 10, 9.5}, "3 findings: 2 Critical, 1 Low"},
		{"band edges", []float64{3.9, 4.0, 6.9, 7.0, 8.9, 9.0}, "6 findings: 1 Critical, 2 High, 2 Medium, 1 Low"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := report.CountLine(withSeverities(tc.sevs...)); got != tc.want {
				t.Errorf("CountLine(severities %v) = %q, want %q", tc.sevs, got, tc.want)
			}
		})
	}
}

func TestCounts(t *testing.T) {
	got := report.Counts(withSeverities(9, 8, 8, 2, 5, 5, 5))
	want := map[finding.Label]int{finding.Critical: 1, finding.High: 2, finding.Medium: 3, finding.Low: 1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Counts = %v, want %v", got, want)
	}
	if n := len(report.Counts(nil)); n != 0 {
		t.Errorf("Counts(nil) has %d entries, want none", n)
	}
}

// The table is meant for a terminal; make sure a big report stays one line
// per finding too.
func TestTableManyFindings(t *testing.T) {
	var fs []finding.Finding
	for i := range 200 {
		f := sample()[i%4]
		f.Keys.Resource = fmt.Sprintf("res-%d\n", i)
		f.Resource = finding.Resource{}
		f.Seal()
		fs = append(fs, f)
	}
	var buf bytes.Buffer
	if err := report.Table(&buf, fs); err != nil {
		t.Fatal(err)
	}
	n := 0
	for sc := bufio.NewScanner(&buf); sc.Scan(); n++ {
	}
	if n != len(fs)+1 {
		t.Errorf("table of %d findings has %d lines, want %d", len(fs), n, len(fs)+1)
	}
}
