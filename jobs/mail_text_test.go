package jobs_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// mailRelease drafts, submits and approves a press release with the given body
// and dateline, published now.
func mailRelease(t *testing.T, e *sendEnv, body, dateline string) *models.Document {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	headline := "Arms transfers must stop"
	d, err := models.CreateDocument(ctx, e.db.Gorm, e.org.Press, models.DocumentInput{Kind: models.KindPressRelease, Headline: &headline, Body: &body, Dateline: &dateline}, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.SubmitDocument(ctx, e.db.Gorm, e.org.Press, d.ID, false, now); err != nil {
		t.Fatal(err)
	}
	return e.org.Approve(t, d.ID, now)
}

var hrefs = regexp.MustCompile(`href="(https://[^"]+)"`)

// TestTextPartKeepsEveryLinkAddress: every link of the HTML part of a release
// email is in its plain-text part too, after the link's words ("Take action
// <https://…>"), so a reader of the text part can still follow it.
func TestTextPartKeepsEveryLinkAddress(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		e := newSendEnv(t, db)
		body := "The government must act. [Take action](https://act.example.org/ua?id=1&src=mail) now.\n\n" +
			"- Read [the **full** report](https://example.org/report)\n- Or visit https://example.org/auto"
		doc := mailRelease(t, e, body, "LONDON, 9 July 2026")
		ml, _ := models.CreateMediaList(context.Background(), db.Gorm, "Wires", "")
		c := contact(t, db, "wire@news.example", false)
		_ = models.AddContactsToList(context.Background(), db.Gorm, ml.ID, []string{c.ID})
		s := e.prepare(t, e.org.Press, models.SendInput{DocumentID: doc.ID, MediaListIDs: []string{ml.ID}})
		if err := e.work(t, s.ID, 0); err != nil {
			t.Fatal(err)
		}
		rs := e.fake.Recipients()
		if len(rs) != 1 {
			t.Fatalf("fake got %d recipients", len(rs))
		}
		_, text, html := rs[0].Render()
		links := hrefs.FindAllStringSubmatch(html, -1)
		if len(links) < 4 {
			t.Fatalf("HTML part has %d links:\n%s", len(links), html)
		}
		for _, m := range links {
			if u := strings.ReplaceAll(m[1], "&amp;", "&"); !strings.Contains(text, u) {
				t.Errorf("text part lacks the link %s:\n%s", u, text)
			}
		}
		for _, want := range []string{"Take action <https://act.example.org/ua?id=1&src=mail> now.", "Read the full report <https://example.org/report>"} {
			if !strings.Contains(text, want) {
				t.Errorf("text part lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "https://example.org/auto <https://example.org/auto>") {
			t.Errorf("autolink written twice:\n%s", text)
		}
	})
}

// TestDatelineOpensTheFirstParagraph: the dateline and the body's first words
// share a line joined by a dash in both parts; with no dateline no dash is left
// hanging before the body.
func TestDatelineOpensTheFirstParagraph(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		e := newSendEnv(t, db)
		ml, _ := models.CreateMediaList(context.Background(), db.Gorm, "Wires", "")
		c := contact(t, db, "wire@news.example", false)
		_ = models.AddContactsToList(context.Background(), db.Gorm, ml.ID, []string{c.ID})
		for _, tt := range []struct{ dateline, html, text, notHTML string }{
			{"LONDON, 9 July 2026", "<p><strong>LONDON, 9 July 2026</strong> — The government", "LONDON, 9 July 2026 — The government", "</strong> — <p>"},
			{"", "<p>The government", "\nThe government", "— <p>"},
		} {
			e.fake.Reset()
			doc := mailRelease(t, e, "The government must act.", tt.dateline)
			s := e.prepare(t, e.org.Press, models.SendInput{DocumentID: doc.ID, MediaListIDs: []string{ml.ID}})
			if err := e.work(t, s.ID, 0); err != nil {
				t.Fatal(err)
			}
			_, text, html := e.fake.Recipients()[0].Render()
			if !strings.Contains(html, tt.html) || strings.Contains(html, tt.notHTML) {
				t.Errorf("dateline %q: HTML part:\n%s", tt.dateline, html)
			}
			if !strings.Contains(text, tt.text) || strings.Contains(text, "— \n") || strings.Contains(text, "\n— ") {
				t.Errorf("dateline %q: text part:\n%s", tt.dateline, text)
			}
		}
	})
}
