package store

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/lib/pq"
)

// The driver's errors stay inside the store: these functions tell the gateway and the CLI
// what kind of failure an error is, by PostgreSQL's SQLSTATE.

// IsUniqueViolation reports whether err is a unique-key violation.
func IsUniqueViolation(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505"
}

// IsCheckViolation reports whether err is a CHECK constraint or trigger refusal.
func IsCheckViolation(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && (pqErr.Code == "23514" || pqErr.Code == "P0001")
}

// IsBadValue reports whether err is PostgreSQL refusing a value of the request: bytes that
// are not valid in the encoding, characters it cannot translate, numbers or dates out of
// range. Such a value slipped past validation; it is the client's input, not a server fault.
func IsBadValue(err error) bool {
	switch sqlState(err) {
	case "22021", "22P05", "22003", "22007", "22008":
		return true
	}
	return false
}

// IsCanceled reports whether err is PostgreSQL's "canceling statement due to user request"
// (57014), which the driver makes of a cancelled context.
func IsCanceled(err error) bool { return sqlState(err) == "57014" }

// IsUnavailable reports whether err says PostgreSQL could not be reached or went away
// (refused or reset connections, a server starting up, shutting down or recovering from a
// crash, no connection slot left): an outage of a dependency, not a fault of the caller. A
// write whose connection broke at COMMIT may still have been applied.
func IsUnavailable(err error) bool {
	if c := sqlState(err); c != "" {
		// Class 08 connection exception; 57P01–57P03 admin or crash shutdown, cannot
		// connect now; 53300 too many connections.
		return strings.HasPrefix(c, "08") || c == "57P01" || c == "57P02" || c == "57P03" || c == "53300"
	}
	var opErr *net.OpError
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &opErr)
}

// sqlState is the SQLSTATE of the PostgreSQL error inside err ("" when there is none).
func sqlState(err error) string {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return string(pqErr.Code)
	}
	return ""
}
