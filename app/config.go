// Package app is Pressroom's web process: the gin engine, routes, middleware,
// handlers for the admin UI, the public newsroom and the JSON API, and their view
// models. Domain rules live in models; background work is enqueued to jobs.
package app

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"pressroom/models"
)

// Mode says whether the process runs as the zero-setup development server or in
// production, where unsafe defaults are refused.
type Mode string

// The two modes.
const (
	ModeDev        Mode = "dev"
	ModeProduction Mode = "production"
)

// Config is everything Pressroom reads from the environment, parsed once.
type Config struct {
	Mode                     Mode
	DatabaseURL              string
	Port                     int
	BaseURL                  *url.URL
	SessionSecret            []byte
	PreviousSessionSecrets   [][]byte
	SendGridAPIKey           string
	SendGridAPIURL           string
	SendGridWebhookPublicKey string
	MailFrom                 *mail.Address
	DefaultTimezone          *time.Location
	// MetricsToken, when set, is the bearer token /metrics demands (METRICS_TOKEN).
	MetricsToken string
	// MetricsAddr, when set, is the address of the process's own metrics
	// listener (METRICS_ADDR); the public listener then never serves /metrics.
	MetricsAddr string
	// TrustedProxies are the networks whose X-Forwarded-For is believed. Empty
	// means none: the client address is the TCP peer, so nobody can forge the
	// address every per-IP rule (sign-in limits, audit log, consent records)
	// relies on by sending a header.
	TrustedProxies []netip.Prefix
	Petitions      PetitionConfig
	Actions        ActionConfig
	// MediaURL is where the media library's files live (MEDIA_URL): file://DIR
	// by default, s3://BUCKET?region=…&endpoint=… when several web processes
	// share them.
	MediaURL string
	// Sessions are the session lifetimes (SESSION_IDLE_TIMEOUT, default 8h;
	// SESSION_MAX_AGE, default 7 days).
	Sessions models.SessionPolicy
	// devSecret is set when SESSION_SECRET was generated for this process
	// (dev only): second-factor secrets are then sealed with a fixed
	// development key, so enrolments survive a restart of the demo.
	devSecret bool
}

// SecretBox seals second-factor secrets with keys derived from SESSION_SECRET
// (and opens them with those of SESSION_SECRET_PREVIOUS too), so rotating the
// secret keeps everyone's authenticator working as long as the old secret
// stays listed as previous.
func (c *Config) SecretBox() models.SecretBox {
	if c.devSecret {
		return models.SecretBox{Keys: [][]byte{secretBoxKey([]byte("pressroom development only"))}}
	}
	keys := [][]byte{secretBoxKey(c.SessionSecret)}
	for _, s := range c.PreviousSessionSecrets {
		keys = append(keys, secretBoxKey(s))
	}
	return models.SecretBox{Keys: keys}
}

func secretBoxKey(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("pressroom second-factor secrets v1"))
	return m.Sum(nil)
}

