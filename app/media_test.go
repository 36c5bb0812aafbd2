package app_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"pressroom/jobs"
	"pressroom/jobs/mediafake"
	"pressroom/models"
)

// runMedia runs a test on both storage backends (a directory and an
// in-process S3-compatible server) and, under each, on every database.
//
// Unlike run, it does not run the test in parallel with others: the fake S3
// server sets the AWS credentials in the environment (t.Setenv), which a
// parallel test may not do.
func runMedia(t *testing.T, opts envOptions, fn func(t *testing.T, env *testEnv, store *jobs.MediaStore)) {
	for _, backend := range []string{"file", "s3"} {
		t.Run(backend, func(t *testing.T) {
			envData.Run(t, func(t *testing.T, db *models.DB) {
				u := "file://" + t.TempDir()
				if backend == "s3" {
					u = mediafake.S3URL(t)
				}
				o := opts
				o.env = map[string]string{"MEDIA_URL": u}
				for k, v := range opts.env {
					o.env[k] = v
				}
				env := newEnv(t, db, o)
				// A second handle on the same storage, to see what was stored.
				store, err := jobs.OpenMediaStore(context.Background(), u)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = store.Close() })
				fn(t, env, store)
			})
		})
	}
}

// gpsMarker is written into the fixture's EXIF GPS block; no served file may
// contain it.
const gpsMarker = "WGS-84 SECRET-SOURCE-LOCATION"

// exifJPEG is a w×h JPEG carrying an EXIF APP1 segment with a GPS IFD
// (latitude reference and a map datum holding gpsMarker).
func exifJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	be := binary.BigEndian
	var tiff bytes.Buffer
	w16 := func(v uint16) { _ = binary.Write(&tiff, be, v) }
	w32 := func(v uint32) { _ = binary.Write(&tiff, be, v) }
	tiff.WriteString("MM")
	w16(42)
	w32(8)
	// IFD0: one entry, the GPS IFD pointer.
	w16(1)
	w16(0x8825)
	w16(4)
	w32(1)
	w32(26)
	w32(0)
	// GPS IFD at 26: GPSLatitudeRef "N", GPSMapDatum gpsMarker.
	w16(2)
	w16(0x0001)
	w16(2)
	w32(2)
	tiff.Write([]byte{'N', 0, 0, 0})
	w16(0x0012)
	w16(2)
	w32(uint32(len(gpsMarker) + 1))
	w32(26 + 2 + 24 + 4)
	w32(0)
	tiff.WriteString(gpsMarker + "\x00")
	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	be.PutUint16(seg[2:], uint16(len(payload)+2))
	b := buf.Bytes()
	out := append([]byte{}, b[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	out = append(out, b[2:]...)
	if !bytes.Contains(out, []byte(gpsMarker)) {
		t.Fatal("fixture lacks its GPS data")
	}
	if _, err := jpeg.Decode(bytes.NewReader(out)); err != nil {
		t.Fatalf("fixture is not a valid JPEG: %v", err)
	}
	return out
}

// bombPNG is a valid PNG of a few dozen bytes whose header claims w×h pixels.
func bombPNG(w, h uint32) []byte {
	chunk := func(typ string, data []byte) []byte {
		var b bytes.Buffer
		_ = binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
		return b.Bytes()
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, _ = zw.Write(make([]byte, 1024))
	_ = zw.Close()
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, chunk("IHDR", ihdr)...)
	out = append(out, chunk("IDAT", z.Bytes())...)
	return append(out, chunk("IEND", nil)...)
}

const testPDF = "%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"

func multipartForm(t testing.TB, fields map[string]string, filename string, data []byte) (string, *bytes.Buffer) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if filename != "" {
		fw, err := mw.CreateFormFile("file", filename)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(data)
	}
	_ = mw.Close()
	return mw.FormDataContentType(), &body
}

// uploadAPI posts a file to POST /api/v1/media.
func (e *testEnv) uploadAPI(t testing.TB, token string, fields map[string]string, filename string, data []byte) response {
	t.Helper()
	ct, body := multipartForm(t, fields, filename, data)
	req, _ := http.NewRequest(http.MethodPost, e.http.URL+"/api/v1/media", body)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: string(b), Header: resp.Header}
}

