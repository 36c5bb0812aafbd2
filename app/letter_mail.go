package app

import (
	"html"

	"pressroom/jobs"
	"pressroom/models"
)

// letterConfirmMail is the email that confirms a writer's address before their
// first letter goes: the link opens a page with one button (mail scanners
// fetch links, so only its POST confirms). It quotes the subject, not the
// letter, and answers the person's own request (no unsubscribe).
func (s *Server) letterConfirmMail(a *models.PublicAction, l *models.Letter, token string) jobs.Batch {
	greeting := "Hello,"
	if l.Name != "" {
		greeting = "Hello " + l.Name + ","
	}
	link := s.cfg.URL("/a/" + models.EscapeSlug(*a.Release.Slug) + "/confirm/" + token)
	title := a.Release.Headline
	subject := "Please confirm your letter: " + title
	text := greeting + "\n\nThank you for writing on \"" + title + "\" (subject: " + l.Subject + ").\n\n" +
		"Your letter goes to the officials once you confirm this is your address. Open this link and press the button:\n\n" + link +
		"\n\nIf you did not write it, ignore this email: nothing is sent and you will hear nothing more.\n"
	body := "<p>" + html.EscapeString(greeting) + "</p><p>Thank you for writing on <strong>" + html.EscapeString(title) + "</strong> (subject: " +
		html.EscapeString(l.Subject) + ").</p><p>Your letter goes to the officials once you confirm this is your address:</p><p><a href=\"" +
		html.EscapeString(link) + "\">Confirm and send my letter</a></p><p>If you did not write it, ignore this email: nothing is sent and you will hear nothing more.</p>"
	from := jobs.Address{Email: s.cfg.MailFrom.Address, Name: s.cfg.MailFrom.Name}
	return jobs.Batch{From: from, Subject: subject, Text: text, HTML: body, Categories: []string{"letter_confirm"},
		CustomArgs: map[string]string{"action_id": a.Release.ID}, Recipients: []jobs.Recipient{{To: jobs.Address{Email: l.Address(), Name: l.Name}}}}
}
