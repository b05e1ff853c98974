package docstore

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func zipWith(t *testing.T, name string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	require.NoError(t, err)
	_, _ = w.Write([]byte("<x/>"))
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestSniff(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		want string
		err  error
	}{
		{"pdf", []byte("%PDF-1.7\n...\n%%EOF\n"), TypePDF, nil},
		{"docx", zipWith(t, "word/document.xml"), TypeDOCX, nil},
		{"xlsx", zipWith(t, "xl/workbook.xml"), TypeXLSX, nil},
		{"ofd", zipWith(t, "OFD.xml"), TypeOFD, nil},
		{"plain zip", zipWith(t, "readme.txt"), "", ErrUnknownType},
		{"exe claiming pdf", []byte("MZ\x90\x00 pretend.pdf"), "", ErrUnknownType},
		{"broken zip", []byte("PK\x03\x04garbage"), "", ErrUnknownType},
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

func TestSaveLimitAndDedup(t *testing.T) {
	s, err := New(t.TempDir())
	require.NoError(t, err)
	_, err = s.Save(strings.NewReader("%PDF-"+strings.Repeat("x", 100)), 50)
	require.ErrorIs(t, err, ErrTooLarge)
	_, err = s.Save(strings.NewReader(""), 50)
	require.ErrorIs(t, err, ErrEmpty)

	a, err := s.Save(strings.NewReader("%PDF-1.4 same\n%%EOF"), 1<<20)
	require.NoError(t, err)
	b, err := s.Save(strings.NewReader("%PDF-1.4 same\n%%EOF"), 1<<20)
	require.NoError(t, err)
	require.Equal(t, a.SHA256, b.SHA256)
	f, err := s.Open(a.SHA256)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	_, err = s.Open("../../etc/passwd")
	require.Error(t, err)
}
