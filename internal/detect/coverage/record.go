// Package coverage measures how well Picket's detectors cover the Stratus
// Red Team attack techniques, the way they would meet them in production:
// each detonation log is replayed, byte for byte, inside realistic benign
// CloudTrail background traffic (AWS services, CI roles, console users,
// EC2 instance roles, S3 data events) and a benign history of the
// principals the detonation uses, so that behaviour baselines have
// something to compare the attack with and noisy rules show their noise.
//
// Everything is deterministic: the same seed and options give the same
// bytes, so a coverage table generated from it can be committed and
// checked (docs/stratus-coverage.md).
package coverage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Shape names the kind of traffic a record stands for.
type Shape string

// The shapes of generated traffic, and the detonation's own records.
const (
	ShapeService    Shape = "service"    // AWS service principals (AWSService, invokedBy)
	ShapeCI         Shape = "ci"         // CI roles: GitHub Actions OIDC and Terraform sessions
	ShapeConsole    Shape = "console"    // console users: ConsoleLogin then console API calls
	ShapeInstance   Shape = "instance"   // EC2 instance-role sessions (i-…, ec2RoleDelivery)
	ShapeS3Data     Shape = "s3data"     // S3 data events (GetObject/PutObject) by applications
	ShapeHistory    Shape = "history"    // benign history of a detonation's principals
	ShapeDetonation Shape = "detonation" // a Stratus Red Team record, replayed unchanged
)

// Shapes lists the background shapes Generate produces.
var Shapes = []Shape{ShapeService, ShapeCI, ShapeConsole, ShapeInstance, ShapeS3Data}

// Record is one CloudTrail record: its time, what it stands for and its
// JSON (compact for generated records; a detonation record's bytes exactly
// as they were in its log).
type Record struct {
	Time  time.Time
	Shape Shape
	JSON  []byte
}

// Sort orders records by time; records at the same time keep their order
// (so a detonation's records keep theirs among themselves).
func Sort(recs []Record) {
	slices.SortStableFunc(recs, func(a, b Record) int { return a.Time.Compare(b.Time) })
}

// Merge returns the records of every list in one slice ordered by time;
// at equal times, records of earlier lists come first.
func Merge(lists ...[]Record) []Record {
	var out []Record
	for _, l := range lists {
		out = append(out, l...)
	}
	Sort(out)
	return out
}

// WriteFile writes recs as a CloudTrail log file: {"Records":[…]}, one
// record per line.
func WriteFile(w io.Writer, recs []Record) error {
	var b bytes.Buffer
	b.WriteString("{\"Records\":[")
	for i, r := range recs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n")
		b.Write(r.JSON)
	}
	b.WriteString("\n]}\n")
	_, err := w.Write(b.Bytes())
	return err
}

// WriteLines writes recs as a stream of records, one compact JSON object
// per line (a detonation record is compacted; its content is unchanged).
func WriteLines(w io.Writer, recs []Record) error {
	var b bytes.Buffer
	for _, r := range recs {
		if bytes.IndexByte(r.JSON, '\n') >= 0 {
			if err := json.Compact(&b, r.JSON); err != nil {
				return err
			}
		} else {
			b.Write(r.JSON)
		}
		b.WriteByte('\n')
	}
	_, err := w.Write(b.Bytes())
	return err
}

