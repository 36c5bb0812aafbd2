package app_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"

	"gorm.io/gorm"

	"pressroom/models"
)

var pdfStream = regexp.MustCompile(`(?s)stream\r?\n(.*?)\r?\nendstream`)

// pdfText is every stream of a PDF, inflated where it is compressed: the
// page contents among them.
func pdfText(t *testing.T, body string) string {
	t.Helper()
	var out strings.Builder
	for _, m := range pdfStream.FindAllStringSubmatch(body, -1) {
		zr, err := zlib.NewReader(strings.NewReader(m[1]))
		if err != nil {
			out.WriteString(m[1])
			continue
		}
		b, err := io.ReadAll(zr)
		if errors.Is(err, io.ErrUnexpectedEOF) {
			// The pattern dropped a final "\r" that was the stream's own last
			// byte (binary data may end in one): put it back.
			zr, _ = zlib.NewReader(strings.NewReader(m[1] + "\r"))
			b, err = io.ReadAll(zr)
		}
		if err != nil {
			t.Fatalf("inflate a pdf stream: %v", err)
		}
		out.Write(b)
	}
	return out.String()
}

// pdfString is s as a page shows it in a Unicode font: UTF-16BE in a string
// literal, with its parentheses and backslashes escaped.
func pdfString(s string) string {
	var b bytes.Buffer
	for _, u := range utf16.Encode([]rune(s)) {
		for _, c := range []byte{byte(u >> 8), byte(u)} {
			if c == '(' || c == ')' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}

// TestHandinPDFNonLatinNames: the hand-in pack shows Cyrillic, Greek and
// accented Latin names as written (an embedded Unicode font, not Latin-1 with
// "?"), and never draws Arabic or Chinese names as wrong glyphs: each is
// marked with its script and the cover page says how many there are.
func TestHandinPDFNonLatinNames(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		camp := env.token(models.RoleCampaigner)
		p := newOpenPetition(t, env, camp, `{"title":"Свобода слова","target":"The Minister","demand":"Release them."}`)
		ctx := context.Background()
		pet, err := models.PetitionByID(ctx, env.db.Gorm, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		names := []string{"Анна Ахматова", "Γιώργος Σεφέρης", "Łukasz Żółć", "أميرة حداد", "王小明"}
		for i, name := range names {
			var res *models.SignResult
			err := models.Transaction(ctx, env.db.Gorm, func(tx *gorm.DB) error {
				res, err = models.RequestSignature(ctx, tx, pet, models.SignInput{Name: name, Email: fmt.Sprintf("s%d@example.org", i), Country: "GB"},
					models.SignLimits{}, models.DefaultEmailRules(), env.clock.Now())
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := models.ConfirmSignature(ctx, env.db.Gorm, res.Token, "", env.clock.Now()); err != nil {
				t.Fatal(err)
			}
		}
		r := env.api("GET", "/api/v1/petitions/"+p.ID+"/handin.pdf", camp, "")
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Body, "%PDF-") {
			t.Fatalf("hand-in pdf = %d", r.Status)
		}
		if !strings.Contains(r.Body, "/FontFile2") || !strings.Contains(r.Body, "/Subtype /CIDFontType2") {
			t.Errorf("the pdf embeds no TrueType font")
		}
		text := pdfText(t, r.Body)
		for _, want := range []string{"Анна Ахматова", "Γιώργος Σεφέρης", "Łukasz Żółć", "Свобода слова", "(name in Arabic script)", "(name in Chinese script)",
			"2 of the names are written in scripts this document cannot show correctly"} {
			if !strings.Contains(text, pdfString(want)) {
				t.Errorf("the pdf does not show %q", want)
			}
		}
		for _, unwanted := range []string{"أميرة", "王小明"} {
			if strings.Contains(text, pdfString(unwanted)) {
				t.Errorf("the pdf draws %q letter by letter", unwanted)
			}
		}
	})
}
