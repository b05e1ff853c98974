package platform

import (
	"cmp"
	"fmt"
	"os"
)

// Identity is what Temporal records as the client of a process's calls (the identity in a
// terminate, signal or Update event, and of a worker's polls):
// "egovpm-<component>:<pid>@<host>", component "gateway", "worker" or "cli" (config.Component;
// "process" when unset). The prefix "egovpm-" is what the reconciliation of changes made
// outside egovpm takes for its own (ops.OwnIdentity, docs/AUDIT.md); the SDK's default,
// "<pid>@<host>", would not tell egovpm's calls from a temporal CLI's.
func Identity(component string) string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	return fmt.Sprintf("egovpm-%s:%d@%s", cmp.Or(component, "process"), os.Getpid(), host)
}
