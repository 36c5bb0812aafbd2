package app

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/csrf"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"pressroom/models"
)

// Renderer holds one parsed template set per page: the page's layout, every
// partial, and the page itself. Separate sets let each page define "content"
// without colliding, and parsing at start-up means a broken template stops the
// process before it serves anything.
type Renderer struct {
	pages   map[string]*template.Template
	catalog *catalog // the public pages' words in each language (t, tdate, twhen)
}

// layoutFor maps a page area (the folder under pages/) to its layout.
var layoutFor = map[string]string{
	"admin":  "layouts/admin.html",
	"public": "layouts/public.html",
	"embed":  "layouts/embed.html",
}

// NewRenderer loads the message files under i18n/ in fsys and parses every
// page under pages/<area>/, with funcs and the catalog's functions.
func NewRenderer(fsys fs.FS, funcs template.FuncMap, defaultLoc *time.Location) (*Renderer, error) {
	partials, err := fs.Glob(fsys, "partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("app: templates: %w", err)
	}
	cat, err := loadCatalog(fsys)
	if err != nil {
		return nil, err
	}
	all := template.FuncMap{}
	for k, f := range funcs {
		all[k] = f
	}
	for k, f := range cat.funcs(defaultLoc) {
		all[k] = f
	}
	funcs = all
	r := &Renderer{pages: map[string]*template.Template{}, catalog: cat}
	for area, layout := range layoutFor {
		pages, err := fs.Glob(fsys, "pages/"+area+"/*.html")
		if err != nil {
			return nil, fmt.Errorf("app: templates: %w", err)
		}
		// The layout and partials are parsed once per area and each page into
		// a clone of them: parsing them again for every page was most of the
		// start-up's 85 ms.
		base, err := template.New(path.Base(layout)).Funcs(funcs).ParseFS(fsys, append([]string{layout}, partials...)...)
		if err != nil {
			return nil, fmt.Errorf("app: parse %s: %w", layout, err)
		}
		for _, p := range pages {
			t, err := base.Clone()
			if err != nil {
				return nil, fmt.Errorf("app: parse %s: %w", p, err)
			}
			if t, err = t.ParseFS(fsys, p); err != nil {
				return nil, fmt.Errorf("app: parse %s: %w", p, err)
			}
			name := area + "/" + strings.TrimSuffix(path.Base(p), ".html")
			r.pages[name] = t
		}
	}
	return r, nil
}

