package app

import (
	"fmt"
	"strconv"
	"strings"
)

// DefaultLettersPerTargetPerHour is the pacing of letters to one official
// when LETTERS_PER_TARGET_PER_HOUR is unset.
const DefaultLettersPerTargetPerHour = 500

// ActionConfig is the Urgent Actions side's configuration.
type ActionConfig struct {
	// LettersPerTargetPerHour is how many letters at most go to one official
	// an hour, spread evenly (LETTERS_PER_TARGET_PER_HOUR, default 500; 0
	// lifts the limit, for benchmarks and tests).
	LettersPerTargetPerHour int
}

// loadActionConfig reads the Urgent Actions variables into c, returning problems.
func loadActionConfig(getenv func(string) string, c *Config) []string {
	c.Actions = ActionConfig{LettersPerTargetPerHour: DefaultLettersPerTargetPerHour}
	if v := strings.TrimSpace(getenv("LETTERS_PER_TARGET_PER_HOUR")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 360_000 {
			return []string{fmt.Sprintf("LETTERS_PER_TARGET_PER_HOUR must be a whole number of letters from 0 (no limit) to 360000 (got %q)", v)}
		}
		c.Actions.LettersPerTargetPerHour = n
	}
	return nil
}
