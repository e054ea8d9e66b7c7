package receiver

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
)

// Amazon Data Firehose HTTP endpoint delivery (protocol version 1.0):
//
//	POST … with headers X-Amz-Firehose-Request-Id (the same on every retry),
//	X-Amz-Firehose-Access-Key (the configured access key, verbatim),
//	Content-Type: application/json, and Content-Encoding: gzip when the
//	stream compresses; body
//	{"requestId": "…", "timestamp": <ms>, "records": [{"data": "<base64>"}, …]}
//
// The endpoint answers with Content-Type: application/json and
// {"requestId": "<the header's id>", "timestamp": <ms>} with status 200, or
// the same plus "errorMessage" with a 4xx/5xx status; Firehose retries any
// non-200 answer until its retry duration runs out.

// firehoseEnvelope is the request body Firehose sends.
type firehoseEnvelope struct {
	RequestID string            `json:"requestId"`
	Records   *[]firehoseRecord `json:"records"`
}

type firehoseRecord struct {
	Data *string `json:"data"`
}

// response is the JSON answer to every request. For Firehose it is exactly
// the documented {"requestId","timestamp"[,"errorMessage"]}; other clients
// also get the counts on success.
type response struct {
	RequestID    string `json:"requestId"`
	Timestamp    int64  `json:"timestamp"`
	ErrorMessage string `json:"errorMessage,omitempty"`
	*counts
}

type counts struct {
	Records     int64 `json:"records"`
	Events      int64 `json:"events"`
	Quarantined int64 `json:"quarantined"`
	Findings    int   `json:"findings"`
}

// tooLargeError reports a body, or its decompressed form, over the limit.
type tooLargeError struct {
	what  string
	limit int64
}

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("%s exceeds the limit of %d bytes", e.what, e.limit)
}

// envelopeError reports a malformed Firehose request body.
type envelopeError struct{ msg string }

func (e *envelopeError) Error() string { return e.msg }

func badEnvelope(format string, args ...any) error {
	return &envelopeError{msg: "invalid Firehose request: " + fmt.Sprintf(format, args...)}
}

// gzipMagic starts every gzip member.
var gzipMagic = []byte{0x1f, 0x8b}

// parseFirehose decodes a Firehose request body: the records' data, base64
// decoded and, when gzip-compressed (CloudWatch Logs subscription records),
// decompressed, joined by "\n" (a record's own trailing newlines are
// dropped, empty records skipped). n counts the non-empty records. The
// joined result may hold at most limit bytes; beyond it parseFirehose
// returns a *tooLargeError. Malformed input gives an *envelopeError.
func parseFirehose(body []byte, limit int64) (out []byte, n int, requestID string, err error) {
	var env firehoseEnvelope
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&env); err != nil {
		return nil, 0, "", badEnvelope("body is not a JSON envelope: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, 0, "", badEnvelope("trailing data after the JSON envelope")
	}
	if env.Records == nil {
		return nil, 0, env.RequestID, badEnvelope(`missing "records"`)
	}
	var buf bytes.Buffer
	for i, rec := range *env.Records {
		if rec.Data == nil {
			return nil, 0, env.RequestID, badEnvelope(`record %d: missing "data"`, i)
		}
		data, err := base64.StdEncoding.DecodeString(*rec.Data)
		if err != nil {
			return nil, 0, env.RequestID, badEnvelope("record %d: data is not valid base64: %v", i, err)
		}
		if bytes.HasPrefix(data, gzipMagic) {
			remaining := limit - int64(buf.Len())
			if n > 0 {
				remaining-- // the separator
			}
			if remaining < 0 {
				remaining = 0
			}
			data, err = gunzipLimit(data, remaining)
			var tl *tooLargeError
			if errors.As(err, &tl) {
				return nil, 0, env.RequestID, &tooLargeError{what: "decoded Firehose records", limit: limit}
			}
			if err != nil {
				return nil, 0, env.RequestID, badEnvelope("record %d: invalid gzip data: %v", i, err)
			}
		}
		data = bytes.TrimRight(data, "\r\n")
		if len(data) == 0 {
			continue
		}
		size := int64(buf.Len()) + int64(len(data))
		if n > 0 {
			size++
		}
		if size > limit {
			return nil, 0, env.RequestID, &tooLargeError{what: "decoded Firehose records", limit: limit}
		}
		if n > 0 {
			buf.WriteByte('\n')
		}
		buf.Write(data)
		n++
	}
	return buf.Bytes(), n, env.RequestID, nil
}

// gunzipLimit decompresses data (one or more gzip members), refusing to
// produce more than limit bytes: a *tooLargeError then, so a small
// decompression bomb costs at most limit bytes of memory.
func gunzipLimit(data []byte, limit int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	read := limit
	if read < math.MaxInt64 {
		read++
	}
	out, err := io.ReadAll(io.LimitReader(zr, read))
	if err != nil {
		return nil, err
	}
	if int64(len(out)) > limit {
		return nil, &tooLargeError{what: "decompressed body", limit: limit}
	}
	return out, nil
}
