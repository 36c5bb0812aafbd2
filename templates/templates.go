// Package templates holds every page and email template and the static assets
// (stylesheet, vendored htmx), embedded into the binary so it runs with no files
// beside it.
package templates

import (
	"embed"
	"io/fs"
)

//go:embed layouts pages partials emails static i18n
var files embed.FS

// Files returns the embedded tree: layouts/, pages/<area>/, partials/, emails/,
// static/.
func Files() fs.FS { return files }

// Static returns the static assets served under /static/.
func Static() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the folder is embedded at build time; absence is a build bug
	}
	return sub
}
