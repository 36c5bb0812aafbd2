// Package pdffont holds the Unicode font Pressroom's PDFs embed, and says
// which text it can show correctly.
//
// The PDF core fonts (Helvetica…) cover Latin-1 only, so the names on a
// petition's hand-in pack would print as "?" for anyone writing in Cyrillic,
// Greek or most of Latin Extended. DejaVu Sans (Bitstream Vera licence, see
// LICENSE: free to embed and redistribute) covers those. It cannot make
// every name right: go-pdf/fpdf lays text out left to right one glyph per
// letter, with no bidirectional ordering and no shaping, so Arabic or Hebrew
// would come out reversed and unjoined, and Devanagari and its relatives
// unshaped; and the font has no Chinese, Japanese or Korean glyphs at all.
// Printable says which text would come out wrong, so the caller can say so
// instead of drawing it.
package pdffont

import (
	_ "embed"
	"fmt"
	"unicode"

	"golang.org/x/image/font/sfnt"
)

// Family is the name the font is registered under in a PDF.
const Family = "DejaVuSans"

// Regular and Bold are DejaVu Sans 2.37 (Debian fonts-dejavu-core).
var (
	//go:embed DejaVuSans.ttf
	Regular []byte
	//go:embed DejaVuSans-Bold.ttf
	Bold []byte
)

// unshaped are the scripts that need bidirectional ordering or glyph
// shaping, which the PDF writer does not do: drawn letter by letter they
// would be wrong even with every glyph present.
var unshaped = []struct {
	name  string
	table *unicode.RangeTable
}{
	{"Arabic", unicode.Arabic}, {"Hebrew", unicode.Hebrew}, {"Syriac", unicode.Syriac}, {"Thaana", unicode.Thaana}, {"N'Ko", unicode.Nko},
	{"Devanagari", unicode.Devanagari}, {"Bengali", unicode.Bengali}, {"Gurmukhi", unicode.Gurmukhi}, {"Gujarati", unicode.Gujarati},
	{"Oriya", unicode.Oriya}, {"Tamil", unicode.Tamil}, {"Telugu", unicode.Telugu}, {"Kannada", unicode.Kannada}, {"Malayalam", unicode.Malayalam},
	{"Sinhala", unicode.Sinhala}, {"Thai", unicode.Thai}, {"Lao", unicode.Lao}, {"Tibetan", unicode.Tibetan}, {"Myanmar", unicode.Myanmar},
	{"Khmer", unicode.Khmer},
}

// named are further scripts worth naming when the font lacks their glyphs.
var named = []struct {
	name  string
	table *unicode.RangeTable
}{
	{"Chinese", unicode.Han}, {"Japanese", unicode.Hiragana}, {"Japanese", unicode.Katakana}, {"Korean", unicode.Hangul},
	{"Ethiopic", unicode.Ethiopic}, {"Armenian", unicode.Armenian}, {"Georgian", unicode.Georgian},
}

// Font is the parsed regular font, for asking what it can show.
type Font struct{ f *sfnt.Font }

// Load parses the embedded font.
func Load() (*Font, error) {
	f, err := sfnt.Parse(Regular)
	if err != nil {
		return nil, fmt.Errorf("pdffont: %w", err)
	}
	return &Font{f: f}, nil
}

// Printable reports whether s comes out right in a PDF set in this font: every
// letter has a glyph and none needs ordering or shaping. When it does not, the
// script is the name of the first script at fault ("Arabic", "Chinese"), or
// "" when the letters are of no script worth naming.
func (f *Font) Printable(s string) (ok bool, script string) {
	var buf sfnt.Buffer
	for _, r := range s {
		if r < 0x80 {
			continue
		}
		for _, u := range unshaped {
			if unicode.Is(u.table, r) {
				return false, u.name
			}
		}
		if unicode.IsSpace(r) {
			continue
		}
		if g, err := f.f.GlyphIndex(&buf, r); err != nil || g == 0 {
			for _, n := range named {
				if unicode.Is(n.table, r) {
					return false, n.name
				}
			}
			return false, ""
		}
	}
	return true, ""
}
