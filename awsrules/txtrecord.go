package awsrules

import "strings"

// TXTRecordTypeVar is the variable that external-dns replaces with the
// record type in --txt-prefix and --txt-suffix (external-dns docs, "The TXT
// registry").
const TXTRecordTypeVar = "%{record_type}"

// TXTRecordLabel is the first label of the TXT record external-dns's TXT
// registry (new format) writes beside a record of type recordType (a, aaaa,
// cname) for a hostname whose first label is label, with external-dns's
// --txt-prefix and --txt-suffix: <prefix><type>-<label><suffix>, the type
// left out when an affix holds %{record_type} (which is replaced by it), and
// only the part between the dots around the label.
func TXTRecordLabel(label, recordType, prefix, suffix string) string {
	typed := strings.Contains(prefix, TXTRecordTypeVar) || strings.Contains(suffix, TXTRecordTypeVar)
	prefix = strings.ReplaceAll(prefix, TXTRecordTypeVar, recordType)
	suffix = strings.ReplaceAll(suffix, TXTRecordTypeVar, recordType)
	if !typed {
		label = recordType + "-" + label
	}
	full := prefix + label + suffix
	start := strings.LastIndexByte(prefix, '.') + 1
	end := len(full)
	if i := strings.IndexByte(suffix, '.'); i >= 0 {
		end = len(prefix) + len(label) + i
	}
	return full[start:end]
}
