package jobs

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
)

// FuzzStripMetadata: whatever bytes an upload holds, stripping never panics,
// never grows the file, and what it keeps of a JPEG still starts and ends as
// one.
func FuzzStripMetadata(f *testing.F) {
	var b bytes.Buffer
	_ = jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8)), nil)
	f.Add(b.Bytes())
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x00IEND\xaeB`\x82"))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x02, 0xFF, 0xD9})
	f.Fuzz(func(t *testing.T, data []byte) {
		if out, _, ok := stripJPEG(data); ok {
			if len(out) > len(data) || !bytes.HasPrefix(out, []byte{0xFF, 0xD8}) || !bytes.HasSuffix(out, []byte{0xFF, 0xD9}) {
				t.Fatalf("stripJPEG kept %d of %d bytes, framed %x…%x", len(out), len(data), out[:2], out[len(out)-2:])
			}
		}
		if out, ok := stripPNG(data); ok && len(out) > len(data) {
			t.Fatalf("stripPNG grew %d bytes to %d", len(data), len(out))
		}
	})
}