// ct is a CloudTrail record in CloudTrail's field order. UserIdentity is
// an *identity or, for a detonation principal's history, a map copied
// from the detonation.
type ct struct {
	EventVersion                 string         `json:"eventVersion"`
	UserIdentity                 any            `json:"userIdentity"`
	EventTime                    string         `json:"eventTime"`
	EventSource                  string         `json:"eventSource"`
	EventName                    string         `json:"eventName"`
	AWSRegion                    string         `json:"awsRegion"`
	SourceIPAddress              string         `json:"sourceIPAddress"`
	UserAgent                    string         `json:"userAgent"`
	ErrorCode                    string         `json:"errorCode,omitempty"`
	ErrorMessage                 string         `json:"errorMessage,omitempty"`
	RequestParameters            map[string]any `json:"requestParameters"`
	ResponseElements             map[string]any `json:"responseElements"`
	AdditionalEventData          map[string]any `json:"additionalEventData,omitempty"`
	RequestID                    string         `json:"requestID,omitempty"`
	EventID                      string         `json:"eventID"`
	ReadOnly                     bool           `json:"readOnly"`
	Resources                    []resource     `json:"resources,omitempty"`
	EventType                    string         `json:"eventType"`
	ManagementEvent              bool           `json:"managementEvent"`
	RecipientAccountID           string         `json:"recipientAccountId"`
	SharedEventID                string         `json:"sharedEventID,omitempty"`
	VPCEndpointID                string         `json:"vpcEndpointId,omitempty"`
	EventCategory                string         `json:"eventCategory"`
	TLSDetails                   *tlsDetails    `json:"tlsDetails,omitempty"`
	SessionCredentialFromConsole string         `json:"sessionCredentialFromConsole,omitempty"`
}

type identity struct {
	Type             string          `json:"type"`
	PrincipalID      string          `json:"principalId,omitempty"`
	ARN              string          `json:"arn,omitempty"`
	AccountID        string          `json:"accountId,omitempty"`
	AccessKeyID      string          `json:"accessKeyId,omitempty"`
	UserName         string          `json:"userName,omitempty"`
	IdentityProvider string          `json:"identityProvider,omitempty"`
	SessionContext   *sessionContext `json:"sessionContext,omitempty"`
	InvokedBy        string          `json:"invokedBy,omitempty"`
}

type sessionContext struct {
	SessionIssuer       *issuer         `json:"sessionIssuer"`
	WebIDFederationData *webIDFederated `json:"webIdFederationData"`
	Attributes          attributes      `json:"attributes"`
	EC2RoleDelivery     string          `json:"ec2RoleDelivery,omitempty"`
}

type issuer struct {
	Type        string `json:"type,omitempty"`
	PrincipalID string `json:"principalId,omitempty"`
	ARN         string `json:"arn,omitempty"`
	AccountID   string `json:"accountId,omitempty"`
	UserName    string `json:"userName,omitempty"`
}

type webIDFederated struct {
	FederatedProvider string            `json:"federatedProvider,omitempty"`
	Attributes        map[string]string `json:"attributes,omitempty"`
}

type attributes struct {
	CreationDate     string `json:"creationDate"`
	MFAAuthenticated string `json:"mfaAuthenticated"`
}

type resource struct {
	AccountID string `json:"accountId,omitempty"`
	Type      string `json:"type"`
	ARN       string `json:"ARN"`
}

type tlsDetails struct {
	TLSVersion               string `json:"tlsVersion"`
	CipherSuite              string `json:"cipherSuite"`
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader"`
}

// ctTime formats a time as CloudTrail does.
func ctTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// rnd wraps the generator's random source with the helpers records need.
type rnd struct{ *rand.Rand }

func newRnd(seed uint64, salt string) rnd {
	h := uint64(14695981039346656037)
	for i := 0; i < len(salt); i++ {
		h ^= uint64(salt[i])
		h *= 1099511628211
	}
	return rnd{rand.New(rand.NewPCG(seed, h))}
}

// uuid returns a random version-4 UUID.
func (r rnd) uuid() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

const keyChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// key returns prefix and n characters of an IAM identifier (AKIA…, ASIA…,
// AROA…, AIDA…).
func (r rnd) key(prefix string, n int) string {
	var b strings.Builder
	b.WriteString(prefix)
	for range n {
		b.WriteByte(keyChars[r.IntN(len(keyChars))])
	}
	return b.String()
}

func (r rnd) hex(n int) string {
	const h = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = h[r.IntN(16)]
	}
	return string(b)
}

func (r rnd) pick(s []string) string { return s[r.IntN(len(s))] }

// stableKey is like key but derived from a name, so an estate's identifiers
// do not depend on how much randomness was drawn before.
func stableKey(seed uint64, name, prefix string, n int) string {
	return newRnd(seed, "key:"+name).key(prefix, n)
}

// marshal encodes v as CloudTrail does: compact, with &, < and > as
// they are.
func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // only maps and structs of strings, numbers and bools
		panic(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
