package app

import (
	"html"
	"strings"

	"pressroom/jobs"
	"pressroom/models"
)

// letterConfirmMail is the email that confirms a writer's address before their
// first letter goes: the link opens a page with one button (mail scanners
// fetch links, so only its POST confirms). It quotes the subject, not the
// letter, and answers the person's own request (no unsubscribe).
func (s *Server) letterConfirmMail(a *models.PublicAction, l *models.Letter, token string) jobs.Batch {
	greeting := writerGreeting(l)
	link := s.cfg.URL("/a/" + models.EscapeSlug(*a.Release.Slug) + "/confirm/" + token)
	title := a.Release.Headline
	subject := "Please confirm your letter: " + title
	text := greeting + "\n\nThank you for writing on \"" + title + "\" (subject: " + l.Subject + ").\n\n" +
		"Your letter goes to the officials once you confirm this is your address. Open this link and press the button:\n\n" + link +
		"\n\nIf you did not write it, ignore this email: nothing is sent and you will hear nothing more.\n"
	body := "<p>" + html.EscapeString(greeting) + "</p><p>Thank you for writing on <strong>" + html.EscapeString(title) + "</strong> (subject: " +
		html.EscapeString(l.Subject) + ").</p><p>Your letter goes to the officials once you confirm this is your address:</p><p><a href=\"" +
		html.EscapeString(link) + "\">Confirm and send my letter</a></p><p>If you did not write it, ignore this email: nothing is sent and you will hear nothing more.</p>"
	return s.writerMail(a, l, "letter_confirm", subject, text, body)
}

// letterAlreadyMail tells a writer that a letter asked for with their address
// went to officials they have already written to on this action. The public
// answer to that request was the first-letter one (it must not say who
// wrote), so the mailbox's owner is the one who learns it.
func (s *Server) letterAlreadyMail(a *models.PublicAction, l *models.Letter, targets []string) jobs.Batch {
	greeting := writerGreeting(l)
	page := s.cfg.URL("/a/" + models.EscapeSlug(*a.Release.Slug))
	title := a.Release.Headline
	names := strings.Join(targets, " and ")
	subject := "You have already written: " + title
	said := " with this address. You have already written to them about this action, and each official gets one letter from each writer, so nothing more was sent."
	text := greeting + "\n\nSomeone (probably you) asked to send a letter on \"" + title + "\" to " + names + said + "\n\n" +
		page + "\n\nThere is nothing more to do. Thank you for writing.\n"
	body := "<p>" + html.EscapeString(greeting) + "</p><p>Someone (probably you) asked to send a letter on <strong>" + html.EscapeString(title) + "</strong> to " +
		html.EscapeString(names) + html.EscapeString(said) + "</p><p><a href=\"" + html.EscapeString(page) + "\">See the action</a></p><p>There is nothing more to do. Thank you for writing.</p>"
	return s.writerMail(a, l, "letter_already", subject, text, body)
}

func writerGreeting(l *models.Letter) string {
	if l.Name != "" {
		return "Hello " + l.Name + ","
	}
	return "Hello,"
}

// writerMail is a transactional email to a letter's writer, from the
// organisation, answering the person's own request (no unsubscribe).
func (s *Server) writerMail(a *models.PublicAction, l *models.Letter, category, subject, text, body string) jobs.Batch {
	from := jobs.Address{Email: s.cfg.MailFrom.Address, Name: s.cfg.MailFrom.Name}
	return jobs.Batch{From: from, Subject: subject, Text: text, HTML: body, Categories: []string{category},
		CustomArgs: map[string]string{"action_id": a.Release.ID}, Recipients: []jobs.Recipient{{To: jobs.Address{Email: l.Address(), Name: l.Name}}}}
}