// uploadPage submits the library's upload form as a browser would.
func (b *browser) uploadPage(t *testing.T, fields map[string]string, filename string, data []byte) response {
	t.Helper()
	f := map[string]string{"csrf_token": b.csrf("/admin/media-library")}
	for k, v := range fields {
		f[k] = v
	}
	ct, body := multipartForm(t, f, filename, data)
	req, _ := http.NewRequest(http.MethodPost, b.env.http.URL+"/admin/media-library", body)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Origin", b.env.http.URL)
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: string(rb), Header: resp.Header, Location: resp.Header.Get("Location")}
}

type uploaded struct {
	ID          string            `json:"id"`
	Kind        string            `json:"kind"`
	ContentType string            `json:"content_type"`
	Bytes       int64             `json:"bytes"`
	Width       int               `json:"width"`
	Height      int               `json:"height"`
	URL         string            `json:"url"`
	Variants    map[string]string `json:"variants"`
	UsedIn      []string          `json:"used_in"`
}

func decodeUpload(t testing.TB, r response) uploaded {
	t.Helper()
	if r.Status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	var u uploaded
	if err := json.Unmarshal([]byte(r.Body), &u); err != nil {
		t.Fatal(err)
	}
	return u
}

// pathOf strips the server address from an absolute URL.
func pathOf(env *testEnv, u string) string {
	return strings.TrimPrefix(u, env.cfg.BaseURL.String())
}

