package models_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"pressroom/models"
	"pressroom/models/dbtest"
)

// write creates a draft press release with the given words; edit adjusts the
// input (language, embargo, campaign) before it is saved.
func (o *org) write(t *testing.T, headline, standfirst, body string, edit ...func(*models.DocumentInput)) *models.Document {
	t.Helper()
	in := models.DocumentInput{Kind: models.KindPressRelease, Headline: ptr(headline), Standfirst: ptr(standfirst), Body: ptr(body)}
	for _, e := range edit {
		e(&in)
	}
	d, err := models.CreateDocument(context.Background(), o.db, o.press, in, o.now)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// submit sends a draft to review.
func (o *org) submit(t *testing.T, id string) {
	t.Helper()
	if _, err := models.SubmitDocument(context.Background(), o.db, o.press, id, false, o.now); err != nil {
		t.Fatal(err)
	}
}

// publish takes a draft through review to approval: published, or scheduled
// when it has a future embargo.
func (o *org) publish(t *testing.T, id string) *models.Document {
	t.Helper()
	o.submit(t, id)
	return o.approveAll(t, id)
}

func embargo(at time.Time) func(*models.DocumentInput) {
	return func(in *models.DocumentInput) { in.EmbargoAt = ptr(ptr(at)) }
}

func language(l string) func(*models.DocumentInput) {
	return func(in *models.DocumentInput) { in.Language = ptr(l) }
}

// ids lists the hits' document ids, in order.
func ids(hits []models.SearchHit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.DocumentID
	}
	return out
}

func has(hits []models.SearchHit, id string) bool {
	for _, h := range hits {
		if h.DocumentID == id {
			return true
		}
	}
	return false
}

func searchPublic(t *testing.T, o *org, q string, now time.Time) []models.SearchHit {
	t.Helper()
	hits, total, err := models.SearchPublic(context.Background(), o.db, q, models.SearchOptions{Now: now})
	if err != nil {
		t.Fatalf("SearchPublic(%q): %v", q, err)
	}
	if total < len(hits) {
		t.Fatalf("SearchPublic(%q): total %d < %d hits", q, total, len(hits))
	}
	return hits
}

func searchStaff(t *testing.T, o *org, q string) []models.SearchHit {
	t.Helper()
	hits, _, err := models.SearchStaff(context.Background(), o.db, q, models.SearchOptions{})
	if err != nil {
		t.Fatalf("SearchStaff(%q): %v", q, err)
	}
	return hits
}

// TestSearchEmbargoIntegrity: only published and withdrawn releases whose
// embargo has lifted are publicly searchable; staff search sees everything.
func TestSearchEmbargoIntegrity(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := newOrg(t, db)
		draft := o.write(t, "Freedonia draft on detentions", "", "Freedonia holds activists.")
		review := o.write(t, "Freedonia review on detentions", "", "Freedonia holds activists.")
		o.submit(t, review.ID)
		lift := o.now.Add(2 * time.Hour)
		scheduled := o.write(t, "Freedonia embargoed report on detentions", "", "Freedonia holds activists.", embargo(lift))
		if d := o.publish(t, scheduled.ID); d.Status != models.StatusScheduled {
			t.Fatalf("embargoed release is %s, want scheduled", d.Status)
		}
		published := o.publish(t, o.write(t, "Freedonia published statement on detentions", "", "Freedonia holds activists.").ID)
		withdrawn := o.publish(t, o.write(t, "Freedonia withdrawn statement on detentions", "", "Freedonia holds activists.").ID)
		if _, err := models.WithdrawDocument(ctx, o.db, o.press, withdrawn.ID, "Withdrawn pending verification.", o.now); err != nil {
			t.Fatal(err)
		}

		for _, q := range []string{"freedonia", "detentions", "embargoed", "activists", "draft", "review"} {
			for _, h := range searchPublic(t, o, q, o.now) {
				if h.DocumentID != published.ID && h.DocumentID != withdrawn.ID {
					t.Errorf("public search %q shows %s (%s), which is not public", q, h.Headline, h.Status)
				}
			}
		}
		hits := searchPublic(t, o, "freedonia", o.now)
		if len(hits) != 2 || !has(hits, published.ID) || !has(hits, withdrawn.ID) {
			t.Fatalf("public hits = %v, want the published and the withdrawn release", ids(hits))
		}
		for _, h := range hits {
			if h.DocumentID == withdrawn.ID && h.Status != models.StatusWithdrawn {
				t.Errorf("withdrawn release shown as %s", h.Status)
			}
			if h.Slug == "" || h.IndexNumber == "" || h.PublishedAt == nil {
				t.Errorf("public hit lacks slug, index number or date: %+v", h)
			}
		}
		staff := searchStaff(t, o, "freedonia")
		for _, d := range []*models.Document{draft, review, scheduled, published, withdrawn} {
			if !has(staff, d.ID) {
				t.Errorf("staff search misses %s", d.ID)
			}
		}
		for _, h := range staff {
			if h.DocumentID == draft.ID && h.Status != models.StatusDraft {
				t.Errorf("draft shown to staff as %s", h.Status)
			}
		}

		// Past the embargo time but before the job publishes it, it stays hidden:
		// the status decides, as on every other public surface.
		if has(searchPublic(t, o, "embargoed", lift.Add(time.Minute)), scheduled.ID) {
			t.Fatal("scheduled release found before the embargo job published it")
		}
		if _, err := models.PublishDue(ctx, o.db, lift.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if !has(searchPublic(t, o, "embargoed", lift.Add(time.Minute)), scheduled.ID) {
			t.Fatal("release not found after its embargo lifted")
		}
		// Judged at query time: asked about a moment before the embargo, it is hidden.
		if has(searchPublic(t, o, "embargoed", lift.Add(-time.Minute)), scheduled.ID) {
			t.Fatal("release found at a time before its embargo")
		}
	})
}

