package app

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"pressroom/jobs"
	"pressroom/models"
)

// PetitionConfig is the petition side's configuration.
type PetitionConfig struct {
	// CountInterval is how often the count job moves the public count
	// (SIGNATURE_COUNT_INTERVAL, default 2s); count.json is cached as long.
	CountInterval time.Duration
	// PendingTTL is how long an unconfirmed signature is kept (SIGNATURE_PENDING_DAYS, default 7).
	PendingTTL time.Duration
	// IPKeep is how long a signer's full IP address is kept (SIGNATURE_IP_DAYS, default 30).
	IPKeep time.Duration
	// Limits are the abuse limits (SIGNATURE_BURST, SIGNATURE_SUSTAINED per IP
	// and petition, which flag; SIGNATURE_CEILING per IP, which refuses), each
	// written "N/duration", e.g. "5/1m".
	Limits models.SignLimits
	// AllowedOrigins are the organisation's own sites that may call the public
	// signing and count endpoints from the browser (PUBLIC_ALLOWED_ORIGINS,
	// comma-separated, e.g. https://www.example.org).
	AllowedOrigins []string
	// TrendingThreshold is how many signatures an hour from one IP or email
	// domain highlight it on the petition's page and email the campaigners,
	// once per source (SIGNATURE_TRENDING_THRESHOLD, default 100).
	TrendingThreshold int
}

// loadPetitionConfig reads the petition variables into c, returning problems.
func loadPetitionConfig(getenv func(string) string, c *Config) []string {
	var problems []string
	p := PetitionConfig{CountInterval: jobs.DefaultSignatureCountInterval, PendingTTL: jobs.DefaultSignaturePendingTTL,
		IPKeep: jobs.DefaultSignatureIPKeep, Limits: models.DefaultSignLimits(),
		TrendingThreshold: models.TrendingThreshold}
	if v := getenv("SIGNATURE_COUNT_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > time.Hour {
			problems = append(problems, fmt.Sprintf("SIGNATURE_COUNT_INTERVAL must be a duration from 1s to 1h, e.g. 2s (got %q)", v))
		} else {
			p.CountInterval = d
		}
	}
	days := func(name string, into *time.Duration) {
		if v := getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 3650 {
				problems = append(problems, fmt.Sprintf("%s must be a whole number of days from 1 to 3650 (got %q)", name, v))
				return
			}
			*into = time.Duration(n) * 24 * time.Hour
		}
	}
	days("SIGNATURE_PENDING_DAYS", &p.PendingTTL)
	days("SIGNATURE_IP_DAYS", &p.IPKeep)
	rate := func(name string, into *models.RateLimit) {
		v := getenv(name)
		if v == "" {
			return
		}
		ns, ds, ok := strings.Cut(v, "/")
		n, err := strconv.Atoi(strings.TrimSpace(ns))
		d, derr := time.ParseDuration(strings.TrimSpace(ds))
		if !ok || err != nil || derr != nil || n < 1 || d < time.Second {
			problems = append(problems, fmt.Sprintf("%s must be a count per duration, e.g. 5/1m (got %q)", name, v))
			return
		}
		*into = models.RateLimit{N: n, Window: d}
	}
	if v := getenv("SIGNATURE_TRENDING_THRESHOLD"); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > 1_000_000 {
			problems = append(problems, fmt.Sprintf("SIGNATURE_TRENDING_THRESHOLD must be a whole number of signatures an hour from 1 to 1000000 (got %q)", v))
		} else {
			p.TrendingThreshold = n
		}
	}
	rate("SIGNATURE_BURST", &p.Limits.Burst)
	rate("SIGNATURE_SUSTAINED", &p.Limits.Sustained)
	rate("SIGNATURE_CEILING", &p.Limits.Ceiling)
	for _, o := range strings.Split(getenv("PUBLIC_ALLOWED_ORIGINS"), ",") {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
			problems = append(problems, fmt.Sprintf("PUBLIC_ALLOWED_ORIGINS entries must be origins such as https://www.example.org (got %q)", o))
			continue
		}
		p.AllowedOrigins = append(p.AllowedOrigins, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	c.Petitions = p
	return problems
}
