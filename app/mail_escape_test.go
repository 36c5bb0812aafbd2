package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"pressroom/jobs"
	"pressroom/jobs/sendgridfake"
	"pressroom/models"
)

// xssCorpus are values people can give Pressroom (a CSV import, an anonymous
// subscription, a release's words) that would run or change markup if an
// email's HTML part carried them unescaped.
var xssCorpus = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`&amp;`,
	`O'Brien "the Quote"`,
	`javascript:alert(1)`,
}

// deliveredMail is one message as its recipient gets it.
type deliveredMail struct {
	To, Subject, Text, HTML, Categories string
}

// substitutionKeys are the keys Pressroom leaves for the provider to fill;
// none may reach a recipient.
var substitutionKeys = []string{"-name-", "-name_html-", "-preview_url-", "-preview_url_html-", "-unsubscribe_url-", "-unsubscribe_url_html-"}

// TestMailEscapesPeoplesText sends every kind of mail Pressroom writes (a send
// to journalists and supporters, embargoed and not, a send's test and preview,
// an approval request, a subscription confirmation, the account's test email)
// with the XSS corpus in every field that reaches an email, through the fake
// SendGrid and through the development outbox. Each recipient's HTML part holds
// only escaped text (their name as &lt;script&gt;…), the text part and the
// subject the plain text, and no substitution key is left over.
func TestMailEscapesPeoplesText(t *testing.T) {
	for _, transport := range []string{"sendgrid", "outbox"} {
		t.Run(transport, func(t *testing.T) {
			// Each subtest has its own fake: the two run side by side, and a
			// shared fake's Reset in one would erase what the other had
			// delivered (which once made this test see part of its mail).
			var fake *sendgridfake.Server
			opts := envOptions{work: true}
			if transport == "sendgrid" {
				fake = sendgridfake.New("SG.escape").Start()
				t.Cleanup(fake.Close)
				opts.transport = jobs.NewSendGrid("SG.escape", fake.URL())
			}
			run(t, opts, func(t *testing.T, env *testEnv) {
				if fake != nil {
					fake.Reset() // the SQLite run's mail is not the PostgreSQL run's
				}
				delivered := func() []deliveredMail {
					var out []deliveredMail
					if transport == "sendgrid" {
						for _, r := range fake.Recipients() {
							subject, text, body := r.Render()
							out = append(out, deliveredMail{To: r.Email, Subject: subject, Text: text, HTML: body, Categories: strings.Join(r.Categories, ",")})
						}
						return out
					}
					var ms []models.OutboxMessage
					env.db.Gorm.Order("id").Find(&ms)
					for _, m := range ms {
						out = append(out, deliveredMail{To: m.ToAddr, Subject: m.Subject, Text: m.TextBody, HTML: m.HTML, Categories: m.Categories})
					}
					return out
				}
				mailEscapeScenario(t, env, delivered)
			})
		})
	}
}

