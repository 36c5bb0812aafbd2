package jobs

import "gorm.io/gorm"

// NewTransport picks the mail transport: SendGrid when an API key is configured,
// otherwise the development outbox. opts tune the SendGrid transport (timeout,
// HTTP client) and are ignored by the outbox.
func NewTransport(apiKey, apiURL string, db *gorm.DB, opts ...SendGridOption) Transport {
	if apiKey != "" {
		return NewSendGrid(apiKey, apiURL, opts...)
	}
	return &Outbox{DB: db}
}
