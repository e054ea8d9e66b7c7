package guardduty

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
	if f.Type == "" || f.ID == "" || e.ID != f.ID || !IsAccount(f.AccountID) || e.Account != f.AccountID || f.Region == "" || e.Region != f.Region ||
		!(f.Severity >= 0 && f.Severity <= 10) || f.Keys.Resource != KeyPrefix+f.ID || f.Service.ServiceName != ServiceName {
		h.t.Fatalf("bad finding: %+v", f)
	}
	// The store serializes findings as JSON: that must always work, and a
	// detached copy must serialize the same.
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
	for _, s := range []string{
		`{"schemaVersion":"2.0","accountId":"111122223333","region":"eu-west-1","id":"a1","arn":"arn:aws:guardduty:eu-west-1:111122223333:detector/d/finding/a1","type":"Recon:EC2/PortProbeUnprotectedPort","severity":2,"resource":{"resourceType":"Instance","instanceDetails":{"instanceId":"i-1","imageId":"ami-1","networkInterfaces":[{"networkInterfaceId":"eni-1","vpcId":"vpc-1","publicIp":"1.2.3.4"}]}},"service":{"detectorId":"d","count":3,"action":{"actionType":"PORT_PROBE","portProbeAction":{"blocked":false,"portProbeDetails":[{"localPortDetails":{"port":22,"portName":"SSH"},"remoteIpDetails":{"ipAddressV4":"192.0.2.1","country":{"countryName":"X"}}}]}},"additionalInfo":{"sample":true}}}`,
		`{"AccountId":"111122223333","Region":"us-east-1","Id":"a2","Type":"Stealth:IAMUser/CloudTrailLoggingDisabled","Severity":2,"Resource":{"ResourceType":"AccessKey","AccessKeyDetails":{"AccessKeyId":"AKIA1","UserName":"u"}},"Service":{"Action":{"ActionType":"AWS_API_CALL","AwsApiCallAction":{"Api":"StopLogging","DomainDetails":{"Domain":"d"},"AffectedResources":{"AWS::CloudTrail::Trail":"t"}}},"AdditionalInfo":{"Value":"{\"unusual\":1}","Type":"default"}}}`,
		`{"accountId":"111122223333","region":"us-east-1","id":"a3","type":"Execution:Kubernetes/ExecInKubeSystemPod","severity":5,"resource":{"resourceType":"EKSCluster","eksClusterDetails":{"name":"c"},"kubernetesDetails":{"kubernetesUserDetails":{"username":"u","groups":["g"]}},"s3BucketDetails":[{"name":"b","tags":[]}]},"service":{"action":{"kubernetesApiCallAction":{"verb":"create","sourceIps":["1.2.3.4"],"statusCode":101},"dnsRequestAction":{"domain":"x.com"},"networkConnectionAction":{"remotePortDetails":{"port":"443"}}}}}`,
		`{"detail-type":"GuardDuty Finding","source":"aws.guardduty","region":"eu-west-1","time":"2026-01-01T00:00:00Z","detail":{"accountId":"111122223333","id":"a4","type":"T","severity":"8.5","updatedAt":"2026-01-01T00:00:00Z"}}`,
	} {
		f.Add([]byte(s), uint8(0))
	}
	one := `{"accountId":"111122223333","region":"us-east-1","id":"x","type":"T","severity":1}`
	f.Add([]byte(`{"NextToken":"t","Findings":[`+one+`,7,{"id":1}]}{"findings":null}`), uint8(1))
	f.Add([]byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"message":"{\"Findings\":[]}"},{"message":`+fmt.Sprintf("%q", one)+`}]}`), uint8(2))
	f.Add([]byte(`{"Type":"Notification","Message":"{\"detail-type\":\"GuardDuty Finding\",\"source\":\"aws.guardduty\",\"detail\":`+strings.ReplaceAll(one, `"`, `\"`)+`}"}`), uint8(0))
	f.Add([]byte(`{"events":[{"timestamp":1,"message":"[1]"},{"message":"x"}]}`), uint8(1))
	f.Add([]byte(`{"accountId":"111122223333","region":"r","id":"x","type":"T","severity":"5","service":{"additionalInfo":{"value":"{\"sample\":true}","type":"default"},"count":"3"}}`), uint8(0))
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
