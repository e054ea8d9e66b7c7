package decode

import "testing"

func TestSniff(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"Records":[{"eventVersion":"1.08","eventName":"X"}]}`, "cloudtrail"},
		{"\xef\xbb\xbf\n  {\"eventVersion\":\"1.08\"}\n", "cloudtrail"},
		{`{"version":"1.100000","account_id":"123456789012","query_timestamp":"2026-10-14T09:00:00Z","query_name":"a.example."}`, "dns"},
		{`{"messageType":"DATA_MESSAGE","logEvents":[{"message":"{\"query_timestamp\":\"2026-10-14T09:00:00Z\",\"query_name\":\"a.example.\"}"}]}`, "dns"},
		{`{"Records":[{"eventVersion":"1.08","eventName":"StartQueryExecution","requestParameters":{"queryString":"SELECT query_name, query_timestamp FROM dns"}}]}`, "cloudtrail"},
		{`{"Records":[{"eventName":"X","requestParameters":{"s":"\"query_name\""}}]}`, "cloudtrail"},
		{`{"messageType":"DATA_MESSAGE","logEvents":[{"message":"2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1 2 ACCEPT OK"}]}`, "vpcflow"},
		{`{"messageType":"DATA_MESSAGE","logEvents":[{"message":"{\"eventVersion\":\"1.08\"}"}]}`, "cloudtrail"},
		{"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n2 1 eni-1", "vpcflow"},
		{"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n", "vpcflow"},
		{"2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA\n", "vpcflow"},
		{"hello world\n", ""},
		{"", ""},
		{"   \n", ""},
	}
	for _, tc := range tests {
		if got := Sniff([]byte(tc.in)); got != tc.want {
			t.Errorf("Sniff(%.50q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
