package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"pressroom/app"
	"pressroom/models"
)

// waitOutbox waits for the River worker to deliver a message to an address.
func waitOutbox(t *testing.T, env *testEnv, to string, n int) []models.OutboxMessage {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ms, err := models.OutboxMessages(context.Background(), env.db.Gorm, to, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) >= n {
			return ms
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages to %s after 20s, want %d", len(ms), to, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var confirmLink = regexp.MustCompile(`/subscribe/confirm/([a-z2-7]+)`)

func confirmPath(t *testing.T, m models.OutboxMessage) string {
	t.Helper()
	match := confirmLink.FindString(m.TextBody)
	if match == "" {
		t.Fatalf("no confirmation link in %q", m.TextBody)
	}
	return match
}

func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	return v
}

func consentActions(t *testing.T, env *testEnv, id string) []string {
	t.Helper()
	rs, err := models.ConsentRecords(context.Background(), env.db.Gorm, id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rs {
		out = append(out, r.Action)
	}
	return out
}

// TestDoubleOptIn subscribes through the public API and the public form, follows
// the emailed link, and re-subscribes after an unsubscribe.
func TestDoubleOptIn(t *testing.T) {
	run(t, envOptions{work: true}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		camp := env.token(models.RoleCampaigner)
		r := env.api("POST", "/api/v1/supporter-lists", camp, `{"name":"Urgent Action Network"}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("create list = %d %s", r.Status, r.Body)
		}
		list := decode[struct{ ID string }](t, r.Body)

		r = env.api("POST", "/api/v1/public/subscribe", "", `{"email":"not an address"}`)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `"email"`) {
			t.Fatalf("bad email = %d %s", r.Status, r.Body)
		}
		r = env.api("POST", "/api/v1/public/subscribe", "", `{"email":"New.Person@Example.org","name":"New Person","country":"gb","list_id":"`+list.ID+`"}`)
		if r.Status != http.StatusAccepted {
			t.Fatalf("subscribe = %d %s", r.Status, r.Body)
		}
		sup, err := models.SupporterByEmail(ctx, env.db.Gorm, "new.person@example.org")
		if err != nil || sup.Status != models.StatusPending || sup.Country != "GB" {
			t.Fatalf("after subscribe: %+v %v", sup, err)
		}
		m := waitOutbox(t, env, "new.person@example.org", 1)[0]
		if m.Subject != "Please confirm your subscription" {
			t.Errorf("subject %q", m.Subject)
		}
		link := confirmPath(t, m)
		var stored int64
		env.db.Gorm.Model(&models.SubscriptionToken{}).Where("token_hash = ?", models.HashSecret(strings.TrimPrefix(link, "/subscribe/confirm/"))).Count(&stored)
		if stored != 1 {
			t.Error("the token is not stored as its hash")
		}
		anon := env.browser()
		// Opening the link (as a mail scanner does) shows one button and
		// confirms nothing; pressing it confirms.
		if r := anon.get(link); r.Status != http.StatusOK || !strings.Contains(r.Body, "Confirm my subscription") {
			t.Fatalf("confirm page = %d %s", r.Status, r.Body)
		}
		if s, _ := models.SupporterByEmail(ctx, env.db.Gorm, "new.person@example.org"); s.Status != models.StatusPending {
			t.Fatalf("a GET on the link changed the status to %s", s.Status)
		}
		if r := anon.post(link, link, nil); r.Status != http.StatusOK || !strings.Contains(r.Body, "You are subscribed") {
			t.Fatalf("confirm = %d %s", r.Status, r.Body)
		}
		sup, _ = models.SupporterByEmail(ctx, env.db.Gorm, "new.person@example.org")
		if sup.Status != models.StatusSubscribed {
			t.Fatalf("status after confirm = %s", sup.Status)
		}
		if n, _ := models.CountSupporters(ctx, env.db.Gorm, models.SupporterFilter{ListIDs: []string{list.ID}, Sendable: true}); n != 1 {
			t.Errorf("list has %d sendable supporters, want 1", n)
		}
		if r := anon.get(link); r.Status != http.StatusOK {
			t.Errorf("second visit of the link = %d", r.Status)
		}
		if got := consentActions(t, env, sup.ID); strings.Join(got, ",") != "subscribe_requested,confirmed" {
			t.Errorf("consent records = %v", got)
		}
		rs, _ := models.ConsentRecords(ctx, env.db.Gorm, sup.ID)
		if rs[1].IP == "" || rs[1].WordingVersion != models.ConsentWordingVersion {
			t.Errorf("confirmation record lacks IP or wording: %+v", rs[1])
		}
		if r := anon.get("/subscribe/confirm/nosuchtoken"); r.Status != http.StatusNotFound {
			t.Errorf("unknown token = %d", r.Status)
		}

		// Unsubscribe, then subscribe again: a fresh confirmation is needed.
		if err := models.Unsubscribe(ctx, env.db.Gorm, sup.ID, "test", ""); err != nil {
			t.Fatal(err)
		}
		r = env.api("POST", "/api/v1/public/subscribe", "", `{"email":"new.person@example.org"}`)
		if r.Status != http.StatusAccepted {
			t.Fatalf("re-subscribe = %d", r.Status)
		}
		if s, _ := models.SupporterByEmail(ctx, env.db.Gorm, "new.person@example.org"); s.Status != models.StatusUnsubscribed {
			t.Errorf("re-subscribing changed status to %s before confirmation", s.Status)
		}
		ms := waitOutbox(t, env, "new.person@example.org", 2)
		if r := anon.post(confirmPath(t, ms[0]), confirmPath(t, ms[0]), nil); r.Status != http.StatusOK {
			t.Fatalf("second confirm = %d", r.Status)
		}
		if s, _ := models.SupporterByEmail(ctx, env.db.Gorm, "new.person@example.org"); s.Status != models.StatusSubscribed {
			t.Errorf("after reconfirming: %s", s.Status)
		}
		if ok, _ := models.IsSuppressed(ctx, env.db.Gorm, "new.person@example.org"); ok {
			t.Error("their own unsubscribe suppression was not lifted by the new opt-in")
		}

		// The HTML form: consent box required, then redirect to the thanks page.
		b := env.browser()
		r = b.post("/subscribe", "/subscribe", url.Values{"email": {"form@example.org"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "consent-error") {
			t.Fatalf("without consent = %d", r.Status)
		}
		r = b.post("/subscribe", "/subscribe", url.Values{"email": {"Form@Example.org"}, "name": {"Form"}, "consent": {"yes"}})
		if r.Status != http.StatusSeeOther || r.Location != "/subscribe/thanks" {
			t.Fatalf("form subscribe = %d %q", r.Status, r.Location)
		}
		waitOutbox(t, env, "form@example.org", 1)
	})
}

// TestSubscribeRateLimit refuses the public endpoint past the per-IP limit.
func TestSubscribeRateLimit(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		var last int
		for i := range 21 {
			last = env.api("POST", "/api/v1/public/subscribe", "", `{"email":"rate`+itoa(int64(i))+`@example.org"}`).Status
			if i < 20 && last != http.StatusAccepted {
				t.Fatalf("request %d = %d", i, last)
			}
		}
		if last != http.StatusTooManyRequests {
			t.Fatalf("21st request = %d, want 429", last)
		}
		env.clock.Advance(11 * time.Minute)
		if s := env.api("POST", "/api/v1/public/subscribe", "", `{"email":"later@example.org"}`).Status; s != http.StatusAccepted {
			t.Errorf("after the window = %d", s)
		}
	})
}

// subscribed creates a confirmed supporter directly.
func subscribed(t *testing.T, env *testEnv, email string) *models.Supporter {
	t.Helper()
	ctx := context.Background()
	var tok string
	err := models.Transaction(ctx, env.db.Gorm, func(tx *gorm.DB) error {
		res, err := models.RequestSubscription(ctx, tx, models.SubscribeInput{Email: email, Source: "test"})
		if err == nil {
			tok = res.Token
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sup, err := models.ConfirmSubscription(ctx, env.db.Gorm, tok, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	return sup
}

// TestOneClickUnsubscribe posts RFC 8058's body with no cookie and no CSRF
// token, twice, and uses the preferences page's own forms.
func TestOneClickUnsubscribe(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		sup := subscribed(t, env, "reader@example.org")
		u := env.server.UnsubscribeURL(sup.ID)
		if !strings.HasPrefix(u, env.cfg.BaseURL.String()+"/u/") {
			t.Fatalf("unsubscribe URL %q", u)
		}
		path := strings.TrimPrefix(u, env.cfg.BaseURL.String())
		oneClick := func() int {
			resp, err := http.Post(env.http.URL+path, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if s := oneClick(); s != http.StatusOK {
			t.Fatalf("one-click = %d", s)
		}
		if s := oneClick(); s != http.StatusOK {
			t.Fatalf("repeated one-click = %d", s)
		}
		got, _ := models.SupporterByID(ctx, env.db.Gorm, sup.ID)
		if got.Status != models.StatusUnsubscribed {
			t.Errorf("status = %s", got.Status)
		}
		sp, err := models.SuppressionFor(ctx, env.db.Gorm, "reader@example.org")
		if err != nil || sp.Reason != models.SuppressUnsubscribe {
			t.Errorf("suppression = %+v %v", sp, err)
		}
		if acts := consentActions(t, env, sup.ID); strings.Count(strings.Join(acts, ","), "unsubscribed") != 1 {
			t.Errorf("consent actions = %v, want exactly one unsubscribe", acts)
		}
		// A forged token and a tampered one are refused.
		if r := env.browser().get("/u/" + sup.ID + ".aaaaaaaaaaaaaaaaaaaaaaaaaa"); r.Status != http.StatusNotFound {
			t.Errorf("tampered token = %d", r.Status)
		}

		// The preferences page, with CSRF.
		other := subscribed(t, env, "prefs@example.org")
		p := strings.TrimPrefix(env.server.UnsubscribeURL(other.ID), env.cfg.BaseURL.String())
		b := env.browser()
		if r := b.get(p); r.Status != http.StatusOK || !strings.Contains(r.Body, "prefs@example.org") {
			t.Fatalf("preferences page = %d", r.Status)
		}
		if r := b.do("POST", p, url.Values{"action": {"unsubscribe"}}, nil); r.Status != http.StatusForbidden {
			t.Errorf("form post without CSRF = %d, want 403", r.Status)
		}
		r := b.post(p, p, url.Values{"action": {"preferences"}, "topics": {"petitions"}, "frequency": {"weekly"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("save preferences = %d %s", r.Status, r.Body)
		}
		got, _ = models.SupporterByID(ctx, env.db.Gorm, other.ID)
		if got.Topics != "petitions" || got.Frequency != "weekly" || got.Status != models.StatusSubscribed {
			t.Errorf("after preferences: %+v", got)
		}
		if r := b.post(p, p, url.Values{"action": {"unsubscribe"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("unsubscribe form = %d", r.Status)
		}
		got, _ = models.SupporterByID(ctx, env.db.Gorm, other.ID)
		if got.Status != models.StatusUnsubscribed {
			t.Errorf("after unsubscribe form: %s", got.Status)
		}
	})
}

// TestUnsubscribeLinksSurviveSecretRotation: a supporter clicks the link of an
// email sent before SESSION_SECRET was rotated. It is refused unless the old
// secret is listed in SESSION_SECRET_PREVIOUS, and then it unsubscribes.
func TestUnsubscribeLinksSurviveSecretRotation(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		sup := subscribed(t, env, "old.mail@example.org")
		oldSecret := strings.Repeat("o", 32)
		before, err := app.LoadConfig(func(k string) string {
			if k == "SESSION_SECRET" {
				return oldSecret
			}
			return ""
		}, app.ModeDev)
		if err != nil {
			t.Fatal(err)
		}
		link := strings.TrimPrefix(models.UnsubscribeURL(env.cfg.BaseURL.String(), before.UnsubscribeKey(), sup.ID), env.cfg.BaseURL.String())
		oneClick := func() int {
			resp, err := http.Post(env.http.URL+link, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if s := oneClick(); s != http.StatusNotFound {
			t.Fatalf("a link signed with an unknown secret = %d, want 404", s)
		}
		env.cfg.PreviousSessionSecrets = [][]byte{[]byte(oldSecret)}
		if s := oneClick(); s != http.StatusOK {
			t.Fatalf("a link signed with a previous secret = %d, want 200", s)
		}
		if got, _ := models.SupporterByID(ctx, env.db.Gorm, sup.ID); got.Status != models.StatusUnsubscribed {
			t.Errorf("status = %s, want unsubscribed", got.Status)
		}
		// New mail is signed with the current secret only.
		if u := env.server.UnsubscribeURL(sup.ID); strings.HasSuffix(u, strings.TrimPrefix(link, "/u/")) {
			t.Errorf("new links are still signed with the previous secret: %s", u)
		}
	})
}

// TestErasure exports and erases a supporter through the admin UI: personal
// data goes, the row and a hash-only suppression stay, and the address can be
// neither mailed nor re-imported.
func TestErasure(t *testing.T) {
	run(t, envOptions{work: true}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		sup := subscribed(t, env, "erase.me@example.org")
		if err := models.UpdateSupporter(ctx, env.db.Gorm, sup.ID, models.SupporterInput{Name: "Erin Ease", Country: "GB", Tags: "donor"}); err != nil {
			t.Fatal(err)
		}
		b := env.login(models.RoleCampaigner)
		r := b.get("/admin/supporters/" + sup.ID + "/export.json")
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "erase.me@example.org") || !strings.Contains(r.Body, "confirmed") {
			t.Fatalf("export = %d %s", r.Status, r.Body)
		}
		exp := decode[models.SupporterExport](t, r.Body)
		if exp.Supporter.Name != "Erin Ease" || len(exp.ConsentRecords) != 2 {
			t.Errorf("export = %+v", exp)
		}
		var before int64
		env.db.Gorm.Model(&models.Supporter{}).Count(&before)

		if r := env.login(models.RolePressOfficer).post("/admin/supporters/"+sup.ID, "/admin/supporters/"+sup.ID+"/erase", nil); r.Status != http.StatusForbidden {
			t.Errorf("press officer erase = %d, want 403", r.Status)
		}
		r = b.post("/admin/supporters/"+sup.ID, "/admin/supporters/"+sup.ID+"/erase", nil)
		if r.Status != http.StatusSeeOther {
			t.Fatalf("erase = %d %s", r.Status, r.Body)
		}
		got, err := models.SupporterByID(ctx, env.db.Gorm, sup.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Email != nil || got.Name != "" || got.Country != "" || got.Tags != "" || got.ErasedAt == nil || got.Status != models.StatusUnsubscribed {
			t.Errorf("after erasure: %+v", got)
		}
		var after int64
		env.db.Gorm.Model(&models.Supporter{}).Count(&after)
		if after != before {
			t.Errorf("supporter rows %d → %d; the row should stay for counts", before, after)
		}
		var sps []models.Suppression
		env.db.Gorm.Where("email_hash = ?", models.EmailHash("erase.me@example.org")).Find(&sps)
		if len(sps) != 1 || sps[0].Email != nil {
			t.Errorf("suppressions = %+v, want one with the hash only", sps)
		}
		var leaked int64
		env.db.Gorm.Model(&models.ConsentRecord{}).Where("supporter_id = ? AND ip <> ''", sup.ID).Count(&leaked)
		if leaked != 0 {
			t.Errorf("%d consent records still hold an IP", leaked)
		}
		evs, _ := models.AuditEvents(ctx, env.db.Gorm, models.AuditFilter{Action: "supporter_erased", SubjectID: sup.ID})
		if len(evs) != 1 {
			t.Errorf("audit events = %d", len(evs))
		}
		if r := b.get("/admin/supporters/" + sup.ID); r.Status != http.StatusOK || strings.Contains(r.Body, "erase.me@example.org") {
			t.Errorf("supporter page after erasure = %d, leaks address: %v", r.Status, strings.Contains(r.Body, "erase.me@example.org"))
		}

		// Subscribing again sends nothing and stores nothing.
		if s := env.api("POST", "/api/v1/public/subscribe", "", `{"email":"Erase.Me@example.org","name":"Erin"}`).Status; s != http.StatusAccepted {
			t.Fatalf("subscribe after erasure = %d", s)
		}
		if _, err := models.SupporterByEmail(ctx, env.db.Gorm, "erase.me@example.org"); err == nil {
			t.Error("subscribe re-created the erased person")
		}
		// Re-import is refused for that row.
		camp := env.token(models.RoleCampaigner)
		list := decode[struct{ ID string }](t, env.api("POST", "/api/v1/supporter-lists", camp, `{"name":"Reimport"}`).Body)
		r = env.api("POST", "/api/v1/supporter-lists/"+list.ID+"/import", camp, "email,name\nerase.me@example.org,Erin\nkeep@example.org,Keep\n")
		res := decode[models.ImportResult](t, r.Body)
		if r.Status != http.StatusOK || res.Imported != 1 || len(res.Rejected) != 1 || res.Rejected[0].Row != 2 || !strings.Contains(res.Rejected[0].Reason, "erased") {
			t.Errorf("re-import = %d %s", r.Status, r.Body)
		}
		time.Sleep(500 * time.Millisecond) // give the worker a chance to (wrongly) send
		if ms, _ := models.OutboxMessages(ctx, env.db.Gorm, "erase.me@example.org", 10); len(ms) != 0 {
			t.Errorf("%d messages sent to an erased address", len(ms))
		}
	})
}

// TestImportAPI imports corpus files through the JSON API.
func TestImportAPI(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		press := env.token(models.RolePressOfficer)
		r := env.api("POST", "/api/v1/media-lists", press, `{"name":"Defence correspondents"}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("create = %d %s", r.Status, r.Body)
		}
		list := decode[struct{ ID string }](t, r.Body)
		if r := env.api("POST", "/api/v1/media-lists", press, `{"name":"defence correspondents "}`); r.Status != http.StatusConflict && r.Status != http.StatusCreated {
			t.Errorf("duplicate-ish name = %d", r.Status)
		}
		if r := env.api("POST", "/api/v1/media-lists", press, `{"name":"Defence correspondents"}`); r.Status != http.StatusConflict {
			t.Errorf("duplicate name = %d, want 409", r.Status)
		}
		data, _ := os.ReadFile("../testdata/csv/media_semicolon_crlf.csv")
		r = env.api("POST", "/api/v1/media-lists/"+list.ID+"/import", press, string(data))
		if r.Status != http.StatusOK {
			t.Fatalf("import = %d %s", r.Status, r.Body)
		}
		res := decode[models.ImportResult](t, r.Body)
		if res.Imported != 2 || res.Updated != 1 || len(res.Rejected) != 1 || res.Rejected[0].Row != 4 {
			t.Errorf("import result = %s", r.Body)
		}
		data, _ = os.ReadFile("../testdata/csv/supporters_unreadable_quote.csv")
		r = env.api("POST", "/api/v1/media-lists/"+list.ID+"/import", press, string(data))
		// A broken quote loses only its line; the rows around it import.
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `"imported":2`) || !strings.Contains(r.Body, `{"row":3,"reason":"line 3: a quote`) {
			t.Errorf("broken quote = %d %s", r.Status, r.Body)
		}
		if n, _ := models.CountContacts(ctx, env.db.Gorm, models.MediaFilter{}); n != 4 {
			t.Errorf("%d contacts stored, want 4", n)
		}
		if r := env.api("POST", "/api/v1/media-lists/nosuchlist/import", press, "email\na@example.org\n"); r.Status != http.StatusNotFound {
			t.Errorf("unknown list = %d", r.Status)
		}
		r = env.api("GET", "/api/v1/contacts?q=daily&limit=1", press, "")
		page := decode[struct {
			Items      []struct{ Email string }
			NextCursor *string `json:"next_cursor"`
		}](t, r.Body)
		if r.Status != http.StatusOK || len(page.Items) != 1 || page.Items[0].Email != "editor@news.example" || page.NextCursor == nil {
			t.Fatalf("contacts page 1 = %d %s", r.Status, r.Body)
		}
		r = env.api("GET", "/api/v1/contacts?q=daily&limit=1&cursor="+*page.NextCursor, press, "")
		if !strings.Contains(r.Body, "reporter@news.example") {
			t.Errorf("contacts page 2 = %s", r.Body)
		}
		r = env.api("GET", "/api/v1/media-lists", env.token(models.RoleViewer), "")
		if !strings.Contains(r.Body, `"members":4`) {
			t.Errorf("media lists = %s", r.Body)
		}

		camp := env.token(models.RoleCampaigner)
		sl := decode[struct{ ID string }](t, env.api("POST", "/api/v1/supporter-lists", camp, `{"name":"Imported"}`).Body)
		data, _ = os.ReadFile("../testdata/csv/supporters_utf8_bom_crlf.csv")
		r = env.api("POST", "/api/v1/supporter-lists/"+sl.ID+"/import", camp, string(data))
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `"imported":3`) || !strings.Contains(r.Body, `"rejected":[]`) {
			t.Fatalf("supporter import = %d %s", r.Status, r.Body)
		}
		r = env.api("GET", "/api/v1/supporters?status=pending", camp, "")
		if !strings.Contains(r.Body, "ben@example.org") || strings.Contains(r.Body, "ana@example.org") {
			t.Errorf("pending supporters = %s", r.Body)
		}
	})
}

