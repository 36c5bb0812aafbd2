package app_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"pressroom/models"
)

// TestSendSourceAnalytics: an alert mailed to supporters links to the
// campaign's petition with the send's id as ?src=; signatures that follow
// that link (the page form and the public API) record the send; the campaign
// and petition pages chart them and count them per send, and the CSV of every
// series is formula-safe.
func TestSendSourceAnalytics(t *testing.T) {
	run(t, envOptions{work: true}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		camp := env.token(models.RoleCampaigner)
		cmp := decode[struct{ ID, Slug string }](t, env.api("POST", "/api/v1/campaigns", camp, `{"name":"Arms analytics"}`).Body)
		p := newOpenPetition(t, env, camp, `{"title":"Stop the transfers","target":"The Minister","demand":"Stop them.","campaign_id":"`+cmp.ID+`"}`)

		// An alert whose body links to the petition (and, unrelated, to the
		// newsroom, which keeps its link as it is).
		petURL := env.cfg.URL("/p/" + p.Slug)
		body := "Sign now: [the petition](" + petURL + "?utm_source=x) or " + petURL + " and read " + env.cfg.URL("/news") + "."
		author := env.users[models.RoleCampaigner]
		headline := "=HYPERLINK(\"http://evil\") alert"
		d, err := models.CreateDocument(ctx, env.db.Gorm, author, models.DocumentInput{Kind: models.KindActionAlert, Headline: &headline, Body: &body, CampaignID: &cmp.ID}, env.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.SubmitDocument(ctx, env.db.Gorm, author, d.ID, false, env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		for _, u := range []*models.User{env.users[models.RoleApprover], env.legal} {
			if _, err := models.ApproveDocument(ctx, env.db.Gorm, u, d.ID, "", env.clock.Now()); err != nil {
				t.Fatal(err)
			}
		}
		list := decode[struct{ ID string }](t, env.api("POST", "/api/v1/supporter-lists", camp, `{"name":"Network"}`).Body)
		if r := env.api("POST", "/api/v1/supporter-lists/"+list.ID+"/import", camp, "email,name,consent_at\nreader@example.org,Reader,2026-01-01T00:00:00Z\n"); r.Status != http.StatusOK {
			t.Fatalf("import = %d %s", r.Status, r.Body)
		}
		r := env.api("POST", "/api/v1/sends", camp, `{"release_id":"`+d.ID+`","supporter_list_ids":["`+list.ID+`"]}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("create send = %d %s", r.Status, r.Body)
		}
		send := decode[struct{ ID string }](t, r.Body)
		if r := env.api("POST", "/api/v1/sends/"+send.ID+"/dispatch", camp, ""); r.Status != http.StatusAccepted {
			t.Fatalf("dispatch = %d %s", r.Status, r.Body)
		}
		m := waitOutbox(t, env, "reader@example.org", 1)[0]
		tracked := regexp.MustCompile(regexp.QuoteMeta(petURL) + `\?src=` + send.ID + `\b`)
		if !tracked.MatchString(m.TextBody) {
			t.Fatalf("text part has no tracked petition link:\n%s", m.TextBody)
		}
		if !strings.Contains(m.HTML, `href="`+petURL+`?src=`+send.ID+`&amp;utm_source=x"`) {
			t.Fatalf("html part lacks the tracked links:\n%s", m.HTML)
		}
		if strings.Contains(m.HTML, "/news?src=") {
			t.Error("a newsroom link got the source parameter")
		}
		// The text part shows the Markdown link's address after its words and
		// the bare link: each tracked once.
		if strings.Count(m.TextBody, "src="+send.ID) != 2 {
			t.Errorf("text part: want both petition links tracked once each:\n%s", m.TextBody)
		}

		// The reader follows the link: the page form carries src.
		reader := env.browser()
		link := strings.TrimPrefix(petURL, env.cfg.BaseURL.String()) + "?src=" + send.ID
		page := reader.get(link)
		if page.Status != http.StatusOK || !strings.Contains(page.Body, `name="src" value="`+send.ID+`"`) {
			t.Fatalf("petition page from the email = %d, no src field", page.Status)
		}
		if r := reader.sameOrigin("/p/"+p.Slug, url.Values{"name": {"Reader"}, "email": {"reader@example.org"}, "country": {"GB"}, "src": {send.ID}}); r.Status != http.StatusSeeOther {
			t.Fatalf("sign by form = %d", r.Status)
		}
		// The website's own form forwards src through the public API; a value
		// that is not a send id is dropped, and a missing one is NULL.
		for i, b := range []string{
			`{"name":"Api","email":"api@example.org","country":"FR","src":"` + send.ID + `"}`,
			`{"name":"Junk","email":"junk@example.org","country":"FR","src":"<script>x</script>"}`,
			`{"name":"Plain","email":"plain@example.org","country":"DE"}`,
		} {
			if r := signAPI(t, env, p.Slug, b); r.Status != http.StatusAccepted {
				t.Fatalf("sign %d = %d %s", i, r.Status, r.Body)
			}
		}
		for _, to := range []string{"reader@example.org", "api@example.org", "junk@example.org", "plain@example.org"} {
			n := 1
			if to == "reader@example.org" {
				n = 2 // the alert and the confirmation
			}
			var conf models.OutboxMessage
			for _, mm := range waitOutbox(t, env, to, n) {
				if strings.HasPrefix(mm.Subject, "Please confirm") {
					conf = mm
				}
			}
			l := signatureLinkIn(t, conf)
			if r := env.browser().post(l, l, nil); r.Status != http.StatusOK {
				t.Fatalf("confirm %s = %d", to, r.Status)
			}
		}
		bySrc := map[string]string{}
		for _, s := range signatureRows(t, env, p.ID) {
			bySrc[*s.Email] = deref(s.SendID)
			if s.State != models.SignatureConfirmed {
				t.Fatalf("%s not confirmed", *s.Email)
			}
		}
		if bySrc["reader@example.org"] != send.ID || bySrc["api@example.org"] != send.ID || bySrc["junk@example.org"] != "" || bySrc["plain@example.org"] != "" {
			t.Fatalf("send ids recorded: %v", bySrc)
		}

		// The campaign page: the SVG chart, the countries, the send's row.
		staff := env.login(models.RoleViewer)
		cp := staff.get("/admin/campaigns/" + cmp.ID)
		if cp.Status != http.StatusOK || !strings.Contains(cp.Body, `<svg viewBox="0 0 720 260" role="img"`) || !strings.Contains(cp.Body, "<polyline") ||
			!strings.Contains(cp.Body, "Confirmed signatures over time: 4 in all") {
			t.Fatalf("campaign page %d lacks the chart", cp.Status)
		}
		sendRow := regexp.MustCompile(`(?s)<tr><td><a href="/admin/sends/` + send.ID + `">[^<]*</a>.*?</td><td>1</td><td>\d+</td><td>\d+</td><td>2</td></tr>`)
		if !sendRow.MatchString(cp.Body) {
			t.Fatalf("campaign page lacks the send row (1 recipient, 2 signatures):\n%s", cp.Body)
		}
		if !strings.Contains(cp.Body, "<td>France</td><td>2</td>") || !strings.Contains(cp.Body, "<td>United Kingdom</td><td>1</td>") {
			t.Error("campaign page lacks the country table")
		}
		pp := env.login(models.RoleCampaigner).get("/admin/petitions/" + p.ID)
		if pp.Status != http.StatusOK || !strings.Contains(pp.Body, "<polyline") || !sendRow.MatchString(pp.Body) {
			t.Fatalf("petition page %d lacks the analytics", pp.Status)
		}

		// One CSV with every series; the headline cell cannot run as a formula.
		for _, path := range []string{"/admin/campaigns/" + cmp.ID + "/analytics.csv", "/admin/petitions/" + p.ID + "/analytics.csv"} {
			r := staff.get(path)
			if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
				t.Fatalf("%s = %d %s", path, r.Status, r.Header.Get("Content-Type"))
			}
			recs, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, rec := range recs[1:] {
				seen[rec[0]] = true
				if rec[0] == "by_send" {
					if rec[1] != send.ID || rec[3] != "2" || rec[5] != "1" || !strings.HasPrefix(rec[2], "'=") {
						t.Errorf("%s by_send row %v", path, rec)
					}
				}
				if rec[0] == "over_time" && rec[2] != models.ByHour {
					t.Errorf("%s over_time granularity %v", path, rec)
				}
			}
			if !seen["over_time"] || !seen["by_country"] || !seen["by_send"] {
				t.Errorf("%s series %v", path, seen)
			}
		}
		if r := env.browser().get("/admin/campaigns/" + cmp.ID + "/analytics.csv"); r.Status != http.StatusSeeOther && r.Status != http.StatusFound {
			t.Errorf("anonymous CSV = %d", r.Status)
		}
		_ = time.Second
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestLetterAnalytics: letters to targets count beside signatures on the
// campaign page and the action's own page (over time, by country, per send),
// once confirmed; the action's CSV carries them.
func TestLetterAnalytics(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		camp := env.token(models.RoleCampaigner)
		cmp := decode[struct{ ID, Slug string }](t, env.api("POST", "/api/v1/campaigns", camp, `{"name":"Letters analytics"}`).Body)
		author := env.users[models.RoleCampaigner]
		d, err := models.CreateDocument(ctx, env.db.Gorm, author, models.DocumentInput{Kind: models.KindActionAlert, Headline: ptr("Write to the minister"), Body: ptr("Write."), CampaignID: &cmp.ID}, env.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		// A send of the alert (its figures come from the provider's events).
		send := &models.Send{ID: models.NewID(), DocumentID: d.ID, Kind: models.KindActionAlert, Revision: 1, Status: models.SendSent, Schedule: "now", Recipients: 40, Opened: 12, Clicked: 5,
			CreatedAt: env.clock.Now(), UpdatedAt: env.clock.Now()}
		if err := env.db.Gorm.Create(send).Error; err != nil {
			t.Fatal(err)
		}
		now := env.clock.Now()
		for i, l := range []struct {
			country, state string
			send           bool
		}{{"KE", "confirmed", true}, {"KE", "confirmed", true}, {"GB", "confirmed", false}, {"GB", "pending", true}} {
			var sendID *string
			if l.send {
				sendID = &send.ID
			}
			var confirmed *time.Time
			if l.state == "confirmed" {
				at := now.Add(time.Duration(i) * time.Hour)
				confirmed = &at
			}
			if err := env.db.Gorm.Exec(`INSERT INTO letters (id, document_id, name, email, normalised_email, country, subject, body, state, created_at, confirmed_at, send_id)
				VALUES (?, ?, 'Writer', ?, ?, ?, 'Subject', 'Body', ?, ?, ?, ?)`, models.NewID(), d.ID, "w"+strconv.Itoa(i)+"@example.org", "w"+strconv.Itoa(i)+"@example.org",
				l.country, l.state, now, confirmed, sendID).Error; err != nil {
				t.Fatal(err)
			}
		}
		staff := env.login(models.RoleViewer)
		sendRow := regexp.MustCompile(`(?s)<a href="/admin/sends/` + send.ID + `">[^<]*</a>.*?</td><td>40</td><td>12</td><td>5</td><td>0</td><td>2</td></tr>`)
		for _, path := range []string{"/admin/campaigns/" + cmp.ID, "/admin/releases/" + d.ID} {
			page := staff.get(path)
			if page.Status != http.StatusOK || !strings.Contains(page.Body, "Confirmed signatures over time: 0 in all, and 3 letters") || !strings.Contains(page.Body, "chart-letters") {
				t.Fatalf("%s = %d: no letters chart", path, page.Status)
			}
			if !strings.Contains(page.Body, "<td>Kenya</td><td>0</td><td>2</td>") || !sendRow.MatchString(page.Body) {
				t.Errorf("%s lacks the letters by country or per send", path)
			}
		}
		r := staff.get("/admin/releases/" + d.ID + "/analytics.csv")
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "by_send,"+send.ID+",Write to the minister,0,2,40,0,12,5") {
			t.Fatalf("action CSV = %d %s", r.Status, r.Body)
		}
	})
}