// Render executes a page into w. It renders into a buffer first so that a
// template error becomes a clean 500 instead of half a page.
func (r *Renderer) Render(w io.Writer, name string, data any) error {
	t, ok := r.pages[name]
	if !ok {
		return fmt.Errorf("app: no page template %q", name)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return fmt.Errorf("app: render %s: %w", name, err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// Has reports whether a page exists.
func (r *Renderer) Has(name string) bool { _, ok := r.pages[name]; return ok }

// view is what every page template receives.
type view struct {
	Title     string
	Section   string // highlighted navigation entry
	User      *models.User
	CSRF      template.HTML
	CSRFToken string
	Flash     *Flash
	Loc       *time.Location
	Errors    map[string]string // field → message, shown beside the field
	Form      any               // the submitted values, re-shown after a validation error
	Data      any
	BaseURL   string
	Now       time.Time
	Lang      string    // the page's language (public pages of a translation)
	Dir       string    // "rtl" for right-to-left languages
	Meta      *pageMeta // OpenGraph and Twitter card tags of public pages
	SiteName  string    // the organisation's name (Settings), on every page
	// Site is the rest of the newsroom's identity (Settings): accent
	// colour, introduction, press office block; Logo is the masthead's
	// logo, public once chosen.
	Site    models.SiteSettings
	Logo    *mediaView
	NoIndex bool // keep the page out of search engines
}

// pageMeta describes a public page to social networks and crawlers.
type pageMeta struct {
	Title       string
	Description string
	URL         string
	Type        string // "article" or "website"
	FeedURL     string
	Published   *time.Time
	Image       *mediaView // og:image / twitter:image: the 1200×630 card, absolute URL
}

// Can reports whether the signed-in user holds one of the roles (admins hold all).
func (v view) Can(roles ...string) bool {
	if v.User == nil {
		return false
	}
	if v.User.Role == models.RoleAdmin {
		return true
	}
	for _, r := range roles {
		if string(v.User.Role) == r {
			return true
		}
	}
	return false
}

// Flash is a one-shot message shown on the next page after a redirect.
type Flash struct {
	Kind    string `json:"k"` // "success" or "error"
	Message string `json:"m"`
}

const flashCookie = "pressroom_flash"

func (s *Server) setFlash(c *gin.Context, kind, msg string) {
	b, _ := json.Marshal(Flash{Kind: kind, Message: flashSentence(msg)})
	http.SetCookie(c.Writer, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: "/",
		HttpOnly: true, Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode, MaxAge: 60})
}

// flashSentence makes a flash read as sentences with normal capitals: "Not
// approved: nobody approves their own release" (a label joined to a domain
// error's wording) becomes "Not approved. Nobody approves their own release."
// Every flash goes through it, so no call site can leave a fragment.
func flashSentence(msg string) string {
	msg = strings.TrimSpace(msg)
	if head, rest, ok := strings.Cut(msg, ": "); ok && (strings.HasPrefix(head, "Not ") || strings.HasPrefix(head, "No ")) && len(head) <= 20 && rest != "" {
		msg = head + ". " + upperFirst(rest)
	}
	msg = upperFirst(msg)
	if msg == "" {
		return msg
	}
	if !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "!") && !strings.HasSuffix(msg, "?") && !strings.HasSuffix(msg, "”") && !strings.HasSuffix(msg, ")") {
		msg += "."
	}
	return msg
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

func (s *Server) takeFlash(c *gin.Context) *Flash {
	if sharedCacheable(c) {
		return nil // kept for the next private page (see cacheable)
	}
	ck, err := c.Request.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode})
	b, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		return nil
	}
	var f Flash
	if json.Unmarshal(b, &f) != nil || f.Message == "" {
		return nil
	}
	return &f
}

// siteName names the organisation on public pages.
const siteName = "Pressroom"

// languageNames are the languages the newsroom names in its translation switcher.
var languageNames = map[string]string{"en": "English", "fr": "Français", "es": "Español", "ar": "العربية", "de": "Deutsch", "pt": "Português",
	"ru": "Русский", "zh": "中文", "it": "Italiano", "nl": "Nederlands", "tr": "Türkçe", "fa": "فارسی", "he": "עברית", "uk": "Українська"}

func languageName(code string) string {
	if n, ok := languageNames[code]; ok {
		return n
	}
	return code
}

