package rego

import (
	"context"
	"testing"
	"time"

	"github.com/picket-dev/picket/internal/finding"
)

// benchFindings are varied: some dropped, labelled, raised, paged.
func benchFindings() ([]*finding.Finding, [][]byte) {
	accounts := []string{sandbox, payments, other, "444444444444"}
	types := []string{"Recon:IAMUser/UserPermissions", "Policy:IAMUser/RootCredentialUsage", "Stealth:IAMUser/CloudTrailLoggingDisabled"}
	var fs []*finding.Finding
	var evs [][]byte
	for i := range 64 {
		fs = append(fs, mk(accounts[i%len(accounts)], types[i%len(types)], float64(1+i%10)))
		evs = append(evs, []byte(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::333333333333:user/alice","accountId":"333333333333","accessKeyId":"AKIAEXAMPLE","userName":"alice"},"eventTime":"2026-01-02T03:04:05Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15.0","requestParameters":null,"responseElements":null,"requestID":"5f2b3c4d","eventID":"0c2f0b7e-1d2a-4c3b-9a8e-7f6e5d4c3b2a","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"333333333333"}`))
	}
	return fs, evs
}

// BenchmarkDecide: the five testdata policies, one finding (with its
// CloudTrail event) per op.
func BenchmarkDecide(b *testing.B) {
	e := loadPolicies(b, WithTimeout(10*time.Second)) // loaded machines stall
	fs, evs := benchFindings()
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := e.Decide(ctx, fs[i%len(fs)], evs[i%len(evs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkDecideParallel(b *testing.B) {
	e := loadPolicies(b, WithTimeout(10*time.Second)) // loaded machines stall
	fs, evs := benchFindings()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := e.Decide(context.Background(), fs[i%len(fs)], evs[i%len(evs)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// BenchmarkInput compares ways to build the input document: AST straight
// from the JSON (buildInput, used) and decoding to map[string]any for OPA
// to convert.
func BenchmarkInput(b *testing.B) {
	fs, evs := benchFindings()
	for _, c := range []struct {
		name string
		fn   func(*finding.Finding, []byte) (any, error)
	}{
		{"ast", func(f *finding.Finding, ev []byte) (any, error) { return buildInput(f, ev) }},
		{"map", func(f *finding.Finding, ev []byte) (any, error) { return mapInput(f, ev) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := c.fn(fs[i%len(fs)], evs[i%len(evs)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
