package jobs_test

import (
	"context"
	"html"
	"strings"
	"testing"
	"time"

	"pressroom/jobs"
	"pressroom/jobs/sendgridfake"
	"pressroom/models"
)

// TestEscalationMailEscapesNames: the escalation to backup approvers carries a
// group's name, a headline and each backup's name; through SendGrid (the fake
// applies substitutions as SendGrid does) the HTML part holds them escaped and
// the text part and subject as written.
func TestEscalationMailEscapesNames(t *testing.T) {
	fake := sendgridfake.New(fakeKey).Start()
	defer fake.Close()
	xss := `<script>alert(1)</script> "><img src=x onerror=alert(1)> &amp; O'Brien javascript:alert(1)`
	w := &jobs.EscalateOverdueWorker{Deps: jobs.Deps{BaseURL: "https://press.example.org", MailFrom: jobs.Address{Email: "press@example.org"}}}
	b := w.EscalationMail(models.Escalation{Document: &models.Document{ID: "doc1", Revision: &models.Revision{Headline: "Headline " + xss}},
		Step: models.WorkflowStep{SLAMinutes: 15}, Group: models.Group{Name: "Group " + xss},
		Backups: []models.User{{Email: "backup@example.org", Name: "Backup " + xss}}})
	send := jobs.NewSendGrid(fakeKey, fake.URL(), jobs.WithSendGridTimeout(5*time.Second))
	if _, err := send.Send(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	rs := fake.Recipients()
	if len(rs) != 1 {
		t.Fatalf("%d recipients", len(rs))
	}
	subject, text, body := rs[0].Render()
	if !strings.Contains(body, "Hello "+html.EscapeString("Backup "+xss)+",") || strings.Contains(body, "<script") || strings.Contains(body, "<img") {
		t.Errorf("HTML part:\n%s", body)
	}
	if !strings.Contains(body, html.EscapeString("Group "+xss)) || !strings.Contains(body, html.EscapeString("Headline "+xss)) {
		t.Errorf("HTML part lacks the escaped group or headline:\n%s", body)
	}
	if !strings.Contains(text, "Hello Backup "+xss+",") || !strings.Contains(text, "Headline "+xss) || strings.Contains(text, "&lt;") {
		t.Errorf("text part:\n%s", text)
	}
	if !strings.Contains(subject, "Group "+xss) || strings.Contains(subject, "&lt;") {
		t.Errorf("subject %q", subject)
	}
}
