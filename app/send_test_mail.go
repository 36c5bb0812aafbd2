package app

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"pressroom/jobs"
	"pressroom/models"
)

// sendTestResult is what a test of a send did: where it went and who it was
// rendered as, per kind of recipient.
type sendTestResult struct {
	To      []string          `json:"sent_to"`
	Samples map[string]string `json:"rendered_as"` // kind → the sample recipient's name
}

// sendTest mails a prepared send to up to five addresses (none: the signed-in
// user), rendered for each kind of recipient in its audience exactly as one
// named sample member of that audience gets it: the same banner and text, a
// preview link of its own (marked as a test) while the release is under
// embargo, and an unsubscribe link that changes nothing. The subject starts
// "[TEST]". It goes through the real transport (DeliverMail), is recorded in
// the send's history (the audit log) and never becomes a recipient of the send.
func (s *Server) sendTest(c *gin.Context, id string, addresses []string) (*sendTestResult, error) {
	ctx := c.Request.Context()
	db := s.db.Gorm
	u := currentUser(c)
	send, err := models.SendByID(ctx, db, id)
	if err != nil {
		return nil, err
	}
	if !models.CanSend(u, send.Kind) {
		return nil, models.ErrWrongKind
	}
	to, err := models.TestAddresses(addresses)
	if err != nil {
		return nil, err
	}
	if len(to) == 0 {
		to = []string{u.Email}
	}
	now := s.clock.Now()
	base := s.cfg.BaseURL.String()
	content, err := jobs.ComposeSend(ctx, db, send, base, s.mediaKey, now)
	if err != nil {
		return nil, err
	}
	as, err := models.NamedSendAudiences(ctx, db, send.ID)
	if err != nil {
		return nil, err
	}
	kinds := audienceKinds(as)
	if len(kinds) == 0 {
		kinds = []string{models.RecipientJournalist}
	}
	res := &sendTestResult{To: to, Samples: map[string]string{}}
	samples := map[string]models.BatchRecipient{}
	for _, kind := range kinds {
		sample, err := s.testSample(ctx, u, send, kind)
		if err != nil {
			return nil, err
		}
		samples[kind] = sample
		res.Samples[kind] = sampleLabel(sample)
	}
	from := jobs.Address{Email: s.cfg.MailFrom.Address, Name: s.cfg.MailFrom.Name}
	err = models.Transaction(ctx, db, func(tx *gorm.DB) error {
		var described []string
		for _, kind := range kinds {
			var tokens map[string]string
			if kind == models.RecipientJournalist && content.EmbargoAt != nil {
				if tokens, err = models.CreateTestPreviewLinks(ctx, tx, send.DocumentID, send.ID, u, to, content.EmbargoAt.Add(24*time.Hour), now); err != nil {
					return err
				}
			}
			rs := make([]jobs.Recipient, 0, len(to))
			for _, a := range to {
				rs = append(rs, content.TestRecipient(samples[kind], jobs.Address{Email: a}, base, tokens[a]))
			}
			b := content.BatchFor(kind, from, rs)
			b.Subject = "[TEST] " + b.Subject
			b.Categories = []string{"send_test", string(send.Kind)}
			if err := jobs.EnqueueTx(ctx, s.jobs, tx, jobs.DeliverMailArgs{Batch: b, Purpose: "send_test"}, nil); err != nil {
				return err
			}
			described = append(described, kind+"s' version as "+res.Samples[kind])
		}
		// The send's history shows who tested it, where the test went and who
		// it was rendered as; a test is never one of the send's recipients.
		return models.Audit(ctx, tx, models.AuditEvent{At: now, ActorID: &u.ID, Action: "send_tested", SubjectType: "send",
			SubjectID: send.ID, Revision: send.Revision, Comment: "test sent to " + strings.Join(to, ", ") + " (" + strings.Join(described, "; ") + ")",
			Details: "send " + send.ID + ": test to " + strings.Join(to, ", "), IP: c.ClientIP()})
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// testSample is who a test is rendered as: the first member of the audience
// of that kind, when the tester may see that audience's people; otherwise (or
// when the audience has nobody of that kind) the tester themself.
func (s *Server) testSample(ctx context.Context, u *models.User, send *models.Send, kind string) (models.BatchRecipient, error) {
	if models.CanReadPeople(u, models.RecipientAudience(kind)) {
		r, err := models.SampleRecipient(ctx, s.db.Gorm, send, kind)
		if err != nil {
			return models.BatchRecipient{}, err
		}
		if r != nil {
			return *r, nil
		}
	}
	return models.BatchRecipient{Kind: kind, Email: u.Email, Name: u.Name}, nil
}

func sampleLabel(r models.BatchRecipient) string {
	if strings.TrimSpace(r.Name) == "" {
		return r.Email
	}
	return r.Name + " <" + r.Email + ">"
}

// test is the send page's "Send a test" form: addresses typed in (comma or
// one per line), or none for the signed-in user.
func (h *SendsHandler) test(c *gin.Context) {
	res, err := h.s.sendTest(c, c.Param("id"), []string{c.PostForm("emails")})
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ve):
		h.s.setFlash(c, "error", "No test sent: "+ve.Fields["emails"]+".")
		redirect(c, "/admin/sends/"+c.Param("id"))
		return
	case err != nil:
		_ = c.Error(err)
		return
	}
	var as []string
	for _, k := range []string{models.RecipientJournalist, models.RecipientSupporter} {
		if n, ok := res.Samples[k]; ok {
			as = append(as, n)
		}
	}
	h.s.setFlash(c, "success", "A test is on its way to "+strings.Join(res.To, ", ")+", rendered as "+strings.Join(as, " and ")+" would get it.")
	redirect(c, "/admin/sends/"+c.Param("id"))
}

// sendTestRequest is the body of POST /api/v1/sends/{id}/test; "addresses"
// is accepted as another name for "emails".
type sendTestRequest struct {
	Emails    []string `json:"emails"`
	Addresses []string `json:"addresses"`
}

func (h *SendsAPI) test(c *gin.Context) {
	var req sendTestRequest
	if err := json.NewDecoder(io.LimitReader(c.Request.Body, maxBody)).Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		apiError(c, http.StatusBadRequest, "bad_json", "the body is not a JSON object: "+err.Error(), nil)
		return
	}
	res, err := h.s.sendTest(c, c.Param("id"), append(req.Emails, req.Addresses...))
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, res)
}