// TestSearchCorrectionUnderReview: the public finds the approved words until a
// correction is approved; staff find the correction at once.
func TestSearchCorrectionUnderReview(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := newOrg(t, db)
		d := o.publish(t, o.write(t, "Casualty figures from Arkham", "", "Researchers counted twentyone victims.").ID)
		_, err := models.UpdateDocument(ctx, o.db, o.press, d.ID, models.DocumentInput{Body: ptr("Researchers counted twelve victims."),
			CorrectionNote: ptr("An earlier version gave 21.")}, o.now)
		if err != nil {
			t.Fatal(err)
		}
		if has(searchPublic(t, o, "twelve", o.now), d.ID) {
			t.Fatal("public search shows a correction still under review")
		}
		if !has(searchPublic(t, o, "twentyone", o.now), d.ID) {
			t.Fatal("public search lost the approved text during a correction")
		}
		if !has(searchStaff(t, o, "twelve"), d.ID) || has(searchStaff(t, o, "twentyone"), d.ID) {
			t.Fatal("staff search does not follow the current revision")
		}
		o.approveAll(t, d.ID)
		if !has(searchPublic(t, o, "twelve", o.now), d.ID) || has(searchPublic(t, o, "twentyone", o.now), d.ID) {
			t.Fatal("public search does not show the approved correction")
		}

		// An approved, embargoed release edited back into review keeps its old
		// public row, which stays hidden: the status is no longer public.
		s := o.publish(t, o.write(t, "Embargoed findings on Arkham", "", "Secret findings.", embargo(o.now.Add(time.Hour))).ID)
		if _, err := models.UpdateDocument(ctx, o.db, o.press, s.ID, models.DocumentInput{Body: ptr("Revised findings.")}, o.now); err != nil {
			t.Fatal(err)
		}
		if _, err := models.PublishDue(ctx, o.db, o.now.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if hits := searchPublic(t, o, "findings", o.now.Add(2*time.Hour)); has(hits, s.ID) {
			t.Fatal("a release sent back to review is publicly searchable")
		}
	})
}

