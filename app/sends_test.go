package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"pressroom/jobs"
	"pressroom/jobs/sendgridfake"
	"pressroom/models"
)

// TestSendsAPI covers the contract: 422 for bad input, 409 for a release that is
// not approved, 403 for the wrong role, 201/202 and the status document, and a
// provider refusal visible in the API and on the send page.
func TestSendsAPI(t *testing.T) {
	fake := sendgridfake.New("SG.app").Start()
	defer fake.Close()
	run(t, envOptions{work: true, transport: jobs.NewSendGrid("SG.app", fake.URL())}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		fake.Reset()
		fake.Script(sendgridfake.Fault{Status: http.StatusBadRequest, Message: "Invalid from address"})
		press, viewer, campaigner := env.token(models.RolePressOfficer), env.token(models.RoleViewer), env.token(models.RoleCampaigner)
		doc := env.publish(t, "Send me", "Body.", nil, nil)
		ml, _ := models.CreateMediaList(ctx, env.db.Gorm, "Desk", "")
		c, _ := models.CreateContact(ctx, env.db.Gorm, models.ContactInput{Email: "j@news.example", Name: "J"})
		_ = models.AddContactsToList(ctx, env.db.Gorm, ml.ID, []string{c.ID})

		if r := env.api("POST", "/api/v1/sends", press, `{"release_id":"`+doc.ID+`"}`); r.Status != 422 || !strings.Contains(r.Body, "media_list_ids") {
			t.Fatalf("no audience: %d %s", r.Status, r.Body)
		}
		draft, _ := models.CreateDocument(ctx, env.db.Gorm, env.users[models.RolePressOfficer], models.DocumentInput{Kind: models.KindPressRelease, Headline: ptr("Draft")}, env.clock.Now())
		if r := env.api("POST", "/api/v1/sends", press, `{"release_id":"`+draft.ID+`","media_list_ids":["`+ml.ID+`"]}`); r.Status != 409 {
			t.Fatalf("draft: %d %s", r.Status, r.Body)
		}
		body := `{"release_id":"` + doc.ID + `","media_list_ids":["` + ml.ID + `"],"subject":null,"scheduled_at":null}`
		if r := env.api("POST", "/api/v1/sends", viewer, body); r.Status != 403 {
			t.Fatalf("viewer: %d", r.Status)
		}
		if r := env.api("POST", "/api/v1/sends", campaigner, body); r.Status != 403 {
			t.Fatalf("campaigner sending a press release: %d", r.Status)
		}
		r := env.api("POST", "/api/v1/sends", press, body)
		if r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		var s struct {
			ID, Status string
			Errors     []struct{ Message string }
			Failed     int
		}
		_ = json.Unmarshal([]byte(r.Body), &s)
		if r := env.api("POST", "/api/v1/sends/"+s.ID+"/dispatch", press, ""); r.Status != 202 {
			t.Fatalf("dispatch: %d %s", r.Status, r.Body)
		}
		if r := env.api("POST", "/api/v1/sends/"+s.ID+"/dispatch", press, ""); r.Status != 409 {
			t.Fatalf("second dispatch: %d", r.Status)
		}
		deadline := time.Now().Add(20 * time.Second)
		for s.Status != "failed" && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
			_ = json.Unmarshal([]byte(env.api("GET", "/api/v1/sends/"+s.ID, viewer, "").Body), &s)
		}
		if s.Status != "failed" || s.Failed != 1 || len(s.Errors) != 1 || !strings.Contains(s.Errors[0].Message, "Invalid from address") {
			t.Fatalf("send %+v", s)
		}
		page := env.login(models.RolePressOfficer).get("/admin/sends/" + s.ID)
		if page.Status != 200 || !strings.Contains(page.Body, "Invalid from address") || !strings.Contains(page.Body, "Retry failed") {
			t.Fatalf("send page %d lacks the provider error", page.Status)
		}
		if !strings.Contains(page.Body, "Audience: media list Desk.") {
			t.Fatal("send page does not name its audience")
		}
	})
}

