// Package archtest holds the tests that keep the house's shape: the allowed imports of
// docs/ARCHITECTURE.md, the length of functions, and docs/ERRORS.md generated from the error
// kinds and codes of the source. It has no code of its own.
package archtest
