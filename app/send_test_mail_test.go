package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"pressroom/models"
)

// TestSendTestIsRecordedAndNotCounted: "send a test" mails the prepared send
// to the signed-in user, personalised for them, subject prefixed [TEST]; it is
// recorded in the send's history (the audit log, with who and to whom) and
// never counted among the send's recipients.
func TestSendTestIsRecordedAndNotCounted(t *testing.T) {
	run(t, envOptions{work: true}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		tok := env.token(models.RolePressOfficer)
		doc := env.publish(t, "Test me first", "Body.", nil, nil)
		ml, _ := models.CreateMediaList(ctx, env.db.Gorm, "Desk", "")
		c, _ := models.CreateContact(ctx, env.db.Gorm, models.ContactInput{Email: "j@news.example", Name: "J"})
		_ = models.AddContactsToList(ctx, env.db.Gorm, ml.ID, []string{c.ID})
		r := env.api("POST", "/api/v1/sends", tok, `{"release_id":"`+doc.ID+`","media_list_ids":["`+ml.ID+`"]}`)
		id := decode[struct{ ID string }](t, r.Body).ID
		b := env.login(models.RolePressOfficer)
		if r := b.post("/admin/sends/"+id, "/admin/sends/"+id+"/test", url.Values{}); r.Status != http.StatusSeeOther {
			t.Fatalf("send test: %d", r.Status)
		}
		me := env.users[models.RolePressOfficer]
		m := waitOutbox(t, env, me.Email, 1)[0]
		if !strings.HasPrefix(m.Subject, "[TEST] ") || !strings.Contains(m.TextBody, me.Name) {
			t.Errorf("test mail: subject %q, personalised for %q? %v", m.Subject, me.Name, strings.Contains(m.TextBody, me.Name))
		}
		if ms, _ := models.OutboxMessages(ctx, env.db.Gorm, "j@news.example", 10); len(ms) != 0 {
			t.Errorf("the test reached the audience: %d messages", len(ms))
		}
		var n int64
		env.db.Gorm.Table("send_recipients").Where("send_id = ?", id).Count(&n)
		if n != 0 {
			t.Errorf("the test created %d recipient rows", n)
		}
		evs, err := models.AuditEvents(ctx, env.db.Gorm, models.AuditFilter{SubjectID: id})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range evs {
			if e.Action == "send_tested" && e.ActorID != nil && *e.ActorID == me.ID && strings.Contains(e.Comment, me.Email) {
				found = true
			}
		}
		if !found {
			t.Errorf("the test is not in the send's history: %+v", evs)
		}
	})
}
