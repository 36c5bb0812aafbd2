package jobs

import "gorm.io/gorm"

// NewTransport picks the mail transport: SendGrid when an API key is configured,
// otherwise the development outbox.
func NewTransport(apiKey, apiURL string, db *gorm.DB) Transport {
	if apiKey != "" {
		return NewSendGrid(apiKey, apiURL)
	}
	return &Outbox{DB: db}
}