// TestMediaInReleasesEndToEnd: over HTTP on both databases and both storage
// backends, a press officer uploads a photo (with EXIF GPS) and a PDF, uses
// them in an embargoed release; before the lift no media URL answers the
// public (404, not cacheable) while staff and the preview reader reach them;
// within two seconds after the lift the page shows the photo with caption and
// credit, og:image is the 1200×630 card, the PDF downloads with the right
// headers, and no served variant carries the GPS data.
func TestMediaInReleasesEndToEnd(t *testing.T) {
	runMedia(t, envOptions{work: true}, func(t *testing.T, env *testEnv, store *jobs.MediaStore) {
		ctx := context.Background()
		token := env.token(models.RolePressOfficer)
		photo := decodeUpload(t, env.uploadAPI(t, token, map[string]string{"title": "Protest in Valletta", "caption": "Families outside the court.",
			"credit": "© Jane Doe / Agency", "alt_text": "A crowd holding photographs of the detained", "licence": "Editorial use with credit"}, "protest.jpg", exifJPEG(t, 1600, 1000)))
		if photo.Kind != "image" || photo.ContentType != "image/jpeg" || photo.Width != 1600 || photo.Height != 1000 || len(photo.Variants) != 3 {
			t.Fatalf("photo upload: %+v", photo)
		}
		report := decodeUpload(t, env.uploadAPI(t, token, map[string]string{"title": "Report"}, "annual-report.pdf", []byte(testPDF)))
		if report.Kind != "document" || report.ContentType != "application/pdf" || len(report.Variants) != 0 {
			t.Fatalf("pdf upload: %+v", report)
		}

		lift := env.clock.Now().Add(time.Hour)
		d := env.publish(t, "Families demand answers", "The court must hear them.", &lift, func(in *models.DocumentInput) {
			in.LeadImageID, in.AttachmentIDs = &photo.ID, &[]string{report.ID}
		})
		if d.Status != models.StatusScheduled {
			t.Fatalf("release is %s, want scheduled", d.Status)
		}
		mediaURLs := []string{photo.URL, report.URL}
		for _, v := range photo.Variants {
			mediaURLs = append(mediaURLs, v)
		}
		anon := env.browser()
		for _, u := range mediaURLs {
			r := anon.get(pathOf(env, u))
			if r.Status != http.StatusNotFound || r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("before the lift %s: %d, Cache-Control %q; want 404 no-store", u, r.Status, r.Header.Get("Cache-Control"))
			}
		}
		staff := env.login(models.RoleViewer)
		for _, v := range []string{"original", "thumb", "social", "large"} {
			r := staff.get("/admin/media-library/" + photo.ID + "/" + v)
			if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "image/jpeg" {
				t.Fatalf("staff %s: %d %s", v, r.Status, r.Header.Get("Content-Type"))
			}
			if strings.Contains(r.Body, gpsMarker) || strings.Contains(r.Body, "Exif\x00") {
				t.Errorf("variant %s still carries EXIF/GPS data", v)
			}
			cfg, _, err := image.DecodeConfig(strings.NewReader(r.Body))
			if err != nil {
				t.Fatal(err)
			}
			if v == "social" && (cfg.Width != 1200 || cfg.Height != 630) {
				t.Errorf("social card is %d×%d, want 1200×630", cfg.Width, cfg.Height)
			}
			if v == "thumb" && (cfg.Width > 320 || cfg.Height > 320) {
				t.Errorf("thumbnail is %d×%d", cfg.Width, cfg.Height)
			}
		}
		// The embargo preview reader gets signed, working URLs.
		link := env.api(http.MethodPost, "/api/v1/releases/"+d.ID+"/preview-links", token, `{"email":"reporter@example.com"}`)
		var pl struct {
			URL string `json:"url"`
		}
		_ = json.Unmarshal([]byte(link.Body), &pl)
		prev := anon.get(pathOf(env, pl.URL))
		signed := regexp.MustCompile(`<img src="([^"]+/large\?d=[^"]+)"`).FindStringSubmatch(prev.Body)
		if prev.Status != http.StatusOK || signed == nil {
			t.Fatalf("preview %d: no signed lead image in %s", prev.Status, prev.Body)
		}
		if r := anon.get(pathOf(env, strings.ReplaceAll(signed[1], "&amp;", "&"))); r.Status != http.StatusOK || r.Header.Get("Cache-Control") != "private, no-store" {
			t.Errorf("signed preview image: %d %q", r.Status, r.Header.Get("Cache-Control"))
		}
		// The preview reader may download the full-size photo already, through
		// its own signed URL, and reads its licence.
		dl := regexp.MustCompile(`<a href="([^"]+/original\?d=[^"]+)" download>Download the photo</a> <bdi>\(JPEG, 1600 × 1000 px, [0-9]+ KB\)`).FindStringSubmatch(prev.Body)
		if dl == nil || !strings.Contains(prev.Body, "Licence: Editorial use with credit") {
			t.Errorf("preview lacks the photo's download link or licence")
		} else if r := anon.get(pathOf(env, strings.ReplaceAll(dl[1], "&amp;", "&"))); r.Status != http.StatusOK || r.Header.Get("Content-Type") != "image/jpeg" {
			t.Errorf("signed photo download: %d %q", r.Status, r.Header.Get("Content-Type"))
		}
		tampered := strings.ReplaceAll(strings.ReplaceAll(signed[1], "&amp;", "&"), "/large?", "/original?")
		if r := anon.get(pathOf(env, tampered)); r.Status != http.StatusNotFound {
			t.Errorf("a signature for one variant opened another: %d", r.Status)
		}

		// The embargoed email's photo and report load before the lift too,
		// through links signed for the release.
		content, err := jobs.ComposeSend(ctx, env.db.Gorm, &models.Send{ID: "x", DocumentID: d.ID, Revision: d.ApprovedRevision, Kind: d.Kind},
			env.cfg.BaseURL.String(), env.cfg.MediaKey(), env.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		for name, re := range map[string]string{"photo": `<img src="([^"]+/large\?d=[^"]+)"`, "report": `<a href="([^"]+/original\?d=[^"]+)"[^>]*>Report \(PDF`} {
			m := regexp.MustCompile(re).FindStringSubmatch(content.Journalist.HTML)
			if m == nil {
				t.Errorf("the embargoed email's %s is not signed:\n%s", name, content.Journalist.HTML)
				continue
			}
			if r := anon.get(pathOf(env, strings.ReplaceAll(m[1], "&amp;", "&"))); r.Status != http.StatusOK {
				t.Errorf("the embargoed email's %s: %d before the lift", name, r.Status)
			}
		}

		env.clock.Set(lift)
		start := time.Now()
		var got response
		for time.Since(start) < 2*time.Second {
			if got = anon.get(pathOf(env, photo.Variants["large"])); got.Status == http.StatusOK {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if got.Status != http.StatusOK {
			t.Fatalf("the photo is not public 2 s after the lift: %d", got.Status)
		}
		if cc := got.Header.Get("Cache-Control"); cc != "public, max-age=60, stale-while-revalidate=30" || got.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("public image headers: Cache-Control %q, nosniff %q", cc, got.Header.Get("X-Content-Type-Options"))
		}
		pdf := anon.get(pathOf(env, report.URL))
		if pdf.Status != http.StatusOK || pdf.Header.Get("Content-Type") != "application/pdf" || pdf.Body != testPDF ||
			pdf.Header.Get("Content-Disposition") != `attachment; filename=annual-report.pdf` || pdf.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("pdf download: %d %q %q", pdf.Status, pdf.Header.Get("Content-Type"), pdf.Header.Get("Content-Disposition"))
		}
		page := anon.get("/news/" + *d.Slug)
		for _, want := range []string{
			`<meta property="og:image" content="` + photo.Variants["social"] + `">`,
			`<meta name="twitter:image" content="` + photo.Variants["social"] + `">`,
			`<img src="` + photo.Variants["large"] + `" width="1600" height="1000" alt="A crowd holding photographs of the detained"`,
			"Families outside the court.", "© Jane Doe / Agency",
			`href="` + report.URL + `" download>Report (PDF, 73 bytes)</a>`,
			`"image":["` + photo.Variants["social"],
			`<a href="` + photo.URL + `" download>Download the photo</a> <bdi>(JPEG, 1600 × 1000 px, `,
			"Licence: Editorial use with credit",
		} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("release page lacks %s", want)
			}
		}
		// The API returns the media with their URLs; "used in" names the release.
		rj := env.api(http.MethodGet, "/api/v1/releases/"+d.ID, token, "")
		if !strings.Contains(rj.Body, `"lead_image_id":"`+photo.ID+`"`) || !strings.Contains(rj.Body, `"attachment_ids":["`+report.ID+`"]`) ||
			!strings.Contains(rj.Body, photo.Variants["social"]) {
			t.Errorf("release JSON lacks its media: %s", rj.Body)
		}
		var item uploaded
		_ = json.Unmarshal([]byte(env.api(http.MethodGet, "/api/v1/media/"+photo.ID, token, "").Body), &item)
		if len(item.UsedIn) != 1 || item.UsedIn[0] != d.ID {
			t.Errorf("used_in %v, want [%s]", item.UsedIn, d.ID)
		}
		// Every stored file is free of the GPS data too: the original (the
		// upload's own bytes without their metadata), the three sizes, the PDF.
		keys, err := store.Keys(ctx)
		if err != nil || len(keys) != 5 {
			t.Fatalf("stored %v (%v), want 4 image files and 1 PDF", keys, err)
		}
		for _, k := range keys {
			rc, _ := store.Open(ctx, k)
			b, _ := io.ReadAll(rc)
			_ = rc.Close()
			if bytes.Contains(b, []byte(gpsMarker)) {
				t.Errorf("stored file %s carries the GPS data", k)
			}
		}
	})
}

