package app

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"pressroom/models"
)

// catalog holds the public pages' fixed words (labels, navigation, month
// names) in every language with a message file under templates/i18n/, loaded
// once when the renderer is made. A page is written in its release's
// language; a language without a file, or a message missing from one, falls
// back to English, so a page never shows a message ID.
type catalog struct {
	english    *i18n.Localizer
	localizers map[string]*i18n.Localizer // by base language ("ar"), one per file
}

// loadCatalog reads every i18n/<lang>.json in fsys. en.json must exist: it is
// the fallback of every other language.
func loadCatalog(fsys fs.FS) (*catalog, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	files, err := fs.Glob(fsys, "i18n/*.json")
	if err != nil {
		return nil, fmt.Errorf("app: message files: %w", err)
	}
	c := &catalog{localizers: map[string]*i18n.Localizer{}}
	for _, f := range files {
		buf, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("app: message file %s: %w", f, err)
		}
		if _, err := b.ParseMessageFileBytes(buf, path.Base(f)); err != nil {
			return nil, fmt.Errorf("app: message file %s: %w", f, err)
		}
		lang := strings.TrimSuffix(path.Base(f), ".json")
		c.localizers[lang] = i18n.NewLocalizer(b, lang, "en")
	}
	if c.localizers["en"] == nil {
		return nil, fmt.Errorf("app: message files: i18n/en.json is missing")
	}
	c.english = c.localizers["en"]
	return c, nil
}

// has reports whether the catalog has a message file for the language.
func (c *catalog) has(lang string) bool {
	_, ok := c.localizers[models.BaseLanguage(lang)]
	return ok
}

func (c *catalog) localizer(lang string) *i18n.Localizer {
	if l, ok := c.localizers[models.BaseLanguage(lang)]; ok {
		return l
	}
	return c.english
}

// T is the message id in lang, filled from key/value pairs: T("fr",
// "ResultsFor", "Count", 3, "Query", q). A "Count" value chooses the plural
// form. A message no file has is a template bug: its ID shows, in brackets,
// so a test or a reader sees it at once.
func (c *catalog) T(lang, id string, kv ...any) string {
	cfg := &i18n.LocalizeConfig{MessageID: id}
	if len(kv) > 0 {
		data := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			k := fmt.Sprint(kv[i])
			data[k] = kv[i+1]
			if k == "Count" {
				cfg.PluralCount = kv[i+1]
			}
		}
		cfg.TemplateData = data
	}
	s, err := c.localizer(lang).Localize(cfg)
	if err != nil {
		if s, err = c.english.Localize(cfg); err != nil {
			return "[" + id + "]"
		}
	}
	return s
}

// Date is a day as the language writes it: "9 July 2026", "9 juillet 2026",
// "9 de julio de 2026", "9 يوليو 2026" (Western digits, as the press office's
// Arabic releases write them).
func (c *catalog) Date(lang string, t time.Time) string {
	return c.T(lang, "DateFormat", "Day", strconv.Itoa(t.Day()), "Month", c.T(lang, "Month"+strconv.Itoa(int(t.Month()))), "Year", strconv.Itoa(t.Year()))
}

// When is a moment in a zone, naming the zone: "14:05 BST, 9 July 2026".
func (c *catalog) When(lang string, t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return c.T(lang, "TimeFormat", "Time", t.Format("15:04"), "Zone", t.Format("MST"), "Date", c.Date(lang, t))
}

// arrow is an arrow pointing back (to the start of the line: left in
// English, right in Arabic) or on, for the page's direction.
func arrow(which, dir string) string {
	back := which == "back"
	if dir == "rtl" {
		back = !back
	}
	if back {
		return "←"
	}
	return "→"
}

// funcs are the catalog's template functions: t (a message), tdate (a day),
// twhen (a moment in a zone) and arrow.
func (c *catalog) funcs(defaultLoc *time.Location) map[string]any {
	return map[string]any{
		"t":     c.T,
		"tdate": c.Date,
		"twhen": func(lang string, t any, loc *time.Location) string {
			tt, ok := someTime(t)
			if !ok {
				return ""
			}
			if loc == nil {
				loc = defaultLoc
			}
			return c.When(lang, tt, loc)
		},
		"arrow": arrow,
	}
}

// someTime reads a time.Time or a non-nil *time.Time, as templates hold both.
func someTime(t any) (time.Time, bool) {
	switch v := t.(type) {
	case time.Time:
		return v, !v.IsZero()
	case *time.Time:
		if v == nil || v.IsZero() {
			return time.Time{}, false
		}
		return *v, true
	}
	return time.Time{}, false
}
