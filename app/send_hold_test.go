package app_test

import (
	"context"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"pressroom/jobs"
	"pressroom/jobs/sendgridfake"
	"pressroom/models"
)

// TestHeldSendShownAndRepointed: a release edited after its journalist sends
// were dispatched (to go at the embargo). The API and the send page show each
// send held and why; Resume is refused with the reason and the page offers no
// Resume button; re-pointing is refused while the release is in review. Once
// it is approved again, one send is re-pointed from the send page's button and
// the other through the API, and each journalist gets exactly one message.
func TestHeldSendShownAndRepointed(t *testing.T) {
	fake := sendgridfake.New("SG.hold").Start()
	defer fake.Close()
	run(t, envOptions{work: true, transport: jobs.NewSendGrid("SG.hold", fake.URL())}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		fake.Reset()
		c := &contract{t: t, env: env, o: fetchOpenAPI(t, env), seen: map[string]bool{}}
		press, viewer, approver, camp := env.token(models.RolePressOfficer), env.token(models.RoleViewer), env.token(models.RoleApprover), env.token(models.RoleCampaigner)
		_, legal, err := models.CreateAPIToken(ctx, env.db.Gorm, env.legal.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		embargo := env.clock.Now().Add(time.Hour)
		doc := env.publish(t, "Held back", "Body.", &embargo, nil)
		if doc.Status != models.StatusScheduled {
			t.Fatalf("release is %s", doc.Status)
		}
		list := func(name, email string) string {
			ml, err := models.CreateMediaList(ctx, env.db.Gorm, name, "")
			if err != nil {
				t.Fatal(err)
			}
			ct, err := models.CreateContact(ctx, env.db.Gorm, models.ContactInput{Email: email, Name: "Journalist"})
			if err != nil {
				t.Fatal(err)
			}
			if err := models.AddContactsToList(ctx, env.db.Gorm, ml.ID, []string{ct.ID}); err != nil {
				t.Fatal(err)
			}
			return ml.ID
		}
		// deliveries counts the send mail the fake accepted per address (the
		// approvers' notifications go through it too).
		deliveries := func() map[string]int {
			got := map[string]int{}
			for _, r := range fake.Recipients() {
				if r.CustomArgs["send_id"] != "" {
					got[r.Email]++
				}
			}
			return got
		}
		const sends, send = "/api/v1/sends", "/api/v1/sends/{id}"
		at := func(id, suffix string) string { return "/api/v1/sends/" + id + suffix }
		var ids []string
		for _, l := range []string{list("Desk", "desk@news.example"), list("Wires", "wire@news.example")} {
			s := c.expect(c.json("POST", sends, sends, press, `{"release_id":"`+doc.ID+`","media_list_ids":["`+l+`"],"schedule":"embargo"}`), 201, "send at embargo")
			id := s["id"].(string)
			c.expect(c.json("POST", send+"/dispatch", at(id, "/dispatch"), press, ""), 202, "dispatch")
			ids = append(ids, id)
		}

		if r := env.api("PATCH", "/api/v1/releases/"+doc.ID, press, `{"body":"Body, changed after the sends were dispatched."}`); r.Status != http.StatusOK || !strings.Contains(r.Body, `"status":"in_review"`) {
			t.Fatalf("edit: %d %s", r.Status, r.Body)
		}
		const reason = "release changed after this send was scheduled: it is in review now"
		for _, id := range ids {
			got := c.expect(c.json("GET", send, at(id, ""), viewer, ""), 200, "held send")
			if got["status"] != "paused" || !strings.Contains(got["held_reason"].(string), reason) {
				t.Fatalf("held send: status %v, held_reason %q", got["status"], got["held_reason"])
			}
		}
		officer := env.login(models.RolePressOfficer)
		if list := officer.get("/admin/sends"); strings.Count(list.Body, "held: the release changed") != 2 {
			t.Fatal("the sends list does not mark the held sends")
		}
		page := officer.get("/admin/sends/" + ids[0])
		if page.Status != 200 || !strings.Contains(page.Body, "Held:") || !strings.Contains(html.UnescapeString(page.Body), reason) {
			t.Fatalf("send page %d does not show the hold", page.Status)
		}
		if strings.Contains(page.Body, ">Resume<") || strings.Contains(page.Body, "/repoint") {
			t.Fatal("the page of a send held by a release in review offers Resume or Re-point")
		}
		if r := c.expect(c.json("POST", send+"/resume", at(ids[0], "/resume"), press, ""), 409, "resume a held send"); !strings.Contains(r["error"].(map[string]any)["message"].(string), "Re-point it") {
			t.Fatalf("resume refused with %v", r)
		}
		c.expect(c.json("POST", send+"/repoint", at(ids[0], "/repoint"), press, ""), 409, "re-point while the release is in review")
		if f := officer.post("/admin/sends/"+ids[0], "/admin/sends/"+ids[0]+"/resume", nil); f.Status != http.StatusSeeOther {
			t.Fatalf("resume form: %d", f.Status)
		}
		if p := officer.get("/admin/sends/" + ids[0]); !strings.Contains(p.Body, "Not done. This send is held") {
			t.Fatal("the send page does not say why Resume was refused")
		}
		if got := deliveries(); len(got) != 0 {
			t.Fatalf("while the release is in review: deliveries %v", got)
		}

		for _, tok := range []string{approver, legal} {
			c.expect(c.json("POST", "/api/v1/releases/{id}/approve", "/api/v1/releases/"+doc.ID+"/approve", tok, `{"comment":"fine"}`), 200, "approve")
		}
		// Past the embargo, so the re-pointed sends are due at once.
		env.clock.Set(embargo.Add(time.Minute))
		page = officer.get("/admin/sends/" + ids[0])
		if !strings.Contains(page.Body, "Re-point to revision 2") || !strings.Contains(html.UnescapeString(page.Body), "revision 2 is approved now, this send carries revision 1") {
			t.Fatal("the send page of a held send with a newer approved revision offers no re-point")
		}
		if f := officer.post("/admin/sends/"+ids[0], "/admin/sends/"+ids[0]+"/repoint", nil); f.Status != http.StatusSeeOther {
			t.Fatalf("re-point form: %d %s", f.Status, f.Body)
		}
		if p := officer.get("/admin/sends/" + ids[0]); !strings.Contains(p.Body, "Re-pointed to revision 2") {
			t.Fatal("no confirmation after re-pointing")
		}
		c.expect(c.json("POST", send+"/repoint", at(ids[1], "/repoint"), camp, ""), 403, "campaigner re-points a press release's send")
		c.expect(c.json("POST", send+"/repoint", at(ids[1], "/repoint"), viewer, ""), 403, "viewer re-points")
		if r := c.expect(c.json("POST", send+"/repoint", at(ids[1], "/repoint"), press, ""), 200, "re-point"); r["revision"] != 2.0 || r["held_reason"] != "" || r["status"] != "queued" {
			t.Fatalf("re-pointed send: %v", r)
		}
		c.expect(c.json("POST", send+"/repoint", at(ids[1], "/repoint"), press, ""), 409, "re-point twice")

		for _, id := range ids {
			var status any
			for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				if status = c.expect(c.json("GET", send, at(id, ""), viewer, ""), 200, "re-pointed send")["status"]; status == "sent" {
					break
				}
			}
			if status != "sent" {
				t.Fatalf("re-pointed send is %v", status)
			}
		}
		time.Sleep(time.Second) // anything more would arrive now
		got := deliveries()
		if len(got) != 2 || got["desk@news.example"] != 1 || got["wire@news.example"] != 1 {
			t.Fatalf("deliveries %v, want one each", got)
		}
		var repointed int64
		env.db.Gorm.Model(&models.AuditEvent{}).Where("action = ?", "send_repointed").Count(&repointed)
		if repointed != 2 {
			t.Fatalf("%d send_repointed audit events", repointed)
		}
	})
}