// ParseLifetime reads a duration as Go writes it ("8h", "90m") or in whole
// days ("7d").
func ParseLifetime(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil {
			return 0, err
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// UnsubscribeKey is the key of supporters' one-click unsubscribe links, derived
// from SESSION_SECRET so the web process (which checks them) and the worker
// (which puts them in every supporter email) agree.
func (c *Config) UnsubscribeKey() []byte { return unsubscribeKey(c.SessionSecret) }

// UnsubscribeKeys are the keys an unsubscribe link may have been signed with:
// the current one, then those of SESSION_SECRET_PREVIOUS. A supporter must be
// able to leave from any email they ever received, so rotating the secret may
// not break the links already in their inboxes.
func (c *Config) UnsubscribeKeys() [][]byte {
	keys := [][]byte{c.UnsubscribeKey()}
	for _, s := range c.PreviousSessionSecrets {
		keys = append(keys, unsubscribeKey(s))
	}
	return keys
}

func unsubscribeKey(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("pressroom unsubscribe links v1"))
	return m.Sum(nil)
}

// DefaultDatabaseURL is the embedded database used when DATABASE_URL is unset.
const DefaultDatabaseURL = "sqlite:./pressroom.db"

// MinSessionSecret is the shortest SESSION_SECRET production accepts, in bytes.
const MinSessionSecret = 32

// LoadConfig reads the configuration through getenv. In production it refuses to
// start without a strong SESSION_SECRET and an explicit BASE_URL; in dev it fills
// in what it needs. Every problem is reported at once, one per line.
func LoadConfig(getenv func(string) string, mode Mode) (*Config, error) {
	var problems []string
	c := &Config{Mode: mode}

	c.MediaURL = getenv("MEDIA_URL")
	if c.MediaURL == "" {
		c.MediaURL = "file://./media"
	}

	c.DatabaseURL = getenv("DATABASE_URL")
	if c.DatabaseURL == "" {
		c.DatabaseURL = DefaultDatabaseURL
	}
	if !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") && !strings.HasPrefix(c.DatabaseURL, "sqlite:") {
		problems = append(problems, "DATABASE_URL must be postgres://… or sqlite:PATH")
	}

	c.Port = 8080
	if p := getenv("PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			problems = append(problems, fmt.Sprintf("PORT must be a number from 1 to 65535 (got %q)", p))
		} else {
			c.Port = n
		}
	}

	base := getenv("BASE_URL")
	if base == "" {
		if mode == ModeProduction {
			problems = append(problems, "BASE_URL is required in production (the public address, e.g. https://press.example.org): links in emails are built from it")
		}
		base = fmt.Sprintf("http://localhost:%d", c.Port)
	}
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		problems = append(problems, fmt.Sprintf("BASE_URL must be an absolute http(s) URL (got %q)", base))
	} else {
		c.BaseURL = u
	}

	secret := getenv("SESSION_SECRET")
	switch {
	case len(secret) >= MinSessionSecret:
		c.SessionSecret = []byte(secret)
	case mode == ModeProduction && secret == "":
		problems = append(problems, "SESSION_SECRET is required in production (at least 32 bytes; e.g. `openssl rand -hex 32`)")
	case mode == ModeProduction:
		problems = append(problems, fmt.Sprintf("SESSION_SECRET is too short: %d bytes, need at least %d", len(secret), MinSessionSecret))
	default:
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		c.SessionSecret = []byte(hex.EncodeToString(b))
		c.devSecret = true
	}

	c.Sessions = models.DefaultSessionPolicy()
	for _, l := range []struct {
		name string
		into *time.Duration
	}{{"SESSION_IDLE_TIMEOUT", &c.Sessions.Idle}, {"SESSION_MAX_AGE", &c.Sessions.MaxAge}} {
		v := getenv(l.name)
		if v == "" {
			continue
		}
		d, err := ParseLifetime(v)
		if err != nil || d < time.Minute {
			problems = append(problems, fmt.Sprintf("%s must be a duration of at least a minute, such as 8h, 90m or 7d (got %q)", l.name, v))
			continue
		}
		*l.into = d
	}
	if c.Sessions.Idle > c.Sessions.MaxAge {
		problems = append(problems, fmt.Sprintf("SESSION_IDLE_TIMEOUT (%s) is longer than SESSION_MAX_AGE (%s): a session would never go idle", c.Sessions.Idle, c.Sessions.MaxAge))
	}

	// Secrets rotated out: they still verify unsubscribe links in mail already
	// sent. Comma-separated, newest first.
	for i, prev := range strings.Split(getenv("SESSION_SECRET_PREVIOUS"), ",") {
		prev = strings.TrimSpace(prev)
		switch {
		case prev == "":
		case len(prev) < MinSessionSecret:
			problems = append(problems, fmt.Sprintf("SESSION_SECRET_PREVIOUS entry %d is too short: %d bytes, need at least %d", i+1, len(prev), MinSessionSecret))
		default:
			c.PreviousSessionSecrets = append(c.PreviousSessionSecrets, []byte(prev))
		}
	}

	c.SendGridAPIKey = getenv("SENDGRID_API_KEY")
	c.SendGridAPIURL = strings.TrimRight(getenv("SENDGRID_API_URL"), "/")
	if c.SendGridAPIURL == "" {
		c.SendGridAPIURL = "https://api.sendgrid.com"
	} else if su, err := url.Parse(c.SendGridAPIURL); err != nil || su.Host == "" {
		problems = append(problems, fmt.Sprintf("SENDGRID_API_URL must be an absolute URL (got %q)", c.SendGridAPIURL))
	}
	c.SendGridWebhookPublicKey = getenv("SENDGRID_WEBHOOK_PUBLIC_KEY")

	from := getenv("MAIL_FROM")
	if from == "" {
		if mode == ModeProduction && c.SendGridAPIKey != "" {
			problems = append(problems, "MAIL_FROM is required when SENDGRID_API_KEY is set (e.g. \"Press Office <press@example.org>\")")
		}
		from = "Pressroom <press@example.org>"
	}
	if a, err := mail.ParseAddress(from); err != nil {
		problems = append(problems, fmt.Sprintf("MAIL_FROM is not a valid address (got %q)", from))
	} else {
		c.MailFrom = a
	}

	tz := getenv("DEFAULT_TIMEZONE")
	if tz == "" {
		tz = "Europe/London"
	}
	if loc, err := time.LoadLocation(tz); err != nil {
		problems = append(problems, fmt.Sprintf("DEFAULT_TIMEZONE is not a known IANA zone (got %q)", tz))
	} else {
		c.DefaultTimezone = loc
	}

	problems = append(problems, c.loadMetrics(getenv)...)
	for _, p := range strings.Split(getenv("TRUSTED_PROXIES"), ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		prefix, err := parseProxy(p)
		if err != nil {
			problems = append(problems, fmt.Sprintf("TRUSTED_PROXIES entry %q is not an IP address or CIDR network (e.g. 10.0.0.0/8, 2001:db8::/32)", p))
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, prefix)
	}
	problems = append(problems, loadPetitionConfig(getenv, c)...)
	problems = append(problems, loadActionConfig(getenv, c)...)

	if len(problems) > 0 {
		return nil, errors.New("configuration:\n  - " + strings.Join(problems, "\n  - "))
	}
	return c, nil
}

// parseProxy reads one TRUSTED_PROXIES entry: a CIDR network, or a single
// address meaning just that host.
func parseProxy(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// trustedProxyList is TrustedProxies in the form gin takes; nil (trust no
// proxy) when there are none.
func (c *Config) trustedProxyList() []string {
	var out []string
	for _, p := range c.TrustedProxies {
		out = append(out, p.String())
	}
	return out
}

// Secure reports whether Pressroom is served over HTTPS, which decides cookie flags
// and HSTS.
func (c *Config) Secure() bool { return c.BaseURL != nil && c.BaseURL.Scheme == "https" }

// URL joins a path onto BASE_URL.
func (c *Config) URL(path string) string {
	return c.BaseURL.String() + path
}