// TestSearchRanking: a headline match outranks a body match; stemming finds
// other forms of a word.
func TestSearchRanking(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		o := newOrg(t, db)
		body := o.publish(t, o.write(t, "Statement on the northern provinces", "Talks resume.",
			"Negotiators said a ceasefire could hold if monitors are allowed in. Aid convoys wait at the border.").ID)
		headline := o.publish(t, o.write(t, "Ceasefire must protect civilians", "Talks resume.", "Aid convoys wait at the border.").ID)
		hits := searchPublic(t, o, "ceasefire", o.now)
		if len(hits) != 2 || hits[0].DocumentID != headline.ID || hits[1].DocumentID != body.ID {
			t.Fatalf("ranking = %v, want headline match %s first, then %s", ids(hits), headline.ID, body.ID)
		}
		if hits[0].Rank <= hits[1].Rank {
			t.Errorf("ranks %v, %v: headline match not ranked higher", hits[0].Rank, hits[1].Rank)
		}
		// English stemming, on both engines (Porter on SQLite).
		arms := o.publish(t, o.write(t, "Halt the transfer of weapons", "", "Each transfer fuels abuses.").ID)
		if hits := searchPublic(t, o, "transfers", o.now); len(hits) != 1 || hits[0].DocumentID != arms.ID {
			t.Fatalf("transfers: %v, want %s", ids(hits), arms.ID)
		}
		// Phrases, OR and exclusion.
		if hits := searchPublic(t, o, `"aid convoys" -ceasefire`, o.now); len(hits) != 0 {
			t.Errorf("phrase minus excluded word: %v, want none", ids(hits))
		}
		if hits := searchPublic(t, o, `"aid convoys" -monitors`, o.now); len(hits) != 1 || hits[0].DocumentID != headline.ID {
			t.Errorf("phrase minus excluded word: %v, want %s", ids(hits), headline.ID)
		}
		if hits := searchPublic(t, o, `weapons or monitors`, o.now); len(hits) != 2 || !has(hits, arms.ID) || !has(hits, body.ID) {
			t.Errorf("OR: %v", ids(hits))
		}
		if hits := searchPublic(t, o, `"convoys aid"`, o.now); len(hits) != 0 {
			t.Errorf("phrase out of order matched: %v", ids(hits))
		}
		if hits := searchPublic(t, o, `-ceasefire`, o.now); len(hits) != 0 {
			t.Errorf("exclusion alone: %v, want none", ids(hits))
		}
		// Paging: total counts every hit; pages do not overlap.
		ctx := context.Background()
		p1, total, err := models.SearchPublic(ctx, o.db, "convoys", models.SearchOptions{Now: o.now, Limit: 1})
		if err != nil || total != 2 || len(p1) != 1 {
			t.Fatalf("page 1: %v total %d hits %d", err, total, len(p1))
		}
		p2, total, err := models.SearchPublic(ctx, o.db, "convoys", models.SearchOptions{Now: o.now, Limit: 1, Offset: 1})
		if err != nil || total != 2 || len(p2) != 1 || p2[0].DocumentID == p1[0].DocumentID {
			t.Fatalf("page 2: %v total %d hits %v", err, total, ids(p2))
		}
	})
}

// TestSearchLanguages: each language is stemmed with its own configuration on
// PostgreSQL, and the language filter keeps one language.
func TestSearchLanguages(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		o := newOrg(t, db)
		fr := o.publish(t, o.write(t, "Les prisonniers politiques doivent être libérés", "", "Libérez les prisonniers d'opinion en Freedonia.", language("fr")).ID)
		en := o.publish(t, o.write(t, "Political prisoners must be released", "", "Free the prisoners of conscience in Freedonia.").ID)
		ctx := context.Background()
		hits, _, err := models.SearchPublic(ctx, o.db, "freedonia", models.SearchOptions{Now: o.now, Language: "fr"})
		if err != nil || len(hits) != 1 || hits[0].DocumentID != fr.ID || hits[0].Language != "fr" {
			t.Fatalf("language filter: %v %v", err, ids(hits))
		}
		if hits := searchPublic(t, o, "freedonia", o.now); len(hits) != 2 {
			t.Fatalf("all languages: %v", ids(hits))
		}
		if hits := searchPublic(t, o, "liberes", o.now); !has(hits, fr.ID) {
			t.Errorf("accent-free query misses the French release: %v", ids(hits))
		}
		if db.Dialect != models.Postgres {
			return
		}
		// French stemming: the singular finds the plural.
		if hits := searchPublic(t, o, "prisonnier", o.now); len(hits) != 1 || hits[0].DocumentID != fr.ID {
			t.Errorf("French stemming: %v, want %s", ids(hits), fr.ID)
		}
		if hits := searchPublic(t, o, "prisoner", o.now); len(hits) != 1 || hits[0].DocumentID != en.ID {
			t.Errorf("English stemming: %v, want %s", ids(hits), en.ID)
		}
	})
}

