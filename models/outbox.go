package models

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// OutboxMessage is one email as the development outbox stored it instead of
// handing it to a provider: exactly what the recipient would have received.
type OutboxMessage struct {
	ID         int64 `gorm:"primaryKey"`
	CreatedAt  time.Time
	MessageID  string
	FromAddr   string
	ToAddr     string
	ReplyTo    string
	Subject    string
	HTML       string
	TextBody   string
	Headers    string // JSON object
	Categories string
	CustomArgs string // JSON object
}

// HeaderMap decodes the stored headers.
func (m *OutboxMessage) HeaderMap() map[string]string {
	h := map[string]string{}
	_ = json.Unmarshal([]byte(m.Headers), &h)
	return h
}

// OutboxMessages lists stored messages newest first, optionally only those to one
// address.
func OutboxMessages(ctx context.Context, db *gorm.DB, to string, limit int) ([]OutboxMessage, error) {
	q := db.WithContext(ctx).Order("id DESC")
	if to != "" {
		q = q.Where("to_addr = ?", NormalizeEmail(to))
	}
	if limit <= 0 {
		limit = 100
	}
	var ms []OutboxMessage
	if err := q.Limit(limit).Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("models: outbox messages: %w", err)
	}
	return ms, nil
}

// OutboxMessageByID loads one stored message.
func OutboxMessageByID(ctx context.Context, db *gorm.DB, id int64) (*OutboxMessage, error) {
	var m OutboxMessage
	if err := db.WithContext(ctx).First(&m, id).Error; err != nil {
		return nil, fmt.Errorf("models: outbox message: %w", translate(err))
	}
	return &m, nil
}
