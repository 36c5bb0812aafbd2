package jobs

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"pressroom/models"
)

// enqueuePetitionNotice enqueues, in tx, one email about a petition to its
// campaigners (models.PetitionCampaigners), each greeted by name. The caller
// has claimed the notice in the same transaction, so the email exists exactly
// when the claim was committed: told once, never lost.
func enqueuePetitionNotice(ctx context.Context, d Deps, tx *gorm.DB, p *models.Petition, purpose, subject, text, html string) error {
	to, err := models.PetitionCampaigners(ctx, tx, p)
	if err != nil {
		return err
	}
	if len(to) == 0 {
		return nil
	}
	client, err := river.ClientFromContextSafely[*sql.Tx](ctx)
	if err != nil {
		return fmt.Errorf("jobs: petition notice: %w", err)
	}
	link := d.BaseURL + "/admin/petitions/" + p.ID
	rs := make([]Recipient, 0, len(to))
	for _, u := range to {
		rs = append(rs, Recipient{To: Address{Email: u.Email, Name: u.Name}, Substitutions: Substitutions(KeyName, u.Name)})
	}
	for start := 0; start < len(rs); start += MaxBatchRecipients {
		end := min(start+MaxBatchRecipients, len(rs))
		b := Batch{From: d.MailFrom, Subject: subject, Categories: []string{purpose}, CustomArgs: map[string]string{"petition_id": p.ID},
			Text: "Hello " + KeyName + ",\n\n" + text + "\n\nSee the petition: " + link + "\n",
			HTML: `<p>Hello ` + KeyNameHTML + `,</p>` + html + `<p><a href="` + htmlEscape(link) + `">See the petition in Pressroom</a></p>`, Recipients: rs[start:end]}
		if err := EnqueueTx(ctx, client, tx, DeliverMailArgs{Batch: b, Purpose: purpose}, nil); err != nil {
			return err
		}
	}
	return nil
}
