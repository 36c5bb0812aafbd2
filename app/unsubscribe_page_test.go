package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"pressroom/models"
)

// TestUnsubscribeLinkPageIsOneButton: the page an email's unsubscribe link
// opens leads with one button that unsubscribes; opening it (as a mail scanner
// does) changes nothing; one press unsubscribes and the page then offers a way
// back with preferences.
func TestUnsubscribeLinkPageIsOneButton(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		sup := subscribed(t, env, "reader@example.org")
		path := strings.TrimPrefix(env.server.UnsubscribeURL(sup.ID), env.cfg.BaseURL.String())
		b := env.browser()
		page := b.get(path)
		first := strings.Index(page.Body, "<form")
		if page.Status != http.StatusOK || first < 0 || !strings.Contains(page.Body[first:first+300], `name="action" value="unsubscribe"`) ||
			!strings.Contains(page.Body, "Unsubscribe reader@example.org</button>") {
			t.Fatalf("the page's first form is not the unsubscribe button: %d", page.Status)
		}
		if got, _ := models.SupporterByID(ctx, env.db.Gorm, sup.ID); got.Status != models.StatusSubscribed {
			t.Fatalf("opening the link changed the status to %s", got.Status)
		}
		r := b.post(path, path, url.Values{"action": {"unsubscribe"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("unsubscribe: %d", r.Status)
		}
		if got, _ := models.SupporterByID(ctx, env.db.Gorm, sup.ID); got.Status != models.StatusUnsubscribed {
			t.Fatalf("one press left the status %s", got.Status)
		}
		after := b.get(r.Location)
		if !strings.Contains(after.Body, "You are unsubscribed") || !strings.Contains(after.Body, "choose the topics and how often") {
			t.Fatal("after unsubscribing the page does not offer preferences")
		}
	})
}

// TestUnsubscribeLinkLeavesThatList: an email sent to a list carries a link
// that names its send; the page's first button, and RFC 8058 one-click, take
// the supporter off that list only: still subscribed, still on their other
// lists, with the change in their consent history. The page then offers to
// stop every email. A link without its send still stops everything.
func TestUnsubscribeLinkLeavesThatList(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		ua, _ := models.CreateSupporterList(ctx, env.db.Gorm, "Urgent Action network", "")
		news, _ := models.CreateSupporterList(ctx, env.db.Gorm, "Newsletter", "")
		// A send of an alert to the Urgent Action network.
		d, err := models.CreateDocument(ctx, env.db.Gorm, env.users[models.RoleCampaigner], models.DocumentInput{Kind: models.KindActionAlert, Headline: ptr("Free the journalists"), Body: ptr("Write.")}, env.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		s := &models.Send{ID: models.NewID(), DocumentID: d.ID, Kind: models.KindActionAlert, Revision: 1, Status: models.SendSent, Schedule: "now", CreatedAt: env.clock.Now(), UpdatedAt: env.clock.Now()}
		if err := env.db.Gorm.Create(s).Error; err != nil {
			t.Fatal(err)
		}
		if err := env.db.Gorm.Create(&models.SendAudience{SendID: s.ID, Audience: models.AudienceSupporterList, RefID: ua.ID}).Error; err != nil {
			t.Fatal(err)
		}
		onLists := func(sup *models.Supporter) []string {
			var ids []string
			env.db.Gorm.Model(&models.SupporterListMember{}).Where("supporter_id = ?", sup.ID).Order("list_id").Pluck("list_id", &ids)
			return ids
		}
		join := func(email string) (*models.Supporter, string) {
			sup := subscribed(t, env, email)
			for _, l := range []string{ua.ID, news.ID} {
				if err := models.AddSupportersToList(ctx, env.db.Gorm, l, []string{sup.ID}); err != nil {
					t.Fatal(err)
				}
			}
			// The link of the send's email (the jobs tests hold the email to it).
			return sup, strings.TrimPrefix(env.server.UnsubscribeURL(sup.ID), env.cfg.BaseURL.String()) + "?send=" + s.ID
		}
		stillOnNewsletter := func(sup *models.Supporter) {
			t.Helper()
			got, _ := models.SupporterByID(ctx, env.db.Gorm, sup.ID)
			if lists := onLists(sup); got.Status != models.StatusSubscribed || len(lists) != 1 || lists[0] != news.ID {
				t.Errorf("%s is %s on %v, want subscribed on the newsletter only", sup.Address(), got.Status, lists)
			}
			var left int64
			env.db.Gorm.Model(&models.ConsentRecord{}).Where("supporter_id = ? AND action = ? AND source LIKE ?", sup.ID, models.ConsentLeftList, "%Urgent Action network").Count(&left)
			if left != 1 {
				t.Errorf("%d consent records of leaving the list, want 1", left)
			}
		}

		sup, link := join("reader@example.org")
		b := env.browser()
		page := b.get(link)
		first := strings.Index(page.Body, "<form")
		if page.Status != http.StatusOK || first < 0 || !strings.Contains(page.Body[first:first+300], `name="action" value="leave"`) ||
			!strings.Contains(page.Body, "Unsubscribe from Urgent Action network</button>") || !strings.Contains(page.Body, "Stop every email from us</button>") {
			t.Fatalf("the page's first form does not leave the email's list: %d\n%s", page.Status, page.Body)
		}
		if lists := onLists(sup); len(lists) != 2 {
			t.Fatalf("opening the link changed the lists: %v", lists)
		}
		r := b.post(link, link, url.Values{"action": {"leave"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("leave: %d %s", r.Status, r.Body)
		}
		stillOnNewsletter(sup)
		after := b.get(r.Location)
		if !strings.Contains(after.Body, "You are unsubscribed from Urgent Action network") || !strings.Contains(after.Body, "You still get our other emails") ||
			!strings.Contains(after.Body, `value="unsubscribe"`) {
			t.Fatalf("after leaving, the page does not say so or offer to stop everything:\n%s", after.Body)
		}
		// Opening the email's link again says they left, not "one click stops every email".
		if again := b.get(link); !strings.Contains(again.Body, "You are unsubscribed from Urgent Action network") || strings.Contains(again.Body, "One click stops every email") {
			t.Fatalf("the link opened again does not say the list was left:\n%s", again.Body)
		}

		// One-click from the mail client, twice (clients retry): the same.
		sup2, link2 := join("other@example.org")
		for range 2 {
			resp, err := http.Post(env.http.URL+link2, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("one-click: %d", resp.StatusCode)
			}
		}
		stillOnNewsletter(sup2)

		// A link without its send (older emails) still stops every email.
		sup3, link3 := join("third@example.org")
		resp, err := http.Post(env.http.URL+strings.Split(link3, "?")[0], "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got, _ := models.SupporterByID(ctx, env.db.Gorm, sup3.ID); got.Status != models.StatusUnsubscribed {
			t.Errorf("a link without its send left %s %s, want unsubscribed", sup3.Address(), got.Status)
		}
	})
}
