package jobs_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"pressroom/jobs"
	"pressroom/models"
)

// secret is the metadata a photo must not carry out: a source's location.
const secret = "SECRET-SOURCE-LOCATION 35.9N 14.5E"

func gradient(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 3), uint8(y * 5), 90, 255})
		}
	}
	return img
}

// segment is a JPEG marker segment with its payload.
func segment(marker byte, payload []byte) []byte {
	out := []byte{0xFF, marker, 0, 0}
	binary.BigEndian.PutUint16(out[2:], uint16(len(payload)+2))
	return append(out, payload...)
}

// exif is an APP1 EXIF payload whose IFD0 holds an orientation and the secret
// (as an ImageDescription).
func exif(orientation uint16) []byte {
	var t bytes.Buffer
	be := binary.BigEndian
	t.WriteString("MM")
	_ = binary.Write(&t, be, uint16(42))
	_ = binary.Write(&t, be, uint32(8))
	_ = binary.Write(&t, be, uint16(2))
	// Orientation (SHORT, 1).
	_ = binary.Write(&t, be, []uint16{0x0112, 3})
	_ = binary.Write(&t, be, uint32(1))
	_ = binary.Write(&t, be, []uint16{orientation, 0})
	// ImageDescription (ASCII) after the IFD.
	_ = binary.Write(&t, be, []uint16{0x010E, 2})
	_ = binary.Write(&t, be, uint32(len(secret)+1))
	_ = binary.Write(&t, be, uint32(8+2+24+4))
	_ = binary.Write(&t, be, uint32(0))
	t.WriteString(secret + "\x00")
	return append([]byte("Exif\x00\x00"), t.Bytes()...)
}

// TestOriginalKeepsItsBytesWithoutMetadata: a photo's original is the
// uploaded JPEG or PNG itself, compressed data untouched, with every
// metadata segment gone (EXIF, XMP, comments, a second picture after the end,
// PNG text chunks); a JPEG that EXIF turns is re-encoded upright instead,
// since the turn lived in the EXIF that goes.
func TestOriginalKeepsItsBytesWithoutMetadata(t *testing.T) {
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, gradient(64, 40), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	p := plain.Bytes()
	withMeta := func(orientation uint16) []byte {
		out := append([]byte{}, p[:2]...)
		out = append(out, segment(0xE1, exif(orientation))...)
		out = append(out, segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>"+secret+"</x:xmpmeta>"))...)
		out = append(out, segment(0xED, []byte("Photoshop 3.0\x00"+secret))...)
		out = append(out, segment(0xFE, []byte(secret))...)
		out = append(out, p[2:]...)
		return append(out, []byte("\xFF\xD8 second picture: "+secret)...)
	}

	up, err := jobs.ProcessUpload(withMeta(1))
	if err != nil {
		t.Fatal(err)
	}
	orig := up.Files[0]
	if orig.Name != models.VariantOriginal || !bytes.Equal(orig.Data, p) {
		t.Fatalf("the JPEG original is not the upload's own bytes without metadata (%d bytes, want %d)", len(orig.Data), len(p))
	}
	for _, f := range up.Files {
		if bytes.Contains(f.Data, []byte(secret)) {
			t.Errorf("%s carries the secret", f.Name)
		}
	}

	// Orientation 6 (turn 90° clockwise): the original is re-encoded upright.
	up, err = jobs.ProcessUpload(withMeta(6))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(up.Files[0].Data))
	if err != nil || cfg.Width != 40 || cfg.Height != 64 || bytes.Contains(up.Files[0].Data, []byte(secret)) {
		t.Errorf("a turned photo's original: %d×%d (%v); want it upright, 40×64, without the secret", cfg.Width, cfg.Height, err)
	}

	// PNG: text chunks go, the image chunks stay as they were.
	var pb bytes.Buffer
	if err := png.Encode(&pb, gradient(30, 20)); err != nil {
		t.Fatal(err)
	}
	pp := pb.Bytes()
	chunk := func(typ string, data []byte) []byte {
		var b bytes.Buffer
		_ = binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
		return b.Bytes()
	}
	ihdrEnd := 8 + 25
	withText := append(append(append([]byte{}, pp[:ihdrEnd]...), chunk("tEXt", []byte("Comment\x00"+secret))...), pp[ihdrEnd:]...)
	withText = append(withText, []byte(secret)...)
	up, err = jobs.ProcessUpload(withText)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(up.Files[0].Data, pp) {
		t.Errorf("the PNG original is not the upload's own bytes without its text chunk")
	}
}
