package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"egovpm/web"
)

// uiCSP is the Content-Security-Policy of every UI response: scripts only from the gateway
// (no inline script), styles from the gateway plus inline style attributes (Element Plus sets
// them), images and fonts from the gateway or data: URLs, XHR only to the gateway.
const uiCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// uiFile is one embedded file of the built UI, read once, with its gzip form when that is
// smaller (scripts, styles, the page).
type uiFile struct {
	name string
	body []byte
	gz   []byte
	etag string
}

// uiHandler serves the embedded web UI from Gin's NoRoute: an existing file as it is (files
// under assets/ have content hashes in their names and are cached for good; everything else
// is revalidated), any other GET path that is not a file the app's index.html (history-mode
// routing: /projects/p-1 is a page of the app). Paths under /api/ and non-GET methods keep the
// JSON 404 no_route. Without a built UI every page is the placeholder that says how to build
// it.
type uiHandler struct {
	files map[string]uiFile
	index uiFile
	built bool
}

func newUIHandler() *uiHandler {
	h := &uiHandler{files: map[string]uiFile{}}
	ui, ok := web.UI()
	if !ok {
		h.index = newUIFile("index.html", web.PlaceholderPage)
		return h
	}
	h.built = true
	_ = fs.WalkDir(ui, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(ui, p)
		if err != nil {
			return err
		}
		h.files[p] = newUIFile(p, b)
		return nil
	})
	h.index = h.files["index.html"]
	return h
}

func newUIFile(name string, body []byte) uiFile {
	sum := sha256.Sum256(body)
	f := uiFile{name: name, body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	switch path.Ext(name) {
	case ".js", ".css", ".html", ".svg", ".json":
		var b bytes.Buffer
		w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		_, _ = w.Write(body)
		_ = w.Close()
		if b.Len() < len(body) {
			f.gz = b.Bytes()
		}
	}
	return f
}

func (h *uiHandler) serve(c *gin.Context) {
	p := c.Request.URL.Path
	if strings.HasPrefix(p, "/api/") || p == "/api" || (c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead) {
		respondError(c, errNoRoute)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+p), "/")
	f, ok := h.files[name]
	switch {
	case ok && name != "index.html":
	case strings.HasPrefix(name, "assets/") || path.Ext(name) != "" && name != "index.html":
		// A missing asset is a 404, never the app page (a browser would run HTML as script).
		respondError(c, errNoRoute)
		return
	default:
		f = h.index
	}
	hd := c.Writer.Header()
	hd.Set("Content-Security-Policy", uiCSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("ETag", f.etag)
	if strings.HasPrefix(f.name, "assets/") {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	if ct := contentType(f.name); ct != "" {
		hd.Set("Content-Type", ct)
	}
	body := f.body
	if f.gz != nil {
		hd.Add("Vary", "Accept-Encoding")
		if strings.Contains(c.GetHeader("Accept-Encoding"), "gzip") {
			hd.Set("Content-Encoding", "gzip")
			hd.Set("ETag", strings.TrimSuffix(f.etag, `"`)+`-gz"`)
			body = f.gz
		}
	}
	// The UI's files are small and served whole: ServeContent never sees a Range header, so
	// go1.26.8's unbounded range parsing (GO-2026-6609) is not reachable from a request.
	c.Request.Header.Del("Range")
	c.Request.Header.Del("If-Range")
	http.ServeContent(c.Writer, c.Request, f.name, time.Time{}, bytes.NewReader(body))
}

// contentType names the types of the files a Vite build writes (mime's table depends on the
// host's mime.types for some of them).
func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".ico":
		return "image/x-icon"
	case ".woff2":
		return "font/woff2"
	case ".woff":
		return "font/woff"
	case ".ttf":
		return "font/ttf"
	case ".json", ".map":
		return "application/json"
	case ".txt":
		return "text/plain; charset=utf-8"
	}
	return ""
}
