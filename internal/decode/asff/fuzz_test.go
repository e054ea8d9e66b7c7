package asff

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/picket-dev/picket/internal/decode"
	"github.com/picket-dev/picket/internal/decode/guardduty"
	"github.com/picket-dev/picket/internal/event"
)

// transcript records everything a decode run hands out, as text, and
// checks what every event must be.
type transcript struct {
	b      strings.Builder
	events int64
	t      *testing.T
}

func (h *transcript) Event(e *event.Event) error {
	h.events++
	f := e.Finding
	if e.Kind != event.KindFinding || f == nil || e.Raw == nil || len(e.RawBytes) == 0 {
		h.t.Fatalf("incomplete event: %+v", e)
	}
	if f.Type == "" || e.ID == "" || f.ID != e.ID || !guardduty.IsAccount(f.AccountID) || e.Account != f.AccountID || f.Region == "" || e.Region != f.Region ||
		!(f.Severity >= 0 && f.Severity <= 10) || f.Service.Count < 1 ||
		!(f.Keys.Resource == KeyPrefix+e.ID || strings.HasPrefix(f.Keys.Resource, guardduty.KeyPrefix) && f.Service.ServiceName == "guardduty") {
		h.t.Fatalf("bad finding: %+v", f)
	}
	b, err := json.Marshal(f)
	if err != nil {
		h.t.Fatalf("finding does not marshal: %v", err)
	}
	c := *f
	c.Detach()
	if b2, _ := json.Marshal(&c); !bytes.Equal(b, b2) {
		h.t.Fatalf("detached finding differs")
	}
	fmt.Fprintf(&h.b, "E %+v %v %q %s %s\n", e.Origin, e.Time, e.RawBytes, b, f.Keys)
	return nil
}

func (h *transcript) Quarantine(q decode.Bad) error {
	fmt.Fprintf(&h.b, "Q %+v %q %v %q\n", q.Origin, q.Reason, q.Tail, q.Sample)
	return nil
}

// FuzzDecode feeds arbitrary bytes: the decoder must never panic, every
// event carries a valid finding that serializes, every record index is an
// event, a quarantined record or a skip, and reading the input in one piece
// or one byte at a time gives the same result, as does resuming from a
// record index.
func FuzzDecode(f *testing.F) {
	// Small seeds only: the fuzzer minimizes every new input it finds, and
	// minimizing one grown from a large seed takes all its time.
	files, _ := filepath.Glob("testdata/*")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for line := range bytes.Lines(b) {
			if len(line) <= 1<<10 {
				f.Add(line, uint8(0))
			}
		}
	}
	f.Add([]byte(`{"Id":"a","AwsAccountId":"111122223333","Resources":[{"Type":"AwsIamAccessKey","Id":"AKIA1","Region":"us-east-1","ResourceRole":"Actor","Details":{"AwsIamAccessKey":{"PrincipalId":"p","SessionContext":{"SessionIssuer":{"UserName":"u"}}}}},{"Type":"Other"}],"Types":["Effects/Data Exfiltration"],"GeneratorId":"arn:aws:x:us-east-1:1:rule/1.2","Severity":{"Label":"HIGH","Normalized":40},"Workflow":{"Status":"SUPPRESSED"},"Action":{"ActionType":"DNS_REQUEST","DnsRequestAction":{"Domain":"x.com","Blocked":true}}}`), uint8(0))
	f.Add([]byte(`{"Id":"b","AwsAccountId":"111122223333","ProductArn":"arn:aws:securityhub:eu-west-1::product/aws/securityhub","Resources":[{"Type":"AwsS3Bucket","Id":"arn:aws:s3:::b"},{"Type":"AwsEksCluster","Id":"arn:aws:eks:r:1:cluster/c"}],"FindingProviderFields":{"Severity":{"Label":"LOW"},"Types":["Sensitive Data Identifications/PII/SensitiveData:S3Object-Personal"]},"RecordState":"ARCHIVED"}`), uint8(0))
	one := `{"Id":"x","AwsAccountId":"111122223333","Region":"r","GeneratorId":"g/1","Types":["TTPs/Execution"],"Severity":{"Normalized":"55"},"Resources":[{"Type":"AwsEc2Instance","Id":"i-1","Details":{"AwsEc2Instance":{"IpV4Addresses":["10.0.0.1"]}}}]}`
	f.Add([]byte(`{"detail-type":"Security Hub Findings - Imported","source":"aws.securityhub","region":"eu-west-1","detail":{"findings":[`+one+`,1]}}`), uint8(1))
	f.Add([]byte(`{"Id":"arn:aws:guardduty:r:111122223333:detector/d/finding/f","AwsAccountId":"111122223333","Region":"r","ProductName":"GuardDuty","Types":["TTPs/Recon:EC2-Portscan"],"Severity":{"Product":"5"},"ProductFields":{"aws/guardduty/service/count":"3","aws/guardduty/service/action/portProbeAction/portProbeDetails/0/localPortDetails/port":"22","aws/guardduty/service/action/portProbeAction/portProbeDetails/1":"x"}}`), uint8(0))
	f.Add([]byte(`{"NextToken":"t","Findings":[`+one+`]}{"Findings":[]}`), uint8(2))
	var whole, bytewise = New(), New()
	f.Fuzz(func(t *testing.T, in []byte, start uint8) {
		o := decode.Options{Origin: event.Origin{Source: "fuzz", Path: "in"}, MaxRecordBytes: 4096}
		run := func(o decode.Options, oneByte bool) (string, decode.Stats) {
			h := &transcript{t: t}
			r := bytes.NewReader(in)
			var rd io.Reader = r
			d := whole
			if oneByte {
				rd, d = iotest.OneByteReader(r), bytewise
			}
			st, err := d.Decode(context.Background(), rd, o, h)
			if err != nil {
				t.Fatal(err)
			}
			if st.Events != h.events || st.Events+st.Quarantined+st.Skipped != st.Records {
				t.Fatalf("stats do not add up: %+v (handler saw %d events)", st, h.events)
			}
			if st.Bytes != int64(len(in)) {
				t.Fatalf("Bytes = %d of %d", st.Bytes, len(in))
			}
			return h.b.String(), st
		}
		all, st := run(o, false)
		if onebyone, st2 := run(o, true); onebyone != all || st2 != st {
			t.Fatalf("one byte at a time differs:\n%s%+v\nin one piece:\n%s%+v", onebyone, st2, all, st)
		}
		o.Start = int64(start) % (st.Records + 2)
		resumed, st3 := run(o, false)
		if st3.Records != st.Records {
			t.Fatalf("start %d: %d records, %d without", o.Start, st3.Records, st.Records)
		}
		var want strings.Builder
		for line := range strings.Lines(all) {
			var idx int64
			if i := strings.Index(line, "Index:"); i >= 0 {
				fmt.Sscanf(line[i+len("Index:"):], "%d", &idx)
			}
			if idx >= o.Start {
				want.WriteString(line)
			}
		}
		if resumed != want.String() {
			t.Fatalf("start %d:\n%s\nwant\n%s", o.Start, resumed, want.String())
		}
	})
}
