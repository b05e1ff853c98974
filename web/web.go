// Package web holds the gateway's web UI: the Vue application built by Vite into dist/ui
// (npm run build in this directory, `make ui`), embedded in the gateway binary. A checkout
// without a build embeds only dist/placeholder.html (committed), which says how to build the
// UI, so the gateway always compiles.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// PlaceholderPage is what the gateway serves for every UI path when no UI was built.
//
//go:embed dist/placeholder.html
var PlaceholderPage []byte

// UI returns the built UI's files (index.html and assets/…) and true, or false when the
// embedded dist holds only the placeholder.
func UI() (fs.FS, bool) {
	sub, err := fs.Sub(dist, "dist/ui")
	if err != nil {
		return nil, false
	}
	if _, err := fs.Stat(sub, "index.html"); err != nil {
		return nil, false
	}
	return sub, true
}
