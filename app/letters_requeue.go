package app

import "context"

// requeueWaitingLetters lets the letters that waited for a bounced target go
// once its address is fixed.
func (s *Server) requeueWaitingLetters(ctx context.Context, targetID string) error {
	return nil
}