// TestImportUI uploads a file, checks the preview, remaps a column, imports,
// and downloads the rejected rows.
func TestImportUI(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		l, err := models.CreateSupporterList(ctx, env.db.Gorm, "Event sign-ups", "")
		if err != nil {
			t.Fatal(err)
		}
		b := env.login(models.RoleCampaigner)
		base := "/admin/supporters/lists/" + l.ID + "/import"
		token := b.csrf(base)
		data, _ := os.ReadFile("../testdata/csv/supporters_duplicates_invalid.csv")
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("csrf_token", token)
		fw, _ := mw.CreateFormFile("file", "people.csv")
		_, _ = fw.Write(data)
		mw.Close()
		req, _ := http.NewRequest("POST", env.http.URL+base+"/preview", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := b.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `name="map_email"`) || !strings.Contains(string(page), "Dup@Example.org") {
			t.Fatalf("preview = %d %s", resp.StatusCode, page)
		}
		m := regexp.MustCompile(`name="file_data" value="([^"]+)"`).FindStringSubmatch(string(page))
		if m == nil {
			t.Fatal("preview does not carry the file")
		}
		// Import without the country column.
		r := b.post(base, base, url.Values{"file_data": {m[1]}, "map_email": {"0"}, "map_name": {"1"}, "map_country": {"-1"}})
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/admin/imports/") {
			t.Fatalf("import = %d %s", r.Status, r.Body)
		}
		if s := supporter(t, env, "other@example.org"); s.Country != "" || s.Name != "Other" {
			t.Errorf("unmapped column was imported: %+v", s)
		}
		r = b.get(r.Location)
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "invalid email address") {
			t.Fatalf("result page = %d", r.Status)
		}
		csvLink := regexp.MustCompile(`/admin/imports/[a-z2-7]+/rejects\.csv`).FindString(r.Body)
		r = b.get(csvLink)
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "6,missing email address") || !strings.Contains(r.Body, "not-an-address") {
			t.Errorf("rejects.csv = %d %s", r.Status, r.Body)
		}
		// An unreadable file re-renders the upload form with the reason.
		body.Reset()
		mw = multipart.NewWriter(&body)
		_ = mw.WriteField("csrf_token", token)
		fw, _ = mw.CreateFormFile("file", "bad.csv")
		_, _ = fw.Write([]byte("name\nno email here\n"))
		mw.Close()
		req, _ = http.NewRequest("POST", env.http.URL+base+"/preview", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, _ = b.client.Do(req)
		page, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "map_email-error") {
			t.Errorf("file without an email column = %d", resp.StatusCode)
		}
	})
}

