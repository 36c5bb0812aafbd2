package app_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"pressroom/models"
)

var newsroomConfirmLink = regexp.MustCompile(`https?://[^\s"<>]+/newsroom/subscribe/confirm/[A-Za-z0-9_-]+`)

// TestJournalistSubscribesToNewsroom: the public "Get our releases" form
// offers the beats and countries in use, refuses others clearly, and makes a
// pending media contact that no send reaches; the emailed link's page
// changes nothing until its button is pressed, which puts the journalist in
// the "Newsroom subscribers" list; asking again sends nothing more; the
// releases they then get carry a one-click unsubscribe that suppresses them
// and takes them off the list.
func TestJournalistSubscribesToNewsroom(t *testing.T) {
	run(t, envOptions{work: true}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		db := env.db.Gorm
		if _, err := models.CreateContact(ctx, db, models.ContactInput{Email: "desk@paper.example", Beats: "climate,courts", Countries: "GB,MT"}); err != nil {
			t.Fatal(err)
		}
		anon := env.browser()
		form := anon.get("/newsroom/subscribe")
		for _, want := range []string{`value="climate"`, `value="courts"`, `value="MT"`, "Malta", "Get our releases"} {
			if !strings.Contains(form.Body, want) {
				t.Errorf("form lacks %s", want)
			}
		}
		if r := anon.post("/newsroom/subscribe", "/newsroom/subscribe", url.Values{"email": {"ana@wire.example"}, "name": {"Ana Reporter"}, "beats": {"astrology"}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "choose from the list (not offered: astrology)") {
			t.Errorf("an unknown beat: %d", r.Status)
		}
		sub := url.Values{"email": {"Ana@Wire.example"}, "name": {"Ana Reporter"}, "outlet": {"Wire"}, "beats": {"climate"}, "countries": {"MT"}}
		if r := anon.post("/newsroom/subscribe", "/newsroom/subscribe", sub); r.Status != http.StatusSeeOther || r.Location != "/newsroom/subscribe/thanks" {
			t.Fatalf("subscribe: %d %s", r.Status, r.Location)
		}
		var c models.MediaContact
		if err := db.Where("email = ?", "ana@wire.example").First(&c).Error; err != nil {
			t.Fatal(err)
		}
		if c.NewsroomStatus != models.NewsroomPending || c.Outlet != "Wire" || c.Beats != "climate" || c.Countries != "MT" || c.Name != "Ana Reporter" {
			t.Errorf("pending contact: %+v", c)
		}
		if n, _ := models.CountContacts(ctx, db, models.MediaFilter{Sendable: true, Q: "ana@"}); n != 0 {
			t.Errorf("a pending subscriber counts as sendable")
		}
		m := waitOutbox(t, env, "ana@wire.example", 1)[0]
		link := newsroomConfirmLink.FindString(m.TextBody)
		if link == "" {
			t.Fatalf("no confirmation link in %s", m.TextBody)
		}
		path := strings.TrimPrefix(link, env.cfg.BaseURL.String())
		if r := anon.get(path); r.Status != http.StatusOK || !strings.Contains(r.Body, "Yes, send me your releases") {
			t.Fatalf("confirm page: %d", r.Status)
		}
		_ = db.First(&c, "id = ?", c.ID)
		if c.NewsroomStatus != models.NewsroomPending {
			t.Fatalf("a GET confirmed the subscription")
		}
		if r := anon.post(path, path, url.Values{}); r.Status != http.StatusOK || !strings.Contains(r.Body, "You will get our releases") {
			t.Fatalf("confirm: %d", r.Status)
		}
		_ = db.First(&c, "id = ?", c.ID)
		var list models.MediaList
		if err := db.Where("name = ?", models.NewsroomSubscribersList).First(&list).Error; err != nil {
			t.Fatal(err)
		}
		ids, _ := models.ContactListIDs(ctx, db, c.ID)
		if c.NewsroomStatus != models.NewsroomSubscribed || len(ids) != 1 || ids[0] != list.ID {
			t.Fatalf("after confirming: %s, lists %v", c.NewsroomStatus, ids)
		}
		// Asking again: the same answer, no email.
		if r := anon.post("/newsroom/subscribe", "/newsroom/subscribe", sub); r.Status != http.StatusSeeOther {
			t.Errorf("subscribing again: %d", r.Status)
		}

		// The releases they get carry a one-click unsubscribe.
		doc := env.publish(t, "For subscribers", "Body.", nil, nil)
		tok := env.token(models.RolePressOfficer)
		r := env.api("POST", "/api/v1/sends", tok, `{"release_id":"`+doc.ID+`","media_list_ids":["`+list.ID+`"]}`)
		id := decode[struct{ ID string }](t, r.Body).ID
		if r := env.api("POST", "/api/v1/sends/"+id+"/dispatch", tok, ""); r.Status != http.StatusAccepted {
			t.Fatalf("dispatch: %d %s", r.Status, r.Body)
		}
		ms := waitOutbox(t, env, "ana@wire.example", 2)
		if len(ms) != 2 {
			t.Errorf("%d messages; asking again must send nothing", len(ms))
		}
		rel := ms[0]
		if !strings.Contains(rel.Subject, "For subscribers") {
			rel = ms[1]
		}
		unsub := strings.Trim(rel.HeaderMap()["List-Unsubscribe"], "<>")
		if !strings.Contains(unsub, "/u/j-") || !strings.Contains(rel.TextBody, unsub) {
			t.Fatalf("release mail: List-Unsubscribe %q", unsub)
		}
		upath := strings.TrimPrefix(unsub, env.cfg.BaseURL.String())
		if p := anon.get(upath); p.Status != http.StatusOK || !strings.Contains(p.Body, "Stop our press releases") {
			t.Errorf("unsubscribe page: %d", p.Status)
		}
		resp, err := http.Post(env.http.URL+upath, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("one-click: %d", resp.StatusCode)
		}
		_ = db.First(&c, "id = ?", c.ID)
		ids, _ = models.ContactListIDs(ctx, db, c.ID)
		if _, err := models.SuppressionFor(ctx, db, c.Email); err != nil || c.NewsroomStatus != models.NewsroomUnsubscribed || len(ids) != 0 {
			t.Errorf("after one-click: suppression %v, status %s, lists %v", err, c.NewsroomStatus, ids)
		}
	})
}