// TestSearchNarrowsByCampaignAndLanguage: the campaign and language filters
// keep what they name, in public and in staff search.
func TestSearchNarrowsByCampaignAndLanguage(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := newOrg(t, db)
		cp, err := models.CreateCampaign(ctx, o.db, o.campaigner, "Okapi protection", "")
		if err != nil {
			t.Fatal(err)
		}
		inCampaign := o.publish(t, o.write(t, "Okapi reserve threatened", "", "The okapi reserve.", func(in *models.DocumentInput) { in.CampaignID = &cp.ID }).ID)
		french := o.publish(t, o.write(t, "Réserve d'okapis menacée", "", "La réserve des okapi.", language("fr")).ID)
		o.publish(t, o.write(t, "Okapi census published", "", "Counting the okapi.").ID)
		for _, staff := range []bool{false, true} {
			run := func(opts models.SearchOptions) []string {
				t.Helper()
				opts.Now = o.now
				search := models.SearchPublic
				if staff {
					search = models.SearchStaff
				}
				hits, _, err := search(ctx, o.db, "okapi", opts)
				if err != nil {
					t.Fatal(err)
				}
				return ids(hits)
			}
			if got := run(models.SearchOptions{CampaignID: cp.ID}); len(got) != 1 || got[0] != inCampaign.ID {
				t.Errorf("staff %v, campaign filter: %v, want only %s", staff, got, inCampaign.ID)
			}
			if got := run(models.SearchOptions{Language: "fr"}); len(got) != 1 || got[0] != french.ID {
				t.Errorf("staff %v, language filter: %v, want only %s", staff, got, french.ID)
			}
			if got := run(models.SearchOptions{}); len(got) != 3 {
				t.Errorf("staff %v, no filter: %v, want all three", staff, got)
			}
		}
	})
}

// TestSearchSnippets: matches are marked and everything else is escaped.
func TestSearchSnippets(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		o := newOrg(t, db)
		body := "Witnesses described the attack & its aftermath.\n\nThe code `<script>alert(1)</script>` was found near the **massacre** site, " +
			"with <b onmouseover=\"alert(2)\">raw html</b> and a [link](javascript:alert(3)).\n\nNo further \"details\" < were > given."
		d := o.publish(t, o.write(t, "Report <script>alert(0)</script> on Arkham", "Survivors speak.", body).ID)
		hits := searchPublic(t, o, "massacre", o.now)
		if len(hits) != 1 || hits[0].DocumentID != d.ID {
			t.Fatalf("hits = %v", ids(hits))
		}
		snip := string(hits[0].Snippet)
		if !strings.Contains(snip, "<mark>massacre</mark>") {
			t.Errorf("snippet %q does not mark the match", snip)
		}
		rest := strings.NewReplacer("<mark>", "", "</mark>", "").Replace(snip)
		if strings.ContainsAny(rest, "<>\"") || strings.Contains(snip, "javascript") {
			t.Errorf("snippet %q has unescaped markup", snip)
		}
		if strings.Contains(snip, "**") {
			t.Errorf("snippet %q shows Markdown", snip)
		}
		for _, q := range []string{"attack", "details", "script", "alert", "survivors"} {
			for _, h := range searchPublic(t, o, q, o.now) {
				rest := strings.NewReplacer("<mark>", "", "</mark>", "").Replace(string(h.Snippet))
				if strings.ContainsAny(rest, "<>\"") {
					t.Errorf("%q: snippet %q has unescaped markup", q, h.Snippet)
				}
			}
		}
		// A match in the headline only still gives a snippet of the text.
		if hits := searchPublic(t, o, "report", o.now); len(hits) != 1 || hits[0].Snippet == "" {
			t.Errorf("headline-only match: %+v", hits)
		}
	})
}