// TestMediaUploadRefusals: a wrong type, an oversize file, a decompression
// bomb and an image without alt text are refused with clear errors, and
// nothing is stored (no file, no row); viewers may not upload.
func TestMediaUploadRefusals(t *testing.T) {
	runMedia(t, envOptions{}, func(t *testing.T, env *testEnv, store *jobs.MediaStore) {
		ctx := context.Background()
		token := env.token(models.RolePressOfficer)
		alt := map[string]string{"title": "t", "alt_text": "a"}
		cases := []struct {
			name     string
			filename string
			data     []byte
			fields   map[string]string
			status   int
			want     string
		}{
			{"text named .jpg", "photo.jpg", []byte("just some words, not a photo at all"), alt, http.StatusUnprocessableEntity, "not a JPEG, PNG or WebP image or a PDF"},
			{"oversize", "big.pdf", append([]byte("%PDF-1.4\n"), make([]byte, jobs.MaxUploadBytes+10)...), alt, http.StatusRequestEntityTooLarge, "larger than the limit"},
			{"decompression bomb", "bomb.png", bombPNG(50000, 50000), alt, http.StatusUnprocessableEntity, "50000 × 50000 pixels"},
		}
		for _, c := range cases {
			r := env.uploadAPI(t, token, c.fields, c.filename, c.data)
			if r.Status != c.status || !strings.Contains(r.Body, c.want) {
				t.Errorf("%s: %d %s; want %d with %q", c.name, r.Status, r.Body, c.status, c.want)
			}
		}
		noAlt := env.uploadAPI(t, token, map[string]string{"title": "No alt"}, "p.jpg", exifJPEG(t, 64, 64))
		if noAlt.Status != http.StatusUnprocessableEntity || !strings.Contains(noAlt.Body, "alt_text") {
			t.Errorf("image without alt text: %d %s", noAlt.Status, noAlt.Body)
		}
		if r := env.uploadAPI(t, env.token(models.RoleViewer), alt, "p.jpg", exifJPEG(t, 64, 64)); r.Status != http.StatusForbidden {
			t.Errorf("viewer upload: %d", r.Status)
		}
		// The page form re-renders with the message next to the field.
		b := env.login(models.RolePressOfficer)
		page := b.uploadPage(t, map[string]string{"title": "Bomb", "alt_text": "x", "caption": "kept caption"}, "bomb.png", bombPNG(50000, 50000))
		if page.Status != http.StatusUnprocessableEntity || !strings.Contains(page.Body, `id="file-error"`) || !strings.Contains(page.Body, "kept caption") {
			t.Errorf("upload page with a bomb: %d", page.Status)
		}
		keys, err := store.Keys(ctx)
		if err != nil || len(keys) != 0 {
			t.Errorf("refused uploads stored %v (%v)", keys, err)
		}
		var n int64
		env.db.Gorm.Model(&models.Medium{}).Count(&n)
		if n != 0 {
			t.Errorf("refused uploads left %d rows", n)
		}
		// And a good one through the page lands on the item, listed in search.
		ok := b.uploadPage(t, map[string]string{"title": "Detention centre", "alt_text": "A fence", "credit": "Photo: Amal"}, "d.jpg", exifJPEG(t, 200, 100))
		if ok.Status != http.StatusSeeOther || !strings.HasPrefix(ok.Location, "/admin/media-library/") {
			t.Fatalf("good upload via page: %d %s", ok.Status, ok.Location)
		}
		if r := b.get("/admin/media-library?q=amal"); !strings.Contains(r.Body, "Detention centre") {
			t.Errorf("library search by credit misses the item")
		}
	})
}