func fmtDuration(d time.Duration) string {
	if d >= time.Hour {
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d min", int(d.Minutes()))
}

// page builds the view for a page of the signed-in area or the public site.
func (s *Server) page(c *gin.Context, title, section string, data any) view {
	u := currentUser(c)
	loc := s.cfg.DefaultTimezone
	if u != nil && !sharedCacheable(c) { // a shared page shows everyone the same zone
		loc = u.Location(loc)
	}
	site := s.siteFor(c)
	return view{Title: title, Section: section, User: u, CSRF: csrf.TemplateField(c.Request), CSRFToken: csrf.Token(c.Request),
		Flash: s.takeFlash(c), Loc: loc, Data: data, BaseURL: s.cfg.BaseURL.String(), Now: s.clock.Now(), Lang: "en", Dir: "ltr",
		SiteName: site.OrganisationName, Site: site, Logo: s.siteImage(c.Request.Context(), site.LogoID, models.VariantThumb, site.OrganisationName)}
}

// render writes a page with a status.
func (s *Server) render(c *gin.Context, status int, name string, v view) {
	var buf bytes.Buffer
	if err := s.renderer.Render(&buf, name, v); err != nil {
		_ = c.Error(err)
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// redirect answers a POST with 303 See Other, so a reload never resubmits.
func redirect(c *gin.Context, to string) {
	c.Redirect(http.StatusSeeOther, to)
}

func templateFuncs(defaultLoc *time.Location) template.FuncMap {
	return template.FuncMap{
		// when formats a time in a zone, naming the zone: "14:05 BST, 9 July 2026".
		"when": func(t any, loc *time.Location) string {
			var tt time.Time
			switch v := t.(type) {
			case time.Time:
				tt = v
			case *time.Time:
				if v == nil {
					return ""
				}
				tt = *v
			default:
				return ""
			}
			if tt.IsZero() {
				return ""
			}
			if loc == nil {
				loc = defaultLoc
			}
			return tt.In(loc).Format("15:04 MST, 2 January 2006")
		},
		"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		// date is a day as people write it: "12 June 2026".
		"date": func(t time.Time) string { return t.Format("2 January 2006") },
		"tags": models.Tags,
		"dir":  dirOf,
		// rtlLanguages is the right-to-left rule, for the editor's script.
		"rtlLanguages": func() string { return strings.Join(models.RTLLanguages(), " ") },
		"derefTime": func(t *time.Time) time.Time {
			if t == nil {
				return time.Time{}
			}
			return *t
		},
		"indexPath": models.IndexPath,
		"langName":  languageName,
		// languages are the languages the newsroom names, by code (a template
		// ranges over a map in key order).
		"languages": func() map[string]string { return languageNames },
		"countryName": func(code string) string {
			if n := models.CountryName(code); n != "" {
				return n
			}
			return code
		},
		"siteName": func() string { return siteName },
		// fieldMessage words a field's error as a sentence (models' catalogue).
		"fieldMessage": models.FieldMessage,
		"fieldLabel":   models.FieldLabel,
		"runeCount":    utf8.RuneCountInString,
		"countries":    models.Countries,
		// embargo labels an embargo in the zone it was written in.
		"embargo": func(t *time.Time, tz string) string {
			if t == nil {
				return ""
			}
			loc := defaultLoc
			if l, err := time.LoadLocation(tz); tz != "" && err == nil {
				loc = l
			}
			return EmbargoLabel(*t, loc)
		},
		// until says how long until t, for SLA countdowns: "due in 12 min", "overdue by 3 min".
		"until": func(t, now time.Time) string {
			d := t.Sub(now).Round(time.Minute)
			if d < 0 {
				return "overdue by " + fmtDuration(-d)
			}
			return "due in " + fmtDuration(d)
		},
		"add": func(a, b int) int { return a + b },
		// grouped writes a count the way the public pages' English words
		// read it: 10,000 signatures, not 10000.
		"grouped": grouped(),
		// plural picks the English noun for a count ("1 signature", "2 signatures").
		"plural": func(n int64, one, many string) string {
			if n == 1 {
				return one
			}
			return many
		},
		// countdown is how long until t, for the desk's embargoes: "3 h 20 min",
		// "2 days 4 h".
		"countdown": func(t *time.Time, now time.Time) string {
			if t == nil {
				return ""
			}
			d := t.Sub(now).Round(time.Minute)
			if d >= 48*time.Hour {
				return fmt.Sprintf("%d days %d h", int(d.Hours())/24, int(d.Hours())%24)
			}
			return fmtDuration(max(d, 0))
		},
		"roleLabel": func(r models.Role) string { return r.Label() },
		"roles":     func() []models.Role { return models.Roles },
		"join":      strings.Join,
		"contains": func(list []string, s string) bool {
			for _, x := range list {
				if x == s {
					return true
				}
			}
			return false
		},
		// dict builds a map for passing several values to a partial.
		"dict": func(kv ...any) map[string]any {
			m := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
		"deref": func(s *string) string {
			if s == nil {
				return ""
			}
			return *s
		},
		// deviceLabel names a session's browser and system ("Firefox on Linux").
		"deviceLabel": models.DeviceLabel,
	}
}

// grouped returns the template function that writes a count (int or int64,
// what templates hold) with commas between groups of three digits, in
// English like the words around it. One Printer serves every call: its
// per-call state comes from a pool, so it is safe for concurrent use.
func grouped() func(v any) (string, error) {
	p := message.NewPrinter(language.English)
	return func(v any) (string, error) {
		switch v.(type) {
		case int, int64:
			return p.Sprint(v), nil
		default:
			return "", fmt.Errorf("grouped: %T is not a count", v)
		}
	}
}
