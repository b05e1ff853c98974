// Package docstore keeps uploaded documents as content-addressed files under DATA_DIR and
// checks their type by content (PDF, OFD, DOCX, XLSX), never by the name or the header a
// client claims.
package docstore

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Types a document may have, by content.
const (
	TypePDF  = "application/pdf"
	TypeOFD  = "application/ofd"
	TypeDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	TypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// ErrUnknownType is returned for content that is none of the accepted types.
var ErrUnknownType = errors.New("document is not a PDF, OFD, DOCX or XLSX file")

// ErrTooLarge is returned when content passes the size limit.
var ErrTooLarge = errors.New("document is too large")

// ErrEmpty is returned for an empty upload.
var ErrEmpty = errors.New("document is empty")

// Store writes files under dir/documents/<aa>/<sha256>.
type Store struct{ dir string }

// New returns a Store rooted at dataDir, creating it.
func New(dataDir string) (*Store, error) {
	dir := filepath.Join(dataDir, "documents")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create document directory: %w", err)
	}
	return &Store{dir: dir}, nil
}

// Saved describes a stored file.
type Saved struct {
	SHA256      string
	Size        int64
	ContentType string
}

// Save reads at most limit bytes of r, checks its type by content and stores it durably
// (fsync before rename). Saving the same content twice stores one file.
func (s *Store) Save(r io.Reader, limit int64) (Saved, error) {
	tmp, err := os.CreateTemp(s.dir, "upload-*")
	if err != nil {
		return Saved{}, fmt.Errorf("create temp file: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	defer tmp.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, limit+1))
	if err != nil {
		return Saved{}, fmt.Errorf("read upload: %w", err)
	}
	if n > limit {
		return Saved{}, ErrTooLarge
	}
	if n == 0 {
		return Saved{}, ErrEmpty
	}
	ct, err := sniff(tmp, n)
	if err != nil {
		return Saved{}, err
	}
	if err := tmp.Sync(); err != nil {
		return Saved{}, fmt.Errorf("sync upload: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	final := s.path(sum)
	if err := os.MkdirAll(filepath.Dir(final), 0o750); err != nil {
		return Saved{}, fmt.Errorf("create document directory: %w", err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return Saved{}, fmt.Errorf("store document: %w", err)
	}
	if d, err := os.Open(filepath.Dir(final)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return Saved{SHA256: sum, Size: n, ContentType: ct}, nil
}

// Open opens the stored file with the given hash.
func (s *Store) Open(sha string) (*os.File, error) {
	if len(sha) != 64 {
		return nil, os.ErrNotExist
	}
	if _, err := hex.DecodeString(sha); err != nil {
		return nil, os.ErrNotExist
	}
	return os.Open(s.path(sha))
}

func (s *Store) path(sha string) string { return filepath.Join(s.dir, sha[:2], sha) }

// Sniff returns the content type of b, or ErrUnknownType.
func Sniff(b []byte) (string, error) { return sniff(bytes.NewReader(b), int64(len(b))) }

func sniff(r io.ReaderAt, size int64) (string, error) {
	head := make([]byte, 8)
	if _, err := r.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read upload: %w", err)
	}
	if bytes.HasPrefix(head, []byte("%PDF-")) {
		return TypePDF, nil
	}
	if !bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return "", ErrUnknownType
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return "", ErrUnknownType
	}
	for _, f := range zr.File {
		switch f.Name {
		case "OFD.xml":
			return TypeOFD, nil
		case "word/document.xml":
			return TypeDOCX, nil
		case "xl/workbook.xml":
			return TypeXLSX, nil
		}
	}
	return "", ErrUnknownType
}