// TestReleaseEditorAndEmailCarryMedia: the editor takes a lead image and
// attachments by library id (showing a thumbnail, refusing a document as the
// lead image with the reason beside the field), and the email of the release
// shows the photo by absolute URL with width, height and alt text, caption and
// credit under it, and lists the attachments as links in both parts.
func TestReleaseEditorAndEmailCarryMedia(t *testing.T) {
	runMedia(t, envOptions{work: true}, func(t *testing.T, env *testEnv, _ *jobs.MediaStore) {
		ctx := context.Background()
		token := env.token(models.RolePressOfficer)
		photo := decodeUpload(t, env.uploadAPI(t, token, map[string]string{"title": "Court steps", "caption": "Lawyers at the court.",
			"credit": "Photo: Amal K.", "alt_text": "Two lawyers on stone steps"}, "court.jpg", exifJPEG(t, 2400, 1200)))
		report := decodeUpload(t, env.uploadAPI(t, token, map[string]string{"title": "Briefing"}, "briefing.pdf", []byte(testPDF)))
		d, err := models.CreateDocument(ctx, env.db.Gorm, env.users[models.RolePressOfficer], models.DocumentInput{Kind: models.KindPressRelease,
			Headline: ptr("Lawyers detained"), Body: ptr("Words.")}, env.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		b := env.login(models.RolePressOfficer)
		edit := "/admin/releases/" + d.ID + "/edit"
		bad := b.post(edit, "/admin/releases/"+d.ID, map[string][]string{"headline": {"Lawyers detained"}, "body": {"Words."}, "base_revision": {"1"},
			"lead_image_id": {report.ID}, "attachment_ids": {""}})
		if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, "is a document, not an image") {
			t.Fatalf("a PDF as lead image: %d", bad.Status)
		}
		ok := b.post(edit, "/admin/releases/"+d.ID, map[string][]string{"headline": {"Lawyers detained"}, "body": {"Words."}, "base_revision": {"1"},
			"lead_image_id": {photo.ID}, "attachment_ids": {report.ID}})
		if ok.Status != http.StatusSeeOther {
			t.Fatalf("save with media: %d %s", ok.Status, ok.Body)
		}
		if form := b.get(edit); !strings.Contains(form.Body, `src="/admin/media-library/`+photo.ID+`/thumb"`) || !strings.Contains(form.Body, `value="`+report.ID+`"`) {
			t.Errorf("the editor does not show the chosen media")
		}
		// Saving the form again without touching the media keeps them.
		b.post(edit, "/admin/releases/"+d.ID, map[string][]string{"headline": {"Lawyers detained"}, "body": {"More words."}, "base_revision": {"2"}})
		got, _ := models.DocumentByID(ctx, env.db.Gorm, d.ID)
		if c := got.Revision.Content(); c.LeadImageID != photo.ID || len(c.AttachmentIDs) != 1 {
			t.Fatalf("media after an edit without media fields: %+v", c)
		}

		// Approve, publish, send to one journalist through the outbox.
		if _, err := models.SubmitDocument(ctx, env.db.Gorm, env.users[models.RolePressOfficer], d.ID, false, env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		desk, _ := models.UserByID(ctx, env.db.Gorm, env.users[models.RoleApprover].ID)
		if _, err := models.ApproveDocument(ctx, env.db.Gorm, desk, d.ID, "", env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := models.ApproveDocument(ctx, env.db.Gorm, env.legal, d.ID, "", env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		ml, _ := models.CreateMediaList(ctx, env.db.Gorm, "Desk", "")
		c, _ := models.CreateContact(ctx, env.db.Gorm, models.ContactInput{Email: "j@news.example", Name: "J"})
		_ = models.AddContactsToList(ctx, env.db.Gorm, ml.ID, []string{c.ID})
		r := env.api("POST", "/api/v1/sends", token, `{"release_id":"`+d.ID+`","media_list_ids":["`+ml.ID+`"]}`)
		s := decode[struct{ ID string }](t, r.Body)
		if r := env.api("POST", "/api/v1/sends/"+s.ID+"/dispatch", token, ""); r.Status != http.StatusAccepted {
			t.Fatalf("dispatch: %d %s", r.Status, r.Body)
		}
		m := waitOutbox(t, env, "j@news.example", 1)[0]
		large := photo.Variants["large"]
		for _, want := range []string{`<img src="` + large + `" width="552" height="276" alt="Two lawyers on stone steps"`, "Lawyers at the court.", "Photo: Amal K.",
			`<a href="` + report.URL + `" style="color:#0b57d0;">Briefing (PDF, 73 bytes)</a>`} {
			if !strings.Contains(m.HTML, want) {
				t.Errorf("email HTML lacks %s", want)
			}
		}
		if !strings.Contains(m.TextBody, "- Briefing (PDF, 73 bytes): "+report.URL) || !strings.Contains(m.TextBody, large) {
			t.Errorf("email text lacks the download link or photo: %s", m.TextBody)
		}
	})
}