// TestSendGridWebhook checks the signature rules (missing 401, forged 403,
// stale 403) and that posting the same events twice changes nothing.
func TestSendGridWebhook(t *testing.T) {
	fake := sendgridfake.New("SG.hook").Start()
	defer fake.Close()
	run(t, envOptions{work: true, webhookKey: fake.PublicKey(), transport: jobs.NewSendGrid("SG.hook", fake.URL())}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		fake.Reset()
		fake.SetClock(env.clock.Now)
		url := env.http.URL + "/webhooks/sendgrid"
		doc := env.publish(t, "Events", "Body.", nil, nil)
		sl, _ := models.CreateSupporterList(ctx, env.db.Gorm, "Members", "")
		var ids []string
		for i := 0; i < 3; i++ {
			e := fmt.Sprintf("m%d@example.org", i)
			sup := models.Supporter{ID: models.NewID(), Email: &e, EmailHash: models.EmailHash(e), Status: models.StatusSubscribed, Frequency: "all", CreatedAt: env.clock.Now(), UpdatedAt: env.clock.Now()}
			env.db.Gorm.Create(&sup)
			ids = append(ids, sup.ID)
		}
		_ = models.AddSupportersToList(ctx, env.db.Gorm, sl.ID, ids)
		tok := env.token(models.RolePressOfficer)
		r := env.api("POST", "/api/v1/sends", tok, `{"release_id":"`+doc.ID+`","supporter_list_ids":["`+sl.ID+`"]}`)
		var s struct{ ID, Status string }
		_ = json.Unmarshal([]byte(r.Body), &s)
		env.api("POST", "/api/v1/sends/"+s.ID+"/dispatch", tok, "")
		deadline := time.Now().Add(20 * time.Second)
		for s.Status != "sent" && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
			_ = json.Unmarshal([]byte(env.api("GET", "/api/v1/sends/"+s.ID, tok, "").Body), &s)
		}
		rs := fake.Recipients()
		if s.Status != "sent" || len(rs) != 3 {
			t.Fatalf("send %s, %d recipients", s.Status, len(rs))
		}
		events := append(fake.EventsFor(sendgridfake.EventDelivered, rs...), fake.EventsFor(sendgridfake.EventOpen, rs[0])...)
		events = append(events, fake.EventFor(rs[1], sendgridfake.EventBounce))
		if code, _ := fake.PostEventsWith(ctx, url, events, sendgridfake.PostOptions{OmitSignature: true}); code != 401 {
			t.Fatalf("unsigned: %d", code)
		}
		if code, _ := fake.PostEventsWith(ctx, url, events, sendgridfake.PostOptions{Forge: true}); code != 403 {
			t.Fatalf("forged: %d", code)
		}
		if code, _ := fake.PostEventsWith(ctx, url, events, sendgridfake.PostOptions{At: env.clock.Now().Add(-10 * time.Minute)}); code != 403 {
			t.Fatalf("stale: %d", code)
		}
		for i := 0; i < 2; i++ {
			if code, err := fake.PostEvents(ctx, url, events); code != 200 {
				t.Fatalf("post %d: %d %v", i, code, err)
			}
		}
		var got struct{ Delivered, Opened, Bounced int }
		deadline = time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			_ = json.Unmarshal([]byte(env.api("GET", "/api/v1/sends/"+s.ID, tok, "").Body), &got)
			var left int64
			env.db.Gorm.Model(&models.WebhookEvent{}).Where("processed = ?", false).Count(&left)
			if left == 0 && got.Delivered > 0 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if got.Delivered != 3 || got.Opened != 1 || got.Bounced != 1 {
			t.Fatalf("counts after two identical posts: %+v", got)
		}
		if sup, _ := models.SupporterByEmail(ctx, env.db.Gorm, rs[1].Email); sup.Status != models.StatusBounced {
			t.Fatalf("bounced supporter is %s", sup.Status)
		}
		if ok, _ := models.IsSuppressed(ctx, env.db.Gorm, rs[1].Email); !ok {
			t.Fatal("bounce not suppressed")
		}
	})
}
