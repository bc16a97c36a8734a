package spec_test

import (
	"encoding/json"
	"testing"

	"prenv.dev/prenv/spec"
)

// TestAccountIDUnmarshalJSON: a library user decoding JSON directly gets
// the same rule as Load: a number is an account ID only when written as
// exactly 12 digits, never padded into another account.
func TestAccountIDUnmarshalJSON(t *testing.T) {
	for in, want := range map[string]string{
		`"123456789012"`: "123456789012",
		`"012345678901"`: "012345678901",
		`123456789012`:   "123456789012",
		`5`:              "",
		`12345678901`:    "",
		`1234567890123`:  "",
		`1.2e11`:         "",
		`-12345678901`:   "",
	} {
		var a spec.AccountID
		err := json.Unmarshal([]byte(in), &a)
		switch {
		case want == "" && err == nil:
			t.Errorf("%s: accepted as %q, want an error", in, a)
		case want == "" && err.Error() != "account ID must be a string of 12 digits, got the number "+in+"; quote it":
			t.Errorf("%s: error %q", in, err)
		case want != "" && (err != nil || string(a) != want):
			t.Errorf("%s: %q, %v; want %q", in, a, err, want)
		}
	}
}
