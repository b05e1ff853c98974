// Package callgrind sends callgrind's client requests (valgrind/callgrind.h) from Go, so a
// benchmark run under `valgrind --tool=callgrind` counts the instructions of its timed
// sections only: Zero when a section starts, Dump when it ends; every dump is one section
// (callgrind.out.PID.N), summed by scripts/callgrind-sum. Outside valgrind each request is a
// handful of no-op instructions (on amd64; on other architectures it does nothing).
package callgrind

// Request codes of callgrind.h: VG_USERREQ_TOOL_BASE('C','T') + n.
const (
	base      = uintptr('C')<<24 | uintptr('T')<<16
	dumpStats = base + 0
	zeroStats = base + 1
)

// Zero resets every thread's cost counters.
func Zero() { request(zeroStats) }

// Dump writes the counters since the last Zero or Dump into a new profile file and resets
// them.
func Dump() { request(dumpStats) }

func request(code uintptr) {
	args := [6]uintptr{code}
	clientRequest(&args)
}
