package app_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"pressroom/models"
)

// TestNewsroomListsReleasesAndActionsApart: the journalists' newsroom and its
// feed list press releases only; action alerts have their own public listing
// and feed at /actions. The language filter is a select whose empty choice
// reads "Any language", not a placeholder that looks like a value.
func TestNewsroomListsReleasesAndActionsApart(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		env.publish(t, "Release the detained journalists", "Body.", nil, nil)
		admin := env.users[models.RoleAdmin]
		kind, headline, body := models.KindActionAlert, "Write to the minister today", "The ship is loading now."
		d, err := models.CreateDocument(ctx, env.db.Gorm, admin, models.DocumentInput{Kind: kind, Headline: &headline, Body: &body}, env.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.SubmitDocument(ctx, env.db.Gorm, admin, d.ID, false, env.clock.Now()); err != nil {
			t.Fatal(err)
		}
		published := false
		for _, u := range []*models.User{env.users[models.RoleApprover], env.legal, env.users[models.RoleApprover], env.legal} {
			u, _ = models.UserByID(ctx, env.db.Gorm, u.ID)
			res, err := models.ApproveDocument(ctx, env.db.Gorm, u, d.ID, "", env.clock.Now())
			if errors.Is(err, models.ErrNotYourStep) || errors.Is(err, models.ErrConflict) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Final {
				published = true
				break
			}
		}
		if !published {
			t.Fatal("the alert was never published")
		}
		anon := env.browser()
		news, actions := anon.get("/news"), anon.get("/actions")
		if actions.Status != http.StatusOK {
			t.Fatalf("/actions: %d", actions.Status)
		}
		if !strings.Contains(news.Body, "Release the detained journalists") || strings.Contains(news.Body, headline) {
			t.Error("the newsroom does not list press releases only")
		}
		if !strings.Contains(actions.Body, headline) || strings.Contains(actions.Body, "Release the detained journalists") {
			t.Error("/actions does not list action alerts only")
		}
		feed, afeed := anon.get("/news/feed.atom"), anon.get("/actions/feed.atom")
		if strings.Contains(feed.Body, headline) || !strings.Contains(feed.Body, "Release the detained journalists") {
			t.Error("the newsroom feed mixes in action alerts")
		}
		if afeed.Status != http.StatusOK || !strings.Contains(afeed.Body, headline) || strings.Contains(afeed.Body, "Release the detained journalists") {
			t.Errorf("the actions feed: %d", afeed.Status)
		}
		if strings.Contains(news.Body, `placeholder="en"`) || !strings.Contains(news.Body, `<option value="">Any language</option>`) {
			t.Error("the language filter's placeholder looks like a value")
		}
		if !strings.Contains(news.Body, `<a href="/actions">Actions</a>`) {
			t.Error("the newsroom does not link to the actions")
		}
	})
}

// TestNewsroomListsStandfirstAndDate: each entry of the newsroom listing
// shows its date and its standfirst, or, without one, its first paragraph, so
// a journalist scanning the list reads more than headlines.
func TestNewsroomListsStandfirstAndDate(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		env.publish(t, "Court halts arms exports", "Body.", nil, nil)
		env.publish(t, "Journalists detained overnight", "Security forces **detained** forty journalists overnight.\n\nSecond paragraph.", nil,
			func(in *models.DocumentInput) { in.Standfirst = ptr("") })
		news := env.browser().get("/news").Body
		entry := func(headline string) string {
			t.Helper()
			i := strings.Index(news, ">"+headline+"</a>")
			if i < 0 {
				t.Fatalf("the listing lacks %q", headline)
			}
			start := strings.LastIndex(news[:i], "<article")
			end := i + strings.Index(news[i:], "</article>")
			return news[start:end]
		}
		withStandfirst, without := entry("Court halts arms exports"), entry("Journalists detained overnight")
		if !strings.Contains(withStandfirst, "<p>Standfirst of Court halts arms exports</p>") {
			t.Errorf("the entry does not show its standfirst:\n%s", withStandfirst)
		}
		if !strings.Contains(without, "<p>Security forces detained forty journalists overnight.</p>") || strings.Contains(without, "Second paragraph") {
			t.Errorf("an entry without a standfirst does not show its first paragraph:\n%s", without)
		}
		for _, e := range []string{withStandfirst, without} {
			if !strings.Contains(e, `<time datetime="2026-07-09T10:00:00Z">`) || !strings.Contains(e, "9 July 2026") {
				t.Errorf("the entry does not show its date:\n%s", e)
			}
		}
	})
}