// TestSearchSnippetDeepMatch: a match far into a long body is what the
// snippet shows, marked, with the cut marked too; the words of a phrase are
// marked and an excluded word is not.
func TestSearchSnippetDeepMatch(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		o := newOrg(t, db)
		filler := strings.Repeat("Lorem ipsum dolor sit amet consectetur adipiscing elit. ", 12)
		body := filler + "The tribunal heard the exhumation evidence on Tuesday. " + filler
		d := o.publish(t, o.write(t, "Hearing in Arkham", "Families attend.", body).ID)
		hits := searchPublic(t, o, `"exhumation evidence" -lorem2`, o.now)
		if len(hits) != 1 || hits[0].DocumentID != d.ID {
			t.Fatalf("hits = %v", ids(hits))
		}
		snip := string(hits[0].Snippet)
		if !strings.Contains(snip, "<mark>exhumation</mark>") || !strings.Contains(snip, "<mark>evidence</mark>") {
			t.Errorf("snippet %q does not mark the phrase", snip)
		}
		if strings.Count(snip, "Lorem") > 3 {
			t.Errorf("snippet %q is not an excerpt around the match", snip)
		}
		if strings.Contains(snip, "<mark>Lorem") || strings.Contains(snip, "<mark>Families") {
			t.Errorf("snippet %q marks a word not searched for", snip)
		}
	})
}

