package docstore

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Sniff returns the content type of b, or ErrUnknownType, ErrExecutable or ErrMalformed.
func Sniff(b []byte) (string, error) { return sniff(bytes.NewReader(b), int64(len(b))) }

// maxParts bounds the entries of an OOXML/OFD package (a large workbook has a few thousand).
const maxParts = 20000

// sniff types the content of r (size bytes) by its first bytes, checks that its structure is
// that type's, and that no executable hides in it: a PDF must carry a version and end with
// %%EOF; an OOXML/OFD package must be a zip with its type's main part and no part that is an
// executable; and nowhere in the bytes (streams, data between or after zip entries) may an
// ELF, PE or Mach-O image start.
func sniff(r io.ReaderAt, size int64) (string, error) {
	head := make([]byte, 8)
	if _, err := r.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read upload: %w", err)
	}
	pdf := bytes.HasPrefix(head, []byte("%PDF-"))
	if !pdf && !bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return "", ErrUnknownType
	}
	found, err := embeddedExecutable(r, size)
	if err != nil {
		return "", err
	}
	if found {
		return "", ErrExecutable
	}
	if pdf {
		if err := pdfStructure(r, size, head); err != nil {
			return "", err
		}
		return TypePDF, nil
	}
	return packageType(r, size)
}

// pdfStructure checks what ISO 32000 fixes of a PDF's frame: "%PDF-d.d" at the start, and the
// end-of-file marker %%EOF on the last line (trailing white space aside; an incremental
// update ends with its own %%EOF). Data appended after the last %%EOF is no PDF's.
func pdfStructure(r io.ReaderAt, size int64, head []byte) error {
	if len(head) < 8 || !isDigit(head[5]) || head[6] != '.' || !isDigit(head[7]) {
		return ErrMalformed
	}
	n := min(size, 1024)
	tail := make([]byte, n)
	if _, err := r.ReadAt(tail, size-n); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read upload: %w", err)
	}
	if !bytes.HasSuffix(bytes.TrimRight(tail, " \t\r\n\f\x00"), []byte("%%EOF")) {
		return ErrMalformed
	}
	return nil
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// packageType types a zip by its main part (OFD.xml, word/document.xml, xl/workbook.xml) and
// refuses a package with a part that is itself an executable or a #! script.
func packageType(r io.ReaderAt, size int64) (string, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil || len(zr.File) > maxParts {
		return "", ErrUnknownType
	}
	ct := ""
	for _, f := range zr.File {
		switch f.Name {
		case "OFD.xml":
			ct = TypeOFD
		case "word/document.xml":
			ct = TypeDOCX
		case "xl/workbook.xml":
			ct = TypeXLSX
		}
	}
	if ct == "" {
		return "", ErrUnknownType
	}
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return "", ErrMalformed
		}
		b := make([]byte, 4096)
		n, err := io.ReadFull(rc, b)
		rc.Close()
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return "", ErrMalformed
		}
		b = b[:n]
		if bytes.HasPrefix(b, []byte("#!")) || bytes.HasPrefix(b, []byte("MZ")) || executableAt(bytes.NewReader(b), int64(n), 0) {
			return "", ErrExecutable
		}
	}
	return ct, nil
}

// magics start the executable images embeddedExecutable looks for; executableAt confirms a
// candidate by the header fields that follow.
var magics = [][]byte{
	[]byte("\x7fELF"),
	[]byte("MZ"),
	[]byte("\xfe\xed\xfa\xce"), []byte("\xfe\xed\xfa\xcf"), []byte("\xce\xfa\xed\xfe"), []byte("\xcf\xfa\xed\xfe"),
	[]byte("\xca\xfe\xba\xbe"),
}

// embeddedExecutable reports whether an executable image starts anywhere in r: it scans for
// each image's magic and confirms each hit by its header (so the bytes of a compressed
// stream that happen to spell a magic are not taken for one).
func embeddedExecutable(r io.ReaderAt, size int64) (bool, error) {
	const chunk = 1 << 20
	const overlap = 3 // the longest magic, less one
	buf := make([]byte, chunk+overlap)
	for off := int64(0); off < size; off += chunk {
		n, err := r.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		if err != nil && !errors.Is(err, io.EOF) {
			return false, fmt.Errorf("read upload: %w", err)
		}
		b := buf[:n]
		for _, m := range magics {
			for i := 0; ; {
				j := bytes.Index(b[i:], m)
				if j < 0 {
					break
				}
				i += j
				if i >= chunk { // the next chunk sees it
					break
				}
				if executableAt(r, size, off+int64(i)) {
					return true, nil
				}
				i++
			}
		}
	}
	return false, nil
}

// executableAt reports whether an ELF, PE or Mach-O (thin or fat) header starts at off.
func executableAt(r io.ReaderAt, size, off int64) bool {
	h := make([]byte, 64)
	n, _ := r.ReadAt(h, off)
	h = h[:n]
	switch {
	case len(h) >= 24 && bytes.HasPrefix(h, []byte("\x7fELF")):
		// e_ident: class 32/64, data LE/BE, version 1; then e_type 1–4 and e_version 1.
		if (h[4] != 1 && h[4] != 2) || (h[5] != 1 && h[5] != 2) || h[6] != 1 {
			return false
		}
		var bo binary.ByteOrder = binary.LittleEndian
		if h[5] == 2 {
			bo = binary.BigEndian
		}
		t := bo.Uint16(h[16:])
		return t >= 1 && t <= 4 && bo.Uint32(h[20:]) == 1
	case len(h) >= 64 && bytes.HasPrefix(h, []byte("MZ")):
		// The DOS stub's e_lfanew points at the PE signature.
		lfa := int64(binary.LittleEndian.Uint32(h[0x3c:]))
		if lfa < 0x40 || lfa > 0x10000 || off+lfa+4 > size {
			return false
		}
		sig := make([]byte, 4)
		if _, err := r.ReadAt(sig, off+lfa); err != nil {
			return false
		}
		return bytes.Equal(sig, []byte("PE\x00\x00"))
	case len(h) >= 16 && bytes.HasPrefix(h, []byte("\xca\xfe\xba\xbe")):
		// A fat Mach-O: a few architectures, the first one known (a Java class file has its
		// version here instead, 45 and up, and no known CPU type after it).
		nArch := binary.BigEndian.Uint32(h[4:])
		return nArch >= 1 && nArch <= 20 && knownCPU(binary.BigEndian.Uint32(h[8:]))
	case len(h) >= 16:
		var bo binary.ByteOrder
		switch {
		case bytes.HasPrefix(h, []byte("\xfe\xed\xfa\xce")), bytes.HasPrefix(h, []byte("\xfe\xed\xfa\xcf")):
			bo = binary.BigEndian
		case bytes.HasPrefix(h, []byte("\xce\xfa\xed\xfe")), bytes.HasPrefix(h, []byte("\xcf\xfa\xed\xfe")):
			bo = binary.LittleEndian
		default:
			return false
		}
		ft := bo.Uint32(h[12:])
		return knownCPU(bo.Uint32(h[4:])) && ft >= 1 && ft <= 12
	}
	return false
}

// knownCPU reports whether t is a Mach-O CPU type: x86, x86-64, ARM, ARM64, PowerPC, PowerPC 64.
func knownCPU(t uint32) bool {
	switch t {
	case 7, 0x01000007, 12, 0x0100000c, 18, 0x01000012:
		return true
	}
	return false
}
