package jobs

import (
	"cmp"
	"context"
	"encoding/json"
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

// SignatureMailJob is the job row River's insert would write for args, for
// the statement that stores a batch of signatures with their jobs.
func SignatureMailJob(args SignatureMailArgs) (models.JobRow, error) {
	encoded, err := json.Marshal(args)
	if err != nil {
		return models.JobRow{}, fmt.Errorf("jobs: signature mail: %w", err)
	}
	opts := args.InsertOpts()
	return models.JobRow{Kind: args.Kind(), Args: encoded, MaxAttempts: cmp.Or(opts.MaxAttempts, river.MaxAttemptsDefault),
		Priority: cmp.Or(opts.Priority, river.PriorityDefault), Queue: cmp.Or(opts.Queue, river.QueueDefault)}, nil
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

// SignatureMail builds the transactional email of a signing request. Neither
// kind is a campaign mail (no unsubscribe: it answers the person's own
// request).
func SignatureMail(baseURL string, from Address, p *models.Petition, sig *models.Signature, kind models.SignEmail, token string) Batch {
	greeting := "Hello,"
	if sig.Name != "" {
		greeting = "Hello " + sig.Name + ","
	}
	page := baseURL + "/p/" + models.EscapeSlug(p.Slug)
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
		link := baseURL + "/p/" + models.EscapeSlug(p.Slug) + "/confirm/" + token
		subject = "Please confirm your signature: " + p.Title
		text = greeting + "\n\nThank you for signing \"" + p.Title + "\":\n\n" + p.Demand + "\n\nYour signature counts once you confirm it. Open this link and press the button:\n\n" +
			link + "\n\nIf you did not sign, ignore this email: nothing is counted and you will hear nothing more.\n"
		body = "<p>" + html.EscapeString(greeting) + "</p><p>Thank you for signing <strong>" + html.EscapeString(p.Title) + "</strong>:</p><p><strong>" +
			html.EscapeString(p.Demand) + "</strong></p><p>Your signature counts once you confirm it:</p><p><a href=\"" + html.EscapeString(link) +
			"\">Confirm my signature</a></p><p>If you did not sign, ignore this email: nothing is counted and you will hear nothing more.</p>"
	}
	return Batch{From: from, Subject: subject, Text: text, HTML: body, Categories: []string{"petition_" + string(kind)},
		CustomArgs: map[string]string{"petition_id": p.ID}, Recipients: []Recipient{{To: Address{Email: sig.Address(), Name: sig.Name}}}}
}
