// Package docstore keeps uploaded documents as content-addressed files under DATA_DIR and
// checks their type by content (PDF, OFD, DOCX, XLSX), never by the name or the header a
// client claims. A file whose content is also an executable, or whose structure is not the
// structure of the type its first bytes claim, is refused (content.go).
//
// An upload is received into a temporary file and checked (Receive); it reaches its
// content-addressed place only when the caller commits it, once the upload is accepted and
// its row is about to be recorded (Pending.Commit). Every other path removes the temporary
// file, so a refused upload leaves nothing behind.
package docstore

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Types a document may have, by content.
const (
	TypePDF  = "application/pdf"
	TypeOFD  = "application/ofd"
	TypeDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	TypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// Extensions are the filename extensions of each type, lower case, the first the usual one.
var Extensions = map[string][]string{
	TypePDF:  {".pdf"},
	TypeOFD:  {".ofd"},
	TypeDOCX: {".docx"},
	TypeXLSX: {".xlsx"},
}

// ErrUnknownType is returned for content that is none of the accepted types.
var ErrUnknownType = errors.New("document is not a PDF, OFD, DOCX or XLSX file")

// ErrExecutable is returned for content that passes for an accepted type but also holds an
// executable (an ELF, PE or Mach-O image, or a #! script part of an OOXML/OFD package).
var ErrExecutable = errors.New("document content is also an executable")

// ErrMalformed is returned for content whose first bytes claim a type its structure does not
// have (a "PDF" without a version or without %%EOF at its end).
var ErrMalformed = errors.New("document structure does not match its type")

// ErrTooLarge is returned when content passes the size limit.
var ErrTooLarge = errors.New("document is too large")

// ErrEmpty is returned for an empty upload.
var ErrEmpty = errors.New("document is empty")

// tmpPrefix names the temporary files of uploads in flight.
const tmpPrefix = "upload-"

// Store writes files under dir/documents/<aa>/<sha256>.
type Store struct{ dir string }

// New returns a Store rooted at dataDir, creating it. Temporary files of uploads that a
// process stopped in the middle of (older than a day: no upload lasts that long) are removed.
func New(dataDir string) (*Store, error) {
	dir := filepath.Join(dataDir, "documents")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create document directory: %w", err)
	}
	if es, err := os.ReadDir(dir); err == nil {
		for _, e := range es {
			if info, err := e.Info(); err == nil && !e.IsDir() && strings.HasPrefix(e.Name(), tmpPrefix) &&
				time.Since(info.ModTime()) > 24*time.Hour {
				_ = os.Remove(filepath.Join(dir, e.Name()))
			}
		}
	}
	return &Store{dir: dir}, nil
}

// Saved describes a stored (or received) file.
type Saved struct {
	SHA256      string
	Size        int64
	ContentType string
}

// Pending is a received and checked upload in a temporary file, not yet stored.
type Pending struct {
	Saved
	s   *Store
	tmp string // "" once committed or discarded
}

// Receive reads at most limit bytes of r into a temporary file, checks its type by content and
// syncs it. Nothing is stored until Commit; a refusal or an error leaves no file behind.
func (s *Store) Receive(r io.Reader, limit int64) (*Pending, error) {
	tmp, err := os.CreateTemp(s.dir, tmpPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("create temp file: %w", err)
	}
	keep := false
	defer func() {
		tmp.Close()
		if !keep {
			_ = os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	if n > limit {
		return nil, ErrTooLarge
	}
	if n == 0 {
		return nil, ErrEmpty
	}
	ct, err := sniff(tmp, n)
	if err != nil {
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("sync upload: %w", err)
	}
	keep = true
	return &Pending{Saved: Saved{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n, ContentType: ct}, s: s, tmp: tmp.Name()}, nil
}

// Commit moves the upload into its content-addressed place durably (rename, then sync of the
// directory). created reports whether the file is new; false when the same content was
// stored before (one file serves both).
func (p *Pending) Commit() (created bool, err error) {
	if p.tmp == "" {
		return false, errors.New("upload already committed or discarded")
	}
	final := p.s.path(p.SHA256)
	if err := os.MkdirAll(filepath.Dir(final), 0o750); err != nil {
		return false, fmt.Errorf("create document directory: %w", err)
	}
	if _, err := os.Stat(final); err == nil {
		p.Discard()
		return false, nil
	}
	if err := os.Rename(p.tmp, final); err != nil {
		return false, fmt.Errorf("store document: %w", err)
	}
	p.tmp = ""
	if d, err := os.Open(filepath.Dir(final)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return true, nil
}

// Discard removes the upload's temporary file; after Commit it does nothing.
func (p *Pending) Discard() {
	if p == nil || p.tmp == "" {
		return
	}
	_ = os.Remove(p.tmp)
	p.tmp = ""
}

// Remove deletes the stored file with the given hash: the caller committed it (created) and
// then failed to record it, and no row refers to it.
func (s *Store) Remove(sha string) error {
	if !validSHA(sha) {
		return os.ErrNotExist
	}
	return os.Remove(s.path(sha))
}

// Save receives r (Receive) and commits it at once: for content stored without a row.
func (s *Store) Save(r io.Reader, limit int64) (Saved, error) {
	p, err := s.Receive(r, limit)
	if err != nil {
		return Saved{}, err
	}
	defer p.Discard()
	if _, err := p.Commit(); err != nil {
		return Saved{}, err
	}
	return p.Saved, nil
}

// Open opens the stored file with the given hash.
func (s *Store) Open(sha string) (*os.File, error) {
	if !validSHA(sha) {
		return nil, os.ErrNotExist
	}
	return os.Open(s.path(sha))
}

func validSHA(sha string) bool {
	if len(sha) != 64 {
		return false
	}
	_, err := hex.DecodeString(sha)
	return err == nil
}

func (s *Store) path(sha string) string { return filepath.Join(s.dir, sha[:2], sha) }