func TestPlainText(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"## Heading\n\nSome **bold** and _italic_ text.", "Heading\n\nSome bold and italic text."},
		{"- one\n- two\n1. three", "one\ntwo\nthree"},
		{"A [link](https://example.org) and ![an image](x.png).", "A link and an image."},
		{"> quoted\n\n---\n\n<div>raw</div> <!-- hidden -->", "quoted\n\nraw"},
		{"Use `a * b` and\n```\ncode <b>\n```", "Use a * b and\ncode <b>"},
		{"snake_case_name and 3 < 4 > 2", "snake_case_name and 3 < 4 > 2"},
		{"bad \ue000 sentinel\ue001", "bad   sentinel"},
	}
	for _, tt := range tests {
		if got := models.PlainText(tt.in); got != tt.want {
			t.Errorf("PlainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestSearchIndexNumber: an index number in any spelling, or a run of its
// parts, finds its release.
func TestSearchIndexNumber(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		o := newOrg(t, db)
		first := o.publish(t, o.write(t, "First statement", "", "Words.").ID)
		second := o.publish(t, o.write(t, "Second statement", "", "Words.").ID)
		year := o.now.Year()
		if *first.IndexNumber != fmt.Sprintf("PRE 01/001/%d", year) {
			t.Fatalf("index number %s", *first.IndexNumber)
		}
		for _, q := range []string{
			fmt.Sprintf("PRE 01/001/%d", year), fmt.Sprintf("pre-01-001-%d", year), "PRE-01-001", "PRE 01/001",
			fmt.Sprintf("001/%d", year), "pre01 001", "pre01001",
		} {
			hits := searchPublic(t, o, q, o.now)
			if len(hits) == 0 || hits[0].DocumentID != first.ID {
				t.Errorf("%q: %v, want %s first", q, ids(hits), first.ID)
			}
			if has(hits, second.ID) {
				t.Errorf("%q also finds %s", q, *second.IndexNumber)
			}
			if hits := searchStaff(t, o, q); len(hits) == 0 || hits[0].DocumentID != first.ID {
				t.Errorf("staff %q: %v", q, ids(hits))
			}
		}
		if hits := searchPublic(t, o, fmt.Sprintf("PRE 01/002/%d", year), o.now); len(hits) != 1 || hits[0].DocumentID != second.ID {
			t.Errorf("second: %v", ids(hits))
		}
		// A partial serial is a prefix: it finds both.
		for _, q := range []string{"PRE 01", "PRE 01/00", "pre-01-0"} {
			if hits := searchPublic(t, o, q, o.now); len(hits) != 2 {
				t.Errorf("%q: %v, want both", q, ids(hits))
			}
		}
	})
}

// TestSearchNastyInput: nothing a user types makes search fail.
func TestSearchNastyInput(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		o := newOrg(t, db)
		d := o.publish(t, o.write(t, "Fréedonia: 中文 العربية Ελληνικά", "", "Body text with ünïcödé and don't.").ID)
		ctx := context.Background()
		nasty := []string{"", " ", `"`, `""`, `"unclosed phrase`, "*", "**", "AND OR NOT", "AND", "OR", "NOT", "or or", "(", ")", "()",
			"NEAR(a b)", "a:b", "headline:x", "{index_terms}: 1", "^start", "a & b | !c", "<->", "!!", ":*", "'", "''", `\`, "%", "_",
			"-", "--", "- -x", "-\"x\"", "x -", "1", "0", "/", "-1", "PRE", "💥", "\x00", "\xff\xfe", "中文", "العربية", "Ελληνικά",
			"don't", "fréedonia", "ünïcödé", strings.Repeat("long ", 500), strings.Repeat("(", 300), "a OR", "OR a", "-a OR b",
			"SELECT * FROM documents; --", "'; DROP TABLE documents; --", "$1", "?", "@q", "NULL", "\ue000", "a\ue001b"}
		for _, q := range nasty {
			if _, _, err := models.SearchPublic(ctx, o.db, q, models.SearchOptions{Now: o.now}); err != nil {
				t.Errorf("SearchPublic(%q): %v", q, err)
			}
			if _, _, err := models.SearchStaff(ctx, o.db, q, models.SearchOptions{Status: models.StatusPublished, Limit: -1, Offset: -5}); err != nil {
				t.Errorf("SearchStaff(%q): %v", q, err)
			}
		}
		for _, q := range []string{"中文", "العربية", "ünïcödé", "fréedonia", "Ελληνικά"} {
			if !has(searchPublic(t, o, q, o.now), d.ID) {
				t.Errorf("%q does not find the release", q)
			}
		}
		if hits, total, _ := models.SearchPublic(ctx, o.db, "", models.SearchOptions{Now: o.now}); len(hits) != 0 || total != 0 {
			t.Errorf("empty query found %v", ids(hits))
		}
	})
}

// TestSearchIgnoresEmbargoedCandidates: an embargoed release that matches a
// search changes nothing about its public answer, neither the hits nor the
// total, even where it would tip how many candidates the search reads (two
// headline matches for a page of three, so the body matches are read too).
// A difference would tell anyone who searches that an embargoed release with
// those words exists.
func TestSearchIgnoresEmbargoedCandidates(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		o := newOrg(t, db)
		o.publish(t, o.write(t, "Quokka habitat cleared", "", "Forest loss.").ID)
		o.publish(t, o.write(t, "Quokka rangers detained", "", "Rangers held.").ID)
		inBody := o.publish(t, o.write(t, "Island rangers speak", "", "The quokka colony is at risk.").ID)
		search := func() ([]string, int) {
			t.Helper()
			hits, total, err := models.SearchPublic(ctx, o.db, "quokka", models.SearchOptions{Limit: 3, Now: o.now})
			if err != nil {
				t.Fatal(err)
			}
			return ids(hits), total
		}
		before, totalBefore := search()
		if len(before) != 3 || totalBefore != 3 || !strings.Contains(strings.Join(before, " "), inBody.ID) {
			t.Fatalf("before the embargoed release: hits %v, total %d; want the three, the body match included", before, totalBefore)
		}
		o.publish(t, o.write(t, "Quokka cull ordered", "", "Embargoed findings.", embargo(o.now.Add(time.Hour))).ID)
		after, totalAfter := search()
		if strings.Join(after, " ") != strings.Join(before, " ") || totalAfter != totalBefore {
			t.Fatalf("an embargoed release changed the public answer: hits %v total %d, before %v total %d", after, totalAfter, before, totalBefore)
		}
	})
}

// TestSearchVisibilityFollowsItsDocuments: public search shows exactly what
// the documents' state allows at that moment, whatever wrote the state. The
// documents are changed here by plain UPDATEs, as a repair script or a code
// path that never calls the indexer would: the search must follow them (on
// PostgreSQL the public search rows carry their documents' visibility, kept
// in step by triggers), and a translation follows its original.
func TestSearchVisibilityFollowsItsDocuments(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		o := newOrg(t, db)
		orig := o.publish(t, o.write(t, "Ocelot trade banned", "", "The ocelot is protected.").ID)
		fr := o.publish(t, o.translate(t, orig, "fr", "Commerce d'ocelots interdit", "ocelot protégé").ID)
		found := func(at time.Time) map[string]models.SearchHit {
			t.Helper()
			out := map[string]models.SearchHit{}
			for _, h := range searchPublic(t, o, "ocelot", at) {
				out[h.DocumentID] = h
			}
			return out
		}
		set := func(id, assignments string, args ...any) {
			t.Helper()
			if err := o.db.Exec("UPDATE documents SET "+assignments+" WHERE id = ?", append(args, id)...).Error; err != nil {
				t.Fatal(err)
			}
		}
		if got := found(o.now); len(got) != 2 {
			t.Fatalf("published original and translation: found %d, want 2", len(got))
		}

		// The original goes back under embargo: neither it nor its translation
		// may be found, at any moment, until it is published again.
		later := o.now.Add(time.Hour)
		set(orig.ID, "status = 'scheduled', published_at = ?", later)
		for _, at := range []time.Time{o.now, later.Add(time.Minute)} {
			if got := found(at); len(got) != 0 {
				t.Fatalf("original scheduled again: found %d releases at %s, want none", len(got), at.Format(time.Kitchen))
			}
		}
		// Published with a later time: hidden before it, both found after it
		// (the translation's own time has long passed).
		set(orig.ID, "status = 'published'")
		if got := found(o.now); len(got) != 0 {
			t.Fatalf("original published for %s: found %d at %s, want none", later.Format(time.Kitchen), len(got), o.now.Format(time.Kitchen))
		}
		if got := found(later.Add(time.Minute)); len(got) != 2 {
			t.Fatalf("after the original's time: found %d, want 2", len(got))
		}

		// A new slug and the original's withdrawal show on the hits at once.
		set(fr.ID, "slug = ?", "ocelots-nouvelle-adresse")
		set(orig.ID, "status = 'withdrawn'")
		got := found(later.Add(time.Minute))
		if h, ok := got[fr.ID]; !ok || h.Slug != "ocelots-nouvelle-adresse" || h.Status != models.StatusWithdrawn || h.Snippet != "" {
			t.Fatalf("translation of a withdrawn original: %+v, want withdrawn, the new slug, no snippet", h)
		}
		if h := got[orig.ID]; h.Status != models.StatusWithdrawn {
			t.Fatalf("withdrawn original shown as %q", h.Status)
		}
		// A translation whose original is a draft is never public.
		set(orig.ID, "status = 'draft'")
		if got := found(later.Add(time.Minute)); len(got) != 0 {
			t.Fatalf("original back to draft: found %d, want none", len(got))
		}
	})
}

// TestSearchRowWrittenDuringADocumentChange: a public search row written
// while another transaction is changing its document carries the state that
// transaction commits. Here the release goes back under embargo while its row
// is being rebuilt: the rebuild waits for the change, and the release is not
// found.
func TestSearchRowWrittenDuringADocumentChange(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *models.DB) {
		if db.Dialect != models.Postgres {
			t.Skip("SQLite judges visibility through a join when the search runs, and has one writer")
		}
		ctx := context.Background()
		o := newOrg(t, db)
		d := o.publish(t, o.write(t, "Pangolin scales seized", "", "A shipment of scales.").ID)
		// No public row, as for a release approved for the first time.
		if err := o.db.Exec("DELETE FROM search_entries WHERE document_id = ? AND which = 'public'", d.ID).Error; err != nil {
			t.Fatal(err)
		}
		change := o.db.WithContext(ctx).Begin()
		defer change.Rollback()
		if err := change.Exec("UPDATE documents SET status = 'scheduled', published_at = ? WHERE id = ?", o.now.Add(time.Hour), d.ID).Error; err != nil {
			t.Fatal(err)
		}
		rebuilt := make(chan error, 1)
		go func() {
			rebuilt <- models.Transaction(ctx, o.db, func(tx *gorm.DB) error { return models.IndexDocumentForSearch(ctx, tx, d.ID) })
		}()
		select {
		case err := <-rebuilt:
			t.Fatalf("the search row was written while its document's change was uncommitted (error: %v): it carries the state before it", err)
		case <-time.After(300 * time.Millisecond):
		}
		if err := change.Commit().Error; err != nil {
			t.Fatal(err)
		}
		if err := <-rebuilt; err != nil {
			t.Fatal(err)
		}
		if has(searchPublic(t, o, "pangolin", o.now), d.ID) {
			t.Fatal("the release is found though it went back under embargo")
		}
	})
}
