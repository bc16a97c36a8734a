package placeholders

// The module's golden helper defines the -update flag; importing it lets
// `go test ./... -update` run in this package too.
import _ "prenv.dev/prenv/internal/golden"
