package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"pressroom/models"
)

// Outbox is the development transport: instead of sending, it stores each
// personalised message so staff can read it at /admin/outbox.
type Outbox struct {
	DB *gorm.DB
}

// Name implements Transport.
func (o *Outbox) Name() string { return "outbox" }

// Send implements Transport: one stored message per recipient, all or none.
func (o *Outbox) Send(ctx context.Context, b Batch) (Result, error) {
	if err := b.Validate(); err != nil {
		return Result{}, &SendError{Status: 400, Message: err.Error()}
	}
	batchID := "outbox-" + models.NewID()
	msgs := make([]models.OutboxMessage, 0, len(b.Recipients))
	for i, r := range b.Recipients {
		headers := map[string]string{}
		for k, v := range b.Headers {
			headers[k] = Personalize(v, r.Substitutions)
		}
		for k, v := range r.Headers {
			headers[k] = Personalize(v, r.Substitutions)
		}
		args := map[string]string{}
		for k, v := range b.CustomArgs {
			args[k] = v
		}
		for k, v := range r.CustomArgs {
			args[k] = v
		}
		hj, _ := json.Marshal(headers)
		aj, _ := json.Marshal(args)
		m := models.OutboxMessage{
			MessageID:  fmt.Sprintf("%s.%d", batchID, i),
			FromAddr:   b.From.String(),
			ToAddr:     models.NormalizeEmail(r.To.Email),
			Subject:    Personalize(b.Subject, r.Substitutions),
			HTML:       Personalize(b.HTML, r.Substitutions),
			TextBody:   Personalize(b.Text, r.Substitutions),
			Headers:    string(hj),
			Categories: strings.Join(b.Categories, ","),
			CustomArgs: string(aj),
		}
		if b.ReplyTo != nil {
			m.ReplyTo = b.ReplyTo.String()
		}
		msgs = append(msgs, m)
	}
	if err := o.DB.WithContext(ctx).CreateInBatches(msgs, 200).Error; err != nil {
		return Result{}, fmt.Errorf("jobs: outbox: %w", err)
	}
	return Result{MessageID: batchID}, nil
}