func mailEscapeScenario(t *testing.T, env *testEnv, delivered func() []deliveredMail) {
	ctx := context.Background()
	all := strings.Join(xssCorpus, " ")
	names := map[string]string{} // address → the name its mail must greet
	rename := func(u *models.User, name string) {
		if err := env.db.Gorm.Model(&models.User{}).Where("id = ?", u.ID).Update("name", name).Error; err != nil {
			t.Fatal(err)
		}
		u.Name = name
		names[u.Email] = name
	}
	press := env.users[models.RolePressOfficer]
	rename(press, xssCorpus[0]+" Press")
	rename(env.users[models.RoleApprover], xssCorpus[1]+" Desk")

	contacts := []models.PressContact{{Name: xssCorpus[0], Role: xssCorpus[1], Phone: xssCorpus[3], Email: "desk@example.org"}}
	extra := func(in *models.DocumentInput) {
		in.Standfirst, in.Dateline = ptr("Standfirst "+all), ptr("Dateline "+all)
		in.NotesToEditors = ptr("Notes " + all + "\n\n<script>alert(2)</script>")
		in.PressContacts = &contacts
	}
	headline := "Headline " + all
	doc := env.publish(t, headline, "Body "+all+"\n\n<script>alert(3)</script> [link](javascript:alert(4))", nil, extra)
	lift := env.clock.Now().Add(48 * time.Hour)
	embargoed := env.publish(t, "Embargoed "+all, "Embargoed body.", &lift, extra)

	// An approval request: a draft submitted and left for the desk.
	draft, err := models.CreateDocument(ctx, env.db.Gorm, press, models.DocumentInput{Kind: models.KindPressRelease, Headline: ptr("Awaiting " + all), Body: ptr("Words.")}, env.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	tok := env.token(models.RolePressOfficer)
	if r := env.api("POST", "/api/v1/releases/"+draft.ID+"/submit", tok, ""); r.Status != http.StatusOK {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}

	ml, err := models.CreateMediaList(ctx, env.db.Gorm, "Media "+all, "")
	if err != nil {
		t.Fatal(err)
	}
	sl, err := models.CreateSupporterList(ctx, env.db.Gorm, "Supporters "+all, "")
	if err != nil {
		t.Fatal(err)
	}
	var contactIDs, supporterIDs []string
	for i, n := range xssCorpus {
		email := fmt.Sprintf("j%d@news.example", i)
		c, err := models.CreateContact(ctx, env.db.Gorm, models.ContactInput{Email: email, Name: n, Outlet: all, Role: all})
		if err != nil {
			t.Fatal(err)
		}
		contactIDs = append(contactIDs, c.ID)
		names[email] = n
		se := fmt.Sprintf("s%d@example.org", i)
		sup := models.Supporter{ID: models.NewID(), Email: &se, EmailHash: models.EmailHash(se), Name: n, Status: models.StatusSubscribed, Frequency: "all",
			CreatedAt: env.clock.Now(), UpdatedAt: env.clock.Now()}
		if err := env.db.Gorm.Create(&sup).Error; err != nil {
			t.Fatal(err)
		}
		supporterIDs = append(supporterIDs, sup.ID)
		names[se] = n
	}
	_ = models.AddContactsToList(ctx, env.db.Gorm, ml.ID, contactIDs)
	_ = models.AddSupportersToList(ctx, env.db.Gorm, sl.ID, supporterIDs)

	var sendIDs []string
	for _, body := range []string{
		`{"release_id":"` + doc.ID + `","media_list_ids":["` + ml.ID + `"],"supporter_list_ids":["` + sl.ID + `"]}`,
		`{"release_id":"` + embargoed.ID + `","media_list_ids":["` + ml.ID + `"]}`,
	} {
		r := env.api("POST", "/api/v1/sends", tok, body)
		if r.Status != http.StatusCreated {
			t.Fatalf("create send: %d %s", r.Status, r.Body)
		}
		id := decode[struct{ ID string }](t, r.Body).ID
		if r := env.api("POST", "/api/v1/sends/"+id+"/dispatch", tok, ""); r.Status != http.StatusAccepted {
			t.Fatalf("dispatch: %d %s", r.Status, r.Body)
		}
		sendIDs = append(sendIDs, id)
	}

	// A subscription confirmation, from an anonymous subscriber.
	anonName := all
	body, _ := json.Marshal(map[string]string{"email": "anon@example.org", "name": anonName, "list_id": sl.ID})
	if r := env.api("POST", "/api/v1/public/subscribe", "", string(body)); r.Status != http.StatusAccepted {
		t.Fatalf("subscribe: %d %s", r.Status, r.Body)
	}
	// The account's test email and a send's test, to the press officer.
	b := env.login(models.RolePressOfficer)
	if r := b.post("/admin/account", "/admin/account/test-email", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("test email: %d %s", r.Status, r.Body)
	}
	if r := b.post("/admin/sends/"+sendIDs[0], "/admin/sends/"+sendIDs[0]+"/test", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("send test: %d %.300s", r.Status, r.Body)
	}

	// 5 journalists × 2 sends, 5 supporters, the desk's approval request, the
	// confirmation, the account test and the send's two tests.
	want := 10 + 5 + 1 + 1 + 1 + 2
	var mails []deliveredMail
	deadline := time.Now().Add(30 * time.Second)
	for {
		if mails = delivered(); len(mails) >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(mails) != want {
		var got []string
		for _, m := range mails {
			got = append(got, m.To+" "+m.Categories)
		}
		sort.Strings(got)
		t.Fatalf("%d messages delivered, want %d: %v", len(mails), want, got)
	}
	names["anon@example.org"] = anonName
	for _, m := range mails {
		what := m.To + " (" + m.Categories + ")"
		assertMailEscaped(t, what, m.Subject, m.Text, m.HTML)
		n, ok := names[m.To]
		if !ok {
			t.Errorf("%s: unexpected recipient", what)
			continue
		}
		// A send's test is rendered as the audience's sample member: the
		// first journalist for the journalists' version, the press officer
		// themself for the supporters' (whom they may not see).
		if strings.Contains(m.Categories, "send_test") && greets(m.Text, names["j0@news.example"]) {
			n = names["j0@news.example"]
		}
		if !greets(m.HTML, html.EscapeString(n)) {
			t.Errorf("%s: HTML part does not greet %q escaped", what, n)
		}
		if !greets(m.Text, n) {
			t.Errorf("%s: text part does not greet %q as written", what, n)
		}
		if strings.Contains(m.Categories, "send") && !strings.HasSuffix(m.Subject, headline) && !strings.HasSuffix(m.Subject, "Embargoed "+all) {
			t.Errorf("%s: subject %q does not carry the headline as written", what, m.Subject)
		}
	}

	// The send page's preview frame, as a journalist and as a supporter.
	for _, as := range []string{"journalist", "supporter"} {
		r := b.get("/admin/sends/" + sendIDs[0] + "/preview?as=" + as)
		text := b.get("/admin/sends/" + sendIDs[0] + "/preview?as=" + as + "&format=text")
		if r.Status != http.StatusOK || text.Status != http.StatusOK {
			t.Fatalf("preview as %s: %d %d", as, r.Status, text.Status)
		}
		assertMailEscaped(t, "preview as "+as, "", text.Body, r.Body)
		// It greets the audience's first recipient (whose name is as hostile
		// as the rest), escaped in HTML and as written in text; or the
		// labelled sample for someone who may not see that audience.
		greeted := greets(r.Body, "Sam Sample") && greets(text.Body, "Sam Sample")
		for _, n := range names {
			greeted = greeted || (greets(r.Body, html.EscapeString(n)) && greets(text.Body, n))
		}
		if !greeted {
			t.Errorf("preview as %s does not greet a recipient, escaped", as)
		}
	}
}

// assertMailEscaped checks one message's parts: no markup of the corpus in the
// HTML part, no HTML entities in the subject and text, no substitution key
// anywhere.
func assertMailEscaped(t *testing.T, what, subject, text, body string) {
	t.Helper()
	for _, bad := range []string{"<script", "<img", `href="javascript:`, "&amp;amp;amp;"} {
		if i := strings.Index(body, bad); i >= 0 {
			t.Errorf("%s: HTML part contains %q: …%s…", what, bad, body[max(0, i-80):min(len(body), i+80)])
		}
	}
	for _, bad := range []string{"&lt;", "&gt;", "&#34;", "&#39;", "&quot;", "&amp;amp;"} {
		if i := strings.Index(subject+"\n"+text, bad); i >= 0 {
			st := subject + "\n" + text
			t.Errorf("%s: subject or text part contains the HTML entity %q: …%s…", what, bad, st[max(0, i-80):min(len(st), i+80)])
		}
	}
	for _, k := range substitutionKeys {
		if strings.Contains(subject+text+body, k) {
			t.Errorf("%s: substitution key %s left in the message", what, k)
		}
	}
}

// greets reports whether a part opens with "Dear <name>," or "Hello <name>,".
func greets(part, name string) bool {
	return strings.Contains(part, "Dear "+name+",") || strings.Contains(part, "Hello "+name+",")
}
