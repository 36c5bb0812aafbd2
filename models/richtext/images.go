package richtext

import (
	"bytes"
	"html/template"
	"strconv"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// MediaScheme prefixes a Markdown image's destination that names an item of
// the media library: ![A flooded street](media:ID).
const MediaScheme = "media:"

// Image is what an inline library image renders as on one surface: the URL
// that surface may use (public, signed or staff-only), its pixel size so the
// layout holds before it loads, and the library's alt text.
type Image struct {
	Src           string
	Width, Height int
	Alt           string
}

// ImageResolver finds the image a media: reference names; ok false (unknown
// item, a document, or nothing this surface may show) leaves only the alt
// text in place.
type ImageResolver func(id string) (img Image, ok bool)

// MediaRefs lists the library items the Markdown's images name, in order of
// first use, without repeats.
func MediaRefs(src string) []string {
	if !strings.Contains(src, MediaScheme) {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	doc := New().md.Parser().Parse(text.NewReader([]byte(src)))
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if img, ok := n.(*ast.Image); ok && entering {
			if id, ok := mediaID(img.Destination); ok && !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
		return ast.WalkContinue, nil
	})
	return out
}

func mediaID(dest []byte) (string, bool) {
	d := string(dest)
	if !strings.HasPrefix(d, MediaScheme) {
		return "", false
	}
	id := strings.TrimSpace(strings.TrimPrefix(d, MediaScheme))
	return id, id != ""
}

// RenderWith converts Markdown to sanitised HTML like Render, turning each
// image that names a library item into that item's image as the resolver
// gives it, with width, height and alt text (the library's, when the Markdown
// gives none). The result goes through the same sanitiser as everything else.
func (r *Renderer) RenderWith(src string, images ImageResolver) template.HTML {
	if images == nil || !strings.Contains(src, MediaScheme) {
		return r.Render(src)
	}
	source := []byte(src)
	doc := r.md.Parser().Parse(text.NewReader(source))
	var swaps []*ast.Image
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if img, ok := n.(*ast.Image); ok && entering {
			if _, ok := mediaID(img.Destination); ok {
				swaps = append(swaps, img)
			}
		}
		return ast.WalkContinue, nil
	})
	for _, n := range swaps {
		id, _ := mediaID(n.Destination)
		alt := strings.TrimSpace(string(plainText(n, source)))
		img, ok := images(id)
		if !ok {
			// Nothing to show here: keep the words, drop the picture.
			n.Parent().ReplaceChild(n.Parent(), n, ast.NewString([]byte(alt)))
			continue
		}
		if alt == "" {
			alt = img.Alt
			n.RemoveChildren(n)
			n.AppendChild(n, ast.NewString([]byte(alt)))
		}
		n.Destination = []byte(img.Src)
		if img.Width > 0 && img.Height > 0 {
			n.SetAttributeString("width", []byte(strconv.Itoa(img.Width)))
			n.SetAttributeString("height", []byte(strconv.Itoa(img.Height)))
		}
	}
	var buf bytes.Buffer
	if err := r.md.Renderer().Render(&buf, source, doc); err != nil {
		return template.HTML(template.HTMLEscapeString(src))
	}
	return template.HTML(r.policy.SanitizeBytes(buf.Bytes()))
}

// plainText is the text of a node's children (an image's alt text).
func plainText(n ast.Node, source []byte) []byte {
	var b bytes.Buffer
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch t := c.(type) {
		case *ast.Text:
			b.Write(t.Segment.Value(source))
		case *ast.String:
			b.Write(t.Value)
		default:
			b.Write(plainText(c, source))
		}
	}
	return b.Bytes()
}
