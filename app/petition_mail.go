package app

import (
	"html"

	"pressroom/jobs"
	"pressroom/models"
)

// signatureMail builds the transactional email a signing request causes: the
// confirmation link, or the note that they have already signed. Neither is a
// campaign mail (no unsubscribe: it answers the person's own request).
func (s *Server) signatureMail(p *models.Petition, sig *models.Signature, kind models.SignEmail, token string) jobs.Batch {
	greeting := "Hello,"
	if sig.Name != "" {
		greeting = "Hello " + sig.Name + ","
	}
	page := s.cfg.URL("/p/" + p.Slug)
	var subject, text, body string
	switch kind {
	case models.SignEmailAlready:
		subject = "You have already signed: " + p.Title
		text = greeting + "\n\nSomeone (probably you) asked to sign the petition \"" + p.Title + "\" with this address. You have already signed it, and your signature is counted once.\n\n" +
			page + "\n\nThere is nothing more to do.\n"
		body = "<p>" + html.EscapeString(greeting) + "</p><p>Someone (probably you) asked to sign the petition <strong>" + html.EscapeString(p.Title) +
			"</strong> with this address. You have already signed it, and your signature is counted once.</p><p><a href=\"" + html.EscapeString(page) +
			"\">See the petition</a></p><p>There is nothing more to do.</p>"
	default:
		link := s.cfg.URL("/p/" + p.Slug + "/confirm/" + token)
		subject = "Please confirm your signature: " + p.Title
		text = greeting + "\n\nThank you for signing \"" + p.Title + "\":\n\n" + p.Demand + "\n\nYour signature counts once you confirm it. Open this link and press the button:\n\n" +
			link + "\n\nIf you did not sign, ignore this email: nothing is counted and you will hear nothing more.\n"
		body = "<p>" + html.EscapeString(greeting) + "</p><p>Thank you for signing <strong>" + html.EscapeString(p.Title) + "</strong>:</p><p><strong>" +
			html.EscapeString(p.Demand) + "</strong></p><p>Your signature counts once you confirm it:</p><p><a href=\"" + html.EscapeString(link) +
			"\">Confirm my signature</a></p><p>If you did not sign, ignore this email: nothing is counted and you will hear nothing more.</p>"
	}
	from := jobs.Address{Email: s.cfg.MailFrom.Address, Name: s.cfg.MailFrom.Name}
	return jobs.Batch{From: from, Subject: subject, Text: text, HTML: body, Categories: []string{"petition_" + string(kind)},
		CustomArgs: map[string]string{"petition_id": p.ID}, Recipients: []jobs.Recipient{{To: jobs.Address{Email: sig.Address(), Name: sig.Name}}}}
}
