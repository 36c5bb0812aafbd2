package jobs

import (
	"context"
	"errors"
	"fmt"
	"html"

	"github.com/riverqueue/river"

	"pressroom/models"
)

// SignatureMailArgs is the email one signing request causes: the confirmation
// link, or the note that the mailbox has already signed. It is inserted in the
// signature's own transaction (a batch of them in one statement per group
// commit) and names the signature rather than carrying the rendered message:
// the job row stays small, which is most of what a viral petition's signing
// costs the database. Token is the link's secret (only its hash is stored
// with the signature), so it has to travel here.
type SignatureMailArgs struct {
	SignatureID string           `json:"signature_id"`
	Email       models.SignEmail `json:"email"`
	Token       string           `json:"token,omitempty"`
}

// Kind implements river.JobArgs.
func (SignatureMailArgs) Kind() string { return "signature_mail" }

// InsertOpts: as DeliverMailArgs, a confirmation hours late is worse than a
// visible failure.
func (SignatureMailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 8}
}

// SignatureMailWorker renders a signature's email and hands it to the mail
// transport.
type SignatureMailWorker struct {
	river.WorkerDefaults[SignatureMailArgs]
	Deps
}

// Work sends the email, unless the signature has gone since (expired, or its
// signer erased): then there is nobody to write to.
func (w *SignatureMailWorker) Work(ctx context.Context, job *river.Job[SignatureMailArgs]) error {
	sig, p, err := models.SignatureAndPetition(ctx, w.DB.Gorm, job.Args.SignatureID)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("jobs: signature mail: %w", err)
	}
	if sig.Address() == "" {
		return nil
	}
	return deliver(ctx, w.Mail, SignatureMail(w.BaseURL, w.MailFrom, p, sig, job.Args.Email, job.Args.Token), "petition_"+string(job.Args.Email))
}

// SignatureMail builds the transactional email of a signing request: the
// content of its kind with one recipient.
func SignatureMail(baseURL string, from Address, p *models.Petition, sig *models.Signature, kind models.SignEmail, token string) Batch {
	b := signatureMailContent(baseURL, from, p, kind)
	b.Recipients = []Recipient{signatureRecipient(baseURL, p, sig, token)}
	return b
}

// Keys of a signature email's own parts in the content its kind shares.
const (
	keyGreeting    = "-greeting-"
	keyConfirmLink = "-confirm_link-"
)

// signatureMailContent is the content the emails of one kind share for a
// petition; each recipient's greeting and link are substitutions
// (signatureRecipient), so one provider request carries a batch of them.
// Neither kind is a campaign mail (no unsubscribe: it answers the person's
// own request).
func signatureMailContent(baseURL string, from Address, p *models.Petition, kind models.SignEmail) Batch {
	greeting, greetingHTML, link, linkHTML := keyGreeting, HTMLKey(keyGreeting), keyConfirmLink, HTMLKey(keyConfirmLink)
	page := baseURL + "/p/" + models.EscapeSlug(p.Slug)
	var subject, text, body string
	switch kind {
	case models.SignEmailAlready:
		subject = "You have already signed: " + p.Title
		text = greeting + "\n\nSomeone (probably you) asked to sign the petition \"" + p.Title + "\" with this address. You have already signed it, and your signature is counted once.\n\n" +
			page + "\n\nThere is nothing more to do.\n"
		body = "<p>" + greetingHTML + "</p><p>Someone (probably you) asked to sign the petition <strong>" + html.EscapeString(p.Title) +
			"</strong> with this address. You have already signed it, and your signature is counted once.</p><p><a href=\"" + html.EscapeString(page) +
			"\">See the petition</a></p><p>There is nothing more to do.</p>"
	default:
		subject = "Please confirm your signature: " + p.Title
		text = greeting + "\n\nThank you for signing \"" + p.Title + "\":\n\n" + p.Demand + "\n\nYour signature counts once you confirm it. Open this link and press the button:\n\n" +
			link + "\n\nIf you did not sign, ignore this email: nothing is counted and you will hear nothing more.\n"
		body = "<p>" + greetingHTML + "</p><p>Thank you for signing <strong>" + html.EscapeString(p.Title) + "</strong>:</p><p><strong>" +
			html.EscapeString(p.Demand) + "</strong></p><p>Your signature counts once you confirm it:</p><p><a href=\"" + linkHTML +
			"\">Confirm my signature</a></p><p>If you did not sign, ignore this email: nothing is counted and you will hear nothing more.</p>"
	}
	return Batch{From: from, Subject: subject, Text: text, HTML: body, Categories: []string{"petition_" + string(kind)},
		CustomArgs: map[string]string{"petition_id": p.ID}}
}

// signatureRecipient is one signer of a signature email: their address, and
// their greeting and confirmation link as substitutions.
func signatureRecipient(baseURL string, p *models.Petition, sig *models.Signature, token string) Recipient {
	greeting := "Hello,"
	if sig.Name != "" {
		greeting = "Hello " + sig.Name + ","
	}
	link := ""
	if token != "" {
		link = baseURL + "/p/" + models.EscapeSlug(p.Slug) + "/confirm/" + token
	}
	return Recipient{To: Address{Email: sig.Address(), Name: sig.Name}, Substitutions: Substitutions(keyGreeting, greeting, keyConfirmLink, link)}
}
