package jobs

import (
	"bytes"
	"encoding/binary"
)

// A photo's original is kept for journalists to download as the photographer
// made it: its own compressed bytes, not a re-encoding that loses quality,
// with every place metadata can hide taken out (EXIF, including GPS and the
// embedded thumbnail; XMP; IPTC; comments; anything after the end of the
// image, such as a phone's second picture). What a decoder needs stays: the
// tables, the frames and scans, the colour profile and Adobe's colour
// transform. When a file is laid out in a way these functions do not
// recognise, they say so and the caller re-encodes it instead, which is
// always safe.

// stripJPEG returns a JPEG's bytes without its metadata segments, and the
// EXIF orientation it carried (0 when none). ok is false when the file is not
// a JPEG these rules can walk to its end.
func stripJPEG(data []byte) (out []byte, orientation int, ok bool) {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return nil, 0, false
	}
	out = make([]byte, 0, len(data))
	out = append(out, 0xFF, 0xD8)
	i := 2
	for i+1 < len(data) {
		if data[i] != 0xFF {
			return nil, 0, false
		}
		m := data[i+1]
		switch {
		case m == 0xFF: // fill byte before a marker
			i++
			continue
		case m == 0xD9: // end of image: whatever follows is dropped
			return append(out, 0xFF, 0xD9), orientation, true
		case m == 0x01 || (m >= 0xD0 && m <= 0xD7): // markers without a length
			out = append(out, 0xFF, m)
			i += 2
			continue
		}
		if i+4 > len(data) {
			return nil, 0, false
		}
		end := i + 2 + int(binary.BigEndian.Uint16(data[i+2:]))
		if end > len(data) || end < i+4 {
			return nil, 0, false
		}
		payload := data[i+4 : end]
		switch {
		case m == 0xE1: // EXIF or XMP: dropped, its orientation noted
			if o := exifOrientation(payload); o != 0 && orientation == 0 {
				orientation = o
			}
		case m == 0xE0: // JFIF is kept only without its embedded thumbnail
			if bytes.HasPrefix(payload, []byte("JFIF\x00")) && len(payload) == 14 {
				out = append(out, data[i:end]...)
			}
		case m == 0xE2: // the colour profile stays; MPF (more pictures) goes
			if bytes.HasPrefix(payload, []byte("ICC_PROFILE\x00")) {
				out = append(out, data[i:end]...)
			}
		case m == 0xEE: // Adobe: how to read the colours
			out = append(out, data[i:end]...)
		case m >= 0xE3 && m <= 0xEF, m == 0xFE: // other application data, comments
		default:
			out = append(out, data[i:end]...)
		}
		i = end
		if m == 0xDA { // start of scan: the compressed data runs to the next marker
			j := i
			for j+1 < len(data) {
				if data[j] == 0xFF && data[j+1] != 0x00 && (data[j+1] < 0xD0 || data[j+1] > 0xD7) {
					break
				}
				j++
			}
			out = append(out, data[i:j]...)
			i = j
		}
	}
	return nil, 0, false
}

// exifOrientation reads the orientation tag of IFD0 from an APP1 payload
// ("Exif\0\0" and a TIFF structure); 0 when there is none.
func exifOrientation(p []byte) int {
	if !bytes.HasPrefix(p, []byte("Exif\x00\x00")) || len(p) < 14 {
		return 0
	}
	t := p[6:]
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "MM":
		bo = binary.BigEndian
	case "II":
		bo = binary.LittleEndian
	default:
		return 0
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 0
	}
	n := int(bo.Uint16(t[off:]))
	for k := 0; k < n; k++ {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			return 0
		}
		if bo.Uint16(t[e:]) == 0x0112 {
			return int(bo.Uint16(t[e+8:]))
		}
	}
	return 0
}

// pngKept are the chunks a PNG keeps: the image itself and how to show its
// colours; text, EXIF, times and anything unknown are dropped.
var pngKept = map[string]bool{"IHDR": true, "PLTE": true, "IDAT": true, "IEND": true,
	"tRNS": true, "gAMA": true, "cHRM": true, "sRGB": true, "iCCP": true, "sBIT": true, "pHYs": true, "bKGD": true}

// stripPNG returns a PNG's bytes without its metadata chunks. ok is false
// when it is not a PNG these rules can walk, or holds a critical chunk they
// do not know.
func stripPNG(data []byte) (out []byte, ok bool) {
	const sig = "\x89PNG\r\n\x1a\n"
	if !bytes.HasPrefix(data, []byte(sig)) {
		return nil, false
	}
	out = make([]byte, 0, len(data))
	out = append(out, sig...)
	for i := len(sig); i+12 <= len(data); {
		n := int(binary.BigEndian.Uint32(data[i:]))
		end := i + 12 + n
		if n < 0 || end > len(data) || end < i {
			return nil, false
		}
		typ := string(data[i+4 : i+8])
		critical := typ[0] >= 'A' && typ[0] <= 'Z'
		switch {
		case pngKept[typ]:
			out = append(out, data[i:end]...)
		case critical:
			return nil, false
		}
		if typ == "IEND" {
			return out, true
		}
		i = end
	}
	return nil, false
}
