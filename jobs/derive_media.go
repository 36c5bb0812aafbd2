package jobs

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"net/http"

	"github.com/disintegration/imaging"
	// WebP decoding registers with package image; Go has no WebP encoder, so a
	// WebP upload is kept as a lossless PNG.
	_ "golang.org/x/image/webp"

	"pressroom/models"
)

// Upload limits. A file past MaxUploadBytes is refused before it is read in
// full; an image whose header claims more than MaxImagePixels is refused before
// it is decoded (a 50,000 × 50,000 px PNG of a few KB would otherwise take 10 GB
// of memory to decode).
const (
	MaxUploadBytes = 20 << 20
	MaxImagePixels = 50_000_000
	MaxImageSide   = 20_000
)

// Derived sizes: a thumbnail for the library and the editor, the 1200×630
// social card (filled and cropped, as OpenGraph and X expect), and a large web
// size; none is ever larger than the original.
const (
	thumbSide = 320
	largeSide = 2000
	socialW   = 1200
	socialH   = 630
)

// UploadError is an upload refused for what it is, in words for the person
// who sent it; Status is the HTTP status it deserves (413 or 422).
type UploadError struct {
	Status  int
	Message string
}

func (e *UploadError) Error() string { return e.Message }

// ProcessedFile is one file ready for the media store.
type ProcessedFile struct {
	models.MediaVariant
	Data []byte
}

// ProcessedUpload is an accepted upload: its kind, real type and dimensions,
// and every file to store (the stripped original first).
type ProcessedUpload struct {
	Kind        models.MediaKind
	ContentType string
	Width       int
	Height      int
	Hash        string // of the stored original
	Files       []ProcessedFile
}

// ProcessUpload checks an upload's real type from its bytes (never its name or
// the browser's claim), refuses oversize images from their header, and for an
// image decodes it once, applies its EXIF orientation, and encodes every
// derived size without any metadata: EXIF location data in a photo can
// endanger a source. The original keeps the upload's own bytes with every
// metadata segment taken out (keptOriginal), so a journalist downloads the
// photographer's quality, and is re-encoded like the sizes when that cannot
// be done safely. PDFs are stored as they are.
func ProcessUpload(data []byte) (*ProcessedUpload, error) {
	if len(data) > MaxUploadBytes {
		return nil, &UploadError{Status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf("The file is %s; the limit is %s.", models.HumanBytes(int64(len(data))), models.HumanBytes(MaxUploadBytes))}
	}
	if len(data) == 0 {
		return nil, &UploadError{Status: http.StatusUnprocessableEntity, Message: "The file is empty."}
	}
	ct := http.DetectContentType(data)
	switch ct {
	case "application/pdf":
		f := file(models.VariantOriginal, ct, ".pdf", data, 0, 0)
		return &ProcessedUpload{Kind: models.MediaDocument, ContentType: ct, Hash: f.Key(), Files: []ProcessedFile{f}}, nil
	case "image/jpeg", "image/png", "image/webp":
	default:
		return nil, &UploadError{Status: http.StatusUnprocessableEntity, Message: "This file is not a JPEG, PNG or WebP image or a PDF (its contents look like " + ct + "). Upload one of those."}
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, &UploadError{Status: http.StatusUnprocessableEntity, Message: "The image cannot be read: it may be damaged or incomplete."}
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxImageSide || cfg.Height > MaxImageSide || cfg.Width*cfg.Height > MaxImagePixels {
		return nil, &UploadError{Status: http.StatusUnprocessableEntity, Message: fmt.Sprintf("The image is %d × %d pixels; the limit is %d megapixels and %d pixels a side. Resize it and upload it again.", cfg.Width, cfg.Height, MaxImagePixels/1_000_000, MaxImageSide)}
	}
	img, err := imaging.Decode(bytes.NewReader(data), imaging.AutoOrientation(true))
	if err != nil {
		return nil, &UploadError{Status: http.StatusUnprocessableEntity, Message: "The image cannot be read: it may be damaged or incomplete."}
	}
	out := &ProcessedUpload{Kind: models.MediaImage, ContentType: "image/png"}
	encode := encodePNG
	ext := ".png"
	if ct == "image/jpeg" {
		out.ContentType, encode, ext = "image/jpeg", encodeJPEG, ".jpg"
	}
	b := img.Bounds()
	out.Width, out.Height = b.Dx(), b.Dy()
	variants := []struct {
		name string
		img  image.Image
	}{
		{models.VariantOriginal, img},
		{models.VariantThumb, fitWithin(img, thumbSide)},
		{models.VariantSocial, imaging.Fill(img, socialW, socialH, imaging.Center, imaging.Lanczos)},
		{models.VariantLarge, fitWithin(img, largeSide)},
	}
	kept := keptOriginal(data, ct, out.Width, out.Height)
	for _, v := range variants {
		enc := kept
		if v.name != models.VariantOriginal || enc == nil {
			if enc, err = encode(v.img); err != nil {
				return nil, fmt.Errorf("jobs: encode %s: %w", v.name, err)
			}
		}
		vb := v.img.Bounds()
		out.Files = append(out.Files, file(v.name, out.ContentType, ext, enc, vb.Dx(), vb.Dy()))
	}
	out.Hash = out.Files[0].Key()
	return out, nil
}

// keptOriginal is the uploaded file's own bytes without their metadata
// (strip_metadata.go), when they can serve as the original: a JPEG or PNG
// whose stripped bytes still read as an image of the decoded size and that
// EXIF did not turn (the derived sizes are turned upright; an original that
// relied on the EXIF we drop would show sideways). nil means re-encode.
func keptOriginal(data []byte, ct string, w, h int) []byte {
	var out []byte
	switch ct {
	case "image/jpeg":
		stripped, orientation, ok := stripJPEG(data)
		if !ok || orientation > 1 {
			return nil
		}
		out = stripped
	case "image/png":
		stripped, ok := stripPNG(data)
		if !ok {
			return nil
		}
		out = stripped
	default:
		return nil
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(out))
	if err != nil || cfg.Width != w || cfg.Height != h {
		return nil
	}
	return out
}

// Key is the content-addressed name of a file: the SHA-256 of its bytes.
func (f ProcessedFile) Key() string { return f.StorageKey[:64] }

func file(name, ct, ext string, data []byte, w, h int) ProcessedFile {
	sum := sha256.Sum256(data)
	key := hex.EncodeToString(sum[:]) + ext
	return ProcessedFile{MediaVariant: models.MediaVariant{Name: name, StorageKey: key, ContentType: ct, Bytes: int64(len(data)), Width: w, Height: h}, Data: data}
}

// fitWithin scales an image down to fit a square of side px, never up.
func fitWithin(img image.Image, side int) image.Image {
	b := img.Bounds()
	if b.Dx() <= side && b.Dy() <= side {
		return img
	}
	return imaging.Fit(img, side, side, imaging.Lanczos)
}

func encodeJPEG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 88})
	return buf.Bytes(), err
}

func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img)
	return buf.Bytes(), err
}
