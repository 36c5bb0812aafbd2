package app_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"pressroom/models"
)

// journalistSend prepares a send of a release to one media list holding one
// journalist, J. Sample.
func journalistSend(t *testing.T, env *testEnv, doc *models.Document) string {
	t.Helper()
	ctx := context.Background()
	ml, err := models.CreateMediaList(ctx, env.db.Gorm, "Desk", "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := models.CreateContact(ctx, env.db.Gorm, models.ContactInput{Email: "j@news.example", Name: "J. Sample"})
	if err != nil {
		t.Fatal(err)
	}
	_ = models.AddContactsToList(ctx, env.db.Gorm, ml.ID, []string{c.ID})
	r := env.api("POST", "/api/v1/sends", env.token(models.RolePressOfficer), `{"release_id":"`+doc.ID+`","media_list_ids":["`+ml.ID+`"]}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("create send: %d %s", r.Status, r.Body)
	}
	return decode[struct{ ID string }](t, r.Body).ID
}

// TestSendTestIsRecordedAndNotCounted: "Send a test" with no address mails the
// prepared send to the signed-in user, rendered as the audience's sample
// journalist gets it, subject prefixed [TEST]; it is recorded in the send's
// history (the audit log and the send page, with who and to whom) and never
// counted among the send's recipients.
func TestSendTestIsRecordedAndNotCounted(t *testing.T) {
	run(t, envOptions{work: true}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		doc := env.publish(t, "Test me first", "Body.", nil, nil)
		id := journalistSend(t, env, doc)
		b := env.login(models.RolePressOfficer)
		page := b.get("/admin/sends/" + id)
		if !strings.Contains(page.Body, "Rendered as J. Sample &lt;j@news.example&gt; would get it") {
			t.Errorf("the send page does not name the sample recipient:\n%s", page.Body)
		}
		if r := b.post("/admin/sends/"+id, "/admin/sends/"+id+"/test", url.Values{"emails": {""}}); r.Status != http.StatusSeeOther {
			t.Fatalf("send test: %d", r.Status)
		}
		me := env.users[models.RolePressOfficer]
		m := waitOutbox(t, env, me.Email, 1)[0]
		if !strings.HasPrefix(m.Subject, "[TEST] ") || !strings.Contains(m.TextBody, "J. Sample") {
			t.Errorf("test mail: subject %q, rendered as the sample? %v", m.Subject, strings.Contains(m.TextBody, "J. Sample"))
		}
		if strings.Contains(m.CustomArgs, `"send_id"`) {
			t.Errorf("a test's events would count in the send's statistics: custom args %s", m.CustomArgs)
		}
		if ms, _ := models.OutboxMessages(ctx, env.db.Gorm, "j@news.example", 10); len(ms) != 0 {
			t.Errorf("the test reached the audience: %d messages", len(ms))
		}
		var n int64
		env.db.Gorm.Table("send_recipients").Where("send_id = ?", id).Count(&n)
		if n != 0 {
			t.Errorf("the test created %d recipient rows", n)
		}
		if s, _ := models.SendByID(ctx, env.db.Gorm, id); s.Recipients != 0 || s.Status != models.SendDraft {
			t.Errorf("the send after a test: %d recipients, %s", s.Recipients, s.Status)
		}
		evs, err := models.AuditEvents(ctx, env.db.Gorm, models.AuditFilter{SubjectID: id})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range evs {
			if e.Action == "send_tested" && e.ActorID != nil && *e.ActorID == me.ID && strings.Contains(e.Comment, me.Email) && strings.Contains(e.Comment, "J. Sample") {
				found = true
			}
		}
		if !found {
			t.Errorf("the test is not in the send's history: %+v", evs)
		}
		if page := b.get("/admin/sends/" + id); !strings.Contains(page.Body, "test sent to "+me.Email) {
			t.Errorf("the send page does not list the test")
		}
	})
}

var previewLink = regexp.MustCompile(`https?://[^\s"<>]+/preview/[A-Za-z0-9_-]+`)

// TestSendTestOfEmbargoedRelease: a test of an embargoed release to two typed
// addresses through the API carries the embargo banner, and each address gets
// a personal preview link that works and says it is a test.
func TestSendTestOfEmbargoedRelease(t *testing.T) {
	run(t, envOptions{work: true}, func(t *testing.T, env *testEnv) {
		emb := env.clock.Now().Add(48 * time.Hour)
		doc := env.publish(t, "Embargoed test", "Secret body words.", &emb, nil)
		id := journalistSend(t, env, doc)
		r := env.api("POST", "/api/v1/sends/"+id+"/test", env.token(models.RolePressOfficer), `{"emails":["desk@example.org","Editor@Example.org"]}`)
		if r.Status != http.StatusAccepted || !strings.Contains(r.Body, "J. Sample") {
			t.Fatalf("test: %d %s", r.Status, r.Body)
		}
		for _, to := range []string{"desk@example.org", "editor@example.org"} {
			m := waitOutbox(t, env, to, 1)[0]
			if !strings.HasPrefix(m.Subject, "[TEST] EMBARGOED UNTIL") || !strings.Contains(m.HTML, "EMBARGOED UNTIL") {
				t.Errorf("%s: subject %q, banner? %v", to, m.Subject, strings.Contains(m.HTML, "EMBARGOED UNTIL"))
			}
			if !strings.Contains(m.TextBody, "Dear J. Sample") {
				t.Errorf("%s: not rendered as the sample:\n%s", to, m.TextBody)
			}
			link := previewLink.FindString(m.TextBody)
			if link == "" {
				t.Fatalf("%s: no preview link in:\n%s", to, m.TextBody)
			}
			page := env.browser().get(strings.TrimPrefix(link, env.cfg.BaseURL.String()))
			if page.Status != http.StatusOK || !strings.Contains(page.Body, "Secret body words.") || !strings.Contains(page.Body, "Test preview") {
				t.Errorf("%s: preview link %s: %d, marked as a test? %v", to, link, page.Status, strings.Contains(page.Body, "Test preview"))
			}
		}
	})
}

// TestSendTestUnsubscribeIsInert: a test of a supporters' send carries an
// unsubscribe link (and one-click header) that changes nothing, not the
// sample supporter's own.
func TestSendTestUnsubscribeIsInert(t *testing.T) {
	run(t, envOptions{work: true}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		doc := env.publish(t, "Act now", "Write to the minister.", nil, nil)
		sup := subscribed(t, env, "sample.supporter@example.org")
		sl, _ := models.CreateSupporterList(ctx, env.db.Gorm, "Activists", "")
		_ = models.AddSupportersToList(ctx, env.db.Gorm, sl.ID, []string{sup.ID})
		tok := env.token(models.RoleAdmin) // who may read the supporters, so the sample is one of them
		r := env.api("POST", "/api/v1/sends", tok, `{"release_id":"`+doc.ID+`","supporter_list_ids":["`+sl.ID+`"]}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("create send: %d %s", r.Status, r.Body)
		}
		id := decode[struct{ ID string }](t, r.Body).ID
		if r := env.api("POST", "/api/v1/sends/"+id+"/test", tok, ``); r.Status != http.StatusAccepted {
			t.Fatalf("test: %d %s", r.Status, r.Body)
		}
		me := env.users[models.RoleAdmin]
		m := waitOutbox(t, env, me.Email, 1)[0]
		real := env.server.UnsubscribeURL(sup.ID)
		if strings.Contains(m.TextBody, real) || strings.Contains(m.HTML, real) || strings.Contains(m.Headers, real) {
			t.Fatalf("the test carries the sample supporter's own unsubscribe link")
		}
		unsub := strings.Trim(m.HeaderMap()["List-Unsubscribe"], "<>")
		if unsub == "" || !strings.Contains(m.TextBody, unsub) {
			t.Fatalf("test unsubscribe link %q not in the text", unsub)
		}
		resp, err := http.Post(env.http.URL+strings.TrimPrefix(unsub, env.cfg.BaseURL.String()), "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("one-click on the test link: %d", resp.StatusCode)
		}
		if page := env.browser().get(strings.TrimPrefix(unsub, env.cfg.BaseURL.String())); !strings.Contains(page.Body, "nobody was unsubscribed") {
			t.Errorf("the test unsubscribe page: %d %s", page.Status, page.Body)
		}
		if s, _ := models.SupporterByID(ctx, env.db.Gorm, sup.ID); s.Status != models.StatusSubscribed {
			t.Errorf("the sample supporter is %s after the test's unsubscribe link", s.Status)
		}
	})
}

// TestSendTestRefusesBadAddresses: more than five addresses, or one that is
// not an address, is a clear 422 and sends nothing.
func TestSendTestRefusesBadAddresses(t *testing.T) {
	run(t, envOptions{work: true}, func(t *testing.T, env *testEnv) {
		doc := env.publish(t, "Careful", "Body.", nil, nil)
		id := journalistSend(t, env, doc)
		tok := env.token(models.RolePressOfficer)
		for body, want := range map[string]string{
			`{"emails":["a@x.org","b@x.org","c@x.org","d@x.org","e@x.org","f@x.org"]}`: "at most 5 addresses",
			`{"emails":["a@x.org","not an address"]}`:                                  "not a valid address",
		} {
			r := env.api("POST", "/api/v1/sends/"+id+"/test", tok, body)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, want) {
				t.Errorf("%s: %d %s", body, r.Status, r.Body)
			}
		}
		if r := env.api("POST", "/api/v1/sends/"+id+"/test", env.token(models.RoleCampaigner), `{}`); r.Status != http.StatusForbidden {
			t.Errorf("a campaigner testing a press release send: %d", r.Status)
		}
		time.Sleep(300 * time.Millisecond)
		var n int64
		env.db.Gorm.Model(&models.OutboxMessage{}).Count(&n)
		if n != 0 {
			t.Errorf("%d messages sent by refused tests", n)
		}
	})
}
