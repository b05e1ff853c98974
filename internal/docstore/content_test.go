package docstore

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// pdfDoc is a minimal well-formed PDF: header, body, %%EOF as its last line.
func pdfDoc(body string) []byte {
	return []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + body + "\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
}

// elf64 is the start of an x86-64 ELF executable.
func elf64() []byte {
	h := make([]byte, 64)
	copy(h, "\x7fELF\x02\x01\x01")
	binary.LittleEndian.PutUint16(h[16:], 2)    // ET_EXEC
	binary.LittleEndian.PutUint16(h[18:], 0x3e) // x86-64
	binary.LittleEndian.PutUint32(h[20:], 1)
	return append(h, bytes.Repeat([]byte{0x90}, 64)...)
}

// pe32 is the start of a Windows PE executable.
func pe32() []byte {
	h := make([]byte, 0x100)
	copy(h, "MZ\x90\x00")
	binary.LittleEndian.PutUint32(h[0x3c:], 0x80)
	copy(h[0x80:], "PE\x00\x00\x4c\x01")
	return h
}

// machO is the start of a 64-bit Mach-O executable (arm64).
func machO() []byte {
	h := make([]byte, 32)
	copy(h, "\xcf\xfa\xed\xfe")
	binary.LittleEndian.PutUint32(h[4:], 0x0100000c)
	binary.LittleEndian.PutUint32(h[12:], 2) // MH_EXECUTE
	return h
}

func zipOf(t *testing.T, files map[string][]byte, stored bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, b := range files {
		m := zip.Deflate
		if stored {
			m = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: m})
		require.NoError(t, err)
		_, _ = w.Write(b)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// TestContentThatIsAlsoAnExecutableIsRefused (issue 15 item 16): a file that passes for a
// PDF, OFD, DOCX or XLSX but also holds an executable (ELF, PE, Mach-O, or a #! script as a
// part of an OOXML/OFD package) is refused, and so is a PDF whose structure is not a PDF's;
// well-formed documents, even large ones with binary streams, pass.
func TestContentThatIsAlsoAnExecutableIsRefused(t *testing.T) {
	docx := map[string][]byte{"[Content_Types].xml": []byte("<Types/>"), "word/document.xml": []byte("<w:document/>")}
	with := func(extra map[string][]byte) map[string][]byte {
		m := map[string][]byte{}
		for k, v := range docx {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	big := bytes.Repeat([]byte("stream\x00\x01\x02\xffMZ\x7fEL\xca\xfe\xba\xbe\x00\x00\x00\x34endstream\n"), 200_000)
	cases := []struct {
		name string
		in   []byte
		want string
		err  error
	}{
		{"pdf", pdfDoc("1 0 obj << >> endobj"), TypePDF, nil},
		{"pdf with binary streams that hold magic-like bytes", pdfDoc(string(big)), TypePDF, nil},
		{"pdf with trailing blank lines", append(pdfDoc(""), "\r\n\r\n"...), TypePDF, nil},
		{"pdf+elf polyglot (elf in a stream)", pdfDoc("1 0 obj << >> stream\n" + string(elf64()) + "\nendstream"), "", ErrExecutable},
		{"pdf+elf polyglot (elf after %%EOF)", append(pdfDoc(""), elf64()...), "", ErrExecutable},
		{"pdf+pe polyglot", pdfDoc(string(pe32())), "", ErrExecutable},
		{"pdf+mach-o polyglot", pdfDoc(string(machO())), "", ErrExecutable},
		{"pdf without %%EOF", []byte("%PDF-1.7\n% egovpm test document\n"), "", ErrMalformed},
		{"pdf header without a version", []byte("%PDF-x\n%%EOF\n"), "", ErrMalformed},
		{"docx", zipOf(t, docx, false), TypeDOCX, nil},
		{"docx with an elf part", zipOf(t, with(map[string][]byte{"word/media/image1.png": elf64()}), false), "", ErrExecutable},
		{"docx with a stored pe part", zipOf(t, with(map[string][]byte{"word/embeddings/x.bin": pe32()}), true), "", ErrExecutable},
		{"docx with a script part", zipOf(t, with(map[string][]byte{"customXml/run": []byte("#!/bin/sh\nrm -rf /\n")}), false), "", ErrExecutable},
		{"docx with an elf appended after the archive", append(zipOf(t, docx, false), elf64()...), "", ErrExecutable},
		{"elf", elf64(), "", ErrUnknownType},
		{"script", []byte("#!/bin/sh\necho hi\n"), "", ErrUnknownType},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Sniff(tc.in)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// files lists the files under dir.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			out = append(out, strings.TrimPrefix(p, dir))
		}
		return err
	}))
	return out
}

// TestPendingUploadIsStoredOnlyWhenCommitted (issue 15 item 17): a received upload is a
// temporary file until it is committed; a discarded or refused one leaves nothing in DATA_DIR.
func TestPendingUploadIsStoredOnlyWhenCommitted(t *testing.T) {
	dir := t.TempDir()
	s, err := New(dir)
	require.NoError(t, err)

	p, err := s.Receive(bytes.NewReader(pdfDoc("discarded")), 1<<20)
	require.NoError(t, err)
	require.Equal(t, TypePDF, p.ContentType)
	_, err = s.Open(p.SHA256)
	require.ErrorIs(t, err, os.ErrNotExist, "not stored before Commit")
	p.Discard()
	require.Empty(t, files(t, dir))

	for _, bad := range [][]byte{nil, append(pdfDoc(""), elf64()...), []byte("MZ\x90\x00"), bytes.Repeat([]byte("%PDF-1.7\n"), 1000)} {
		_, err := s.Receive(bytes.NewReader(bad), 4096)
		require.Error(t, err)
		require.Empty(t, files(t, dir), "a refused upload leaves nothing")
	}

	p, err = s.Receive(bytes.NewReader(pdfDoc("kept")), 1<<20)
	require.NoError(t, err)
	created, err := p.Commit()
	require.NoError(t, err)
	require.True(t, created)
	p.Discard() // after Commit: nothing to do
	f, err := s.Open(p.SHA256)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.Len(t, files(t, dir), 1)

	again, err := s.Receive(bytes.NewReader(pdfDoc("kept")), 1<<20)
	require.NoError(t, err)
	created, err = again.Commit()
	require.NoError(t, err)
	require.False(t, created, "the same content is stored once")
	require.Len(t, files(t, dir), 1)
}