func supporter(t *testing.T, env *testEnv, email string) *models.Supporter {
	t.Helper()
	s, err := models.SupporterByEmail(context.Background(), env.db.Gorm, email)
	if err != nil {
		t.Fatalf("%s: %v", email, err)
	}
	return s
}

// TestAudienceRoles checks who may change what: press officers own media,
// campaigners own supporters, viewers read.
func TestAudienceRoles(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		ml, _ := models.CreateMediaList(ctx, env.db.Gorm, "Media", "")
		sl, _ := models.CreateSupporterList(ctx, env.db.Gorm, "Supporters", "")
		type call struct{ method, path, body string }
		mediaWrites := []call{{"POST", "/api/v1/media-lists", `{"name":"x"}`}, {"POST", "/api/v1/media-lists/" + ml.ID + "/import", "email\na@example.org\n"}}
		supporterWrites := []call{{"POST", "/api/v1/supporter-lists", `{"name":"y"}`}, {"POST", "/api/v1/supporter-lists/" + sl.ID + "/import", "email\nb@example.org\n"}}
		reads := []call{{"GET", "/api/v1/media-lists", ""}, {"GET", "/api/v1/supporter-lists", ""}}
		for _, role := range models.Roles {
			tok := env.token(role)
			for _, c := range mediaWrites {
				want := role == models.RoleAdmin || role == models.RolePressOfficer
				if s := env.api(c.method, c.path, tok, c.body).Status; (s == http.StatusForbidden) == want {
					t.Errorf("%s %s as %s = %d", c.method, c.path, role, s)
				}
			}
			for _, c := range supporterWrites {
				want := role == models.RoleAdmin || role == models.RoleCampaigner
				if s := env.api(c.method, c.path, tok, c.body).Status; (s == http.StatusForbidden) == want {
					t.Errorf("%s %s as %s = %d", c.method, c.path, role, s)
				}
			}
			for _, c := range reads {
				if s := env.api(c.method, c.path, tok, c.body).Status; s != http.StatusOK {
					t.Errorf("%s %s as %s = %d, want 200", c.method, c.path, role, s)
				}
			}
			// People (personal data) only for the roles that own them.
			if s, want := env.api("GET", "/api/v1/contacts", tok, "").Status, role == models.RoleAdmin || role == models.RolePressOfficer; (s == http.StatusOK) != want || (!want && s != http.StatusForbidden) {
				t.Errorf("GET /api/v1/contacts as %s = %d", role, s)
			}
			if s, want := env.api("GET", "/api/v1/supporters", tok, "").Status, role == models.RoleAdmin || role == models.RoleCampaigner; (s == http.StatusOK) != want || (!want && s != http.StatusForbidden) {
				t.Errorf("GET /api/v1/supporters as %s = %d", role, s)
			}
		}
		// Browser: exports and writes refused to the wrong roles.
		viewer := env.login(models.RoleViewer)
		for _, p := range []string{"/admin/supporters/export.csv", "/admin/media/export.csv", "/admin/media/contacts/new"} {
			if r := viewer.get(p); r.Status != http.StatusForbidden {
				t.Errorf("viewer GET %s = %d", p, r.Status)
			}
		}
		if r := viewer.get("/admin/supporters"); r.Status != http.StatusOK || !strings.Contains(r.Body, `id="counts-only"`) {
			t.Errorf("viewer's supporters page = %d, want counts only", r.Status)
		}
		camp := env.login(models.RoleCampaigner)
		if r := camp.post("/admin/media", "/admin/media/contacts", url.Values{"email": {"j@example.org"}}); r.Status != http.StatusForbidden {
			t.Errorf("campaigner creates contact = %d", r.Status)
		}
		if r := camp.get("/admin/supporters/export.csv?list_id=" + sl.ID); r.Status != http.StatusOK || !strings.HasPrefix(r.Body, "email,name") {
			t.Errorf("campaigner export = %d", r.Status)
		}
		press := env.login(models.RolePressOfficer)
		if r := press.post("/admin/suppressions", "/admin/suppressions", url.Values{"email": {"Blocked@Example.org"}, "note": {"asked by phone"}}); r.Status != http.StatusSeeOther {
			t.Errorf("press officer adds suppression = %d", r.Status)
		}
		if ok, _ := models.IsSuppressed(ctx, env.db.Gorm, "blocked@example.org"); !ok {
			t.Error("manual suppression not stored")
		}
		if r := viewer.post("/admin/suppressions", "/admin/suppressions", url.Values{"email": {"x@example.org"}}); r.Status != http.StatusForbidden {
			t.Errorf("viewer adds suppression = %d", r.Status)
		}

		// Do-not-contact: a press officer may set it but only an admin clears it.
		r := press.post("/admin/media/contacts/new", "/admin/media/contacts", url.Values{"email": {"Journo@Example.org"}, "name": {"Jo"}, "do_not_contact": {"on"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("create contact = %d %s", r.Status, r.Body)
		}
		cs, _ := models.Contacts(ctx, env.db.Gorm, models.MediaFilter{Q: "journo"}, 1, "")
		if len(cs) != 1 || cs[0].Email != "journo@example.org" || !cs[0].DoNotContact {
			t.Fatalf("contact = %+v", cs)
		}
		edit := "/admin/media/contacts/" + cs[0].ID
		r = press.post(edit, edit, url.Values{"email": {"journo@example.org"}, "name": {"Jo"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "only be cleared by an admin") {
			t.Errorf("press officer clears DNC = %d", r.Status)
		}
		if c, _ := models.ContactByID(ctx, env.db.Gorm, cs[0].ID); !c.DoNotContact {
			t.Error("do-not-contact was cleared")
		}
		r = env.login(models.RoleAdmin).post(edit, edit, url.Values{"email": {"journo@example.org"}, "name": {"Jo"}})
		if r.Status != http.StatusSeeOther {
			t.Errorf("admin clears DNC = %d", r.Status)
		}
		if c, _ := models.ContactByID(ctx, env.db.Gorm, cs[0].ID); c.DoNotContact {
			t.Error("admin could not clear do-not-contact")
		}
	})
}

// TestBackgroundImport imports a file above the synchronous limit from the
// admin UI: it is queued, a River job imports it in chunks, and the result page
// reports the counts once done.
func TestBackgroundImport(t *testing.T) {
	run(t, envOptions{work: true}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		l, err := models.CreateSupporterList(ctx, env.db.Gorm, "Big list", "")
		if err != nil {
			t.Fatal(err)
		}
		var csvData strings.Builder
		csvData.WriteString("Email;Name;Consent at\n")
		for i := range 6000 {
			if i%1000 == 999 {
				csvData.WriteString("broken-address;Broken;\n")
				continue
			}
			csvData.WriteString("bulk" + itoa(int64(i)) + "@Example.org;Bulk " + itoa(int64(i)) + ";2026-01-01\n")
		}
		b := env.login(models.RoleCampaigner)
		base := "/admin/supporters/lists/" + l.ID + "/import"
		r := b.post(base, base, url.Values{"file_data": {base64.StdEncoding.EncodeToString([]byte(csvData.String()))}, "map_email": {"0"}, "map_name": {"1"}, "map_consent_at": {"2"}})
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/admin/imports/") {
			t.Fatalf("queue import = %d %s", r.Status, r.Body)
		}
		id := strings.TrimPrefix(r.Location, "/admin/imports/")
		deadline := time.Now().Add(60 * time.Second)
		var im *models.Import
		for {
			im, err = models.ImportByID(ctx, env.db.Gorm, id)
			if err != nil {
				t.Fatal(err)
			}
			if im.Finished() || time.Now().After(deadline) {
				break
			}
			// Either the progress bar or, if the job just finished, the result.
			if r := b.get(r.Location); r.Status != http.StatusOK || !(strings.Contains(r.Body, "<progress") || strings.Contains(r.Body, "rejected")) {
				t.Fatalf("progress page = %d", r.Status)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if im.Status != models.ImportDone || im.Imported != 5994 || im.Rejected != 6 || im.Processed != 6000 || im.Data != nil {
			t.Fatalf("import = status %s imported %d rejected %d processed %d error %q", im.Status, im.Imported, im.Rejected, im.Processed, im.Error)
		}
		n, _ := models.CountSupporters(ctx, env.db.Gorm, models.SupporterFilter{ListIDs: []string{l.ID}, Statuses: []models.SupporterStatus{models.StatusSubscribed}})
		if n != 5994 {
			t.Errorf("%d subscribed supporters on the list, want 5994", n)
		}
		page := b.get(r.Location)
		if !strings.Contains(page.Body, "5994") || strings.Contains(page.Body, "<progress") || !strings.Contains(page.Body, "invalid email address") {
			t.Errorf("finished page does not show the result")
		}
	})
}
