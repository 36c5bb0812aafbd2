package app

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"pressroom/jobs"
	"pressroom/models"
	"pressroom/models/richtext"
	"pressroom/templates"
)

// Deps are what the web process needs; main builds them once.
type Deps struct {
	Config *Config
	DB     *models.DB
	Jobs   *jobs.Client // may be insert-only
	Clock  models.Clock
	Logger *slog.Logger
	// Templates overrides the embedded template tree (tests only).
	Templates fs.FS
	// NewsroomVersionTTL is how long the process trusts the newsroom version it
	// read (DefaultNewsroomVersionTTL in production), and a public petition it
	// read; zero reads them on every public request.
	NewsroomVersionTTL time.Duration
	// Media is the media library's file store; when nil, New opens
	// Config.MediaURL.
	Media *jobs.MediaStore
	// SitemapPageSize is how many releases a sitemap page lists (tests only;
	// zero means models.SitemapPageSize).
	SitemapPageSize int
}

// Server is the wired web application.
type Server struct {
	cfg      *Config
	db       *models.DB
	jobs     *jobs.Client
	clock    models.Clock
	logger   *slog.Logger
	renderer *Renderer
	metrics  *metrics
	engine   *gin.Engine
	routes   []RouteInfo
	media    *jobs.MediaStore

	loginGuard *LoginGuard
	// codeFailures counts wrong second-factor codes per account.
	codeFailures Counter
	markdown     *richtext.Renderer
	// publicLimiter bounds public forms per IP (subscribe, confirmation links).
	publicLimiter *Limiter
	// newsVersion and pages are the newsroom's in-process caches (pagecache.go).
	newsVersion *versionCache
	newsTags    *tagCache // the newsroom filters' choices, per version
	// searchConfigs: the public search rows' configurations, per version.
	searchConfigs *searchConfigCache
	petitions     *petitionCache
	// petitionPages: rendered petition pages and counts, for a spike.
	petitionPages *petitionPages
	// mediaVisible memoises which media files are public, per newsroom version.
	mediaVisible *mediaVisibility
	// mediaKey signs media URLs for embargo previews (Config.MediaKey).
	mediaKey []byte
	pages    *pageCache
	// siteCache holds the organisation's settings (name, default list).
	siteCache siteCache
	// sitemapPageSize is Deps.SitemapPageSize (0: models.SitemapPageSize).
	sitemapPageSize int
}

// New builds the server: parses every template (failing on any error), builds
// each area's handler struct and registers its routes.
func New(d Deps) (*Server, error) {
	if d.Clock == nil {
		d.Clock = models.SystemClock{}
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	tfs := d.Templates
	if tfs == nil {
		tfs = templates.Files()
	}
	renderer, err := NewRenderer(tfs, templateFuncs(d.Config.DefaultTimezone), d.Config.DefaultTimezone)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: d.Config, db: d.DB, jobs: d.Jobs, clock: d.Clock, logger: d.Logger, renderer: renderer,
		metrics:       newMetrics(d.DB.SQL),
		loginGuard:    NewLoginGuard(d.Clock.Now),
		codeFailures:  NewMemoryCounter(CodeFailureWindow, d.Clock.Now),
		publicLimiter: NewLimiter(20, 10*time.Minute, d.Clock.Now),
		markdown:      richtext.New(),
		newsVersion:   &versionCache{ttl: d.NewsroomVersionTTL, clock: d.Clock},
		newsTags:      &tagCache{},
		searchConfigs: &searchConfigCache{},
		petitions:     &petitionCache{ttl: d.NewsroomVersionTTL, clock: d.Clock},
		petitionPages: newPetitionPages(d.NewsroomVersionTTL, d.Config.Petitions.CountInterval),
		mediaVisible:  &mediaVisibility{},
		mediaKey:      d.Config.MediaKey(),
		pages:         newPageCache(pageCacheEntries, pageCacheBytes), sitemapPageSize: d.SitemapPageSize}

	if s.media = d.Media; s.media == nil {
		if s.media, err = jobs.OpenMediaStore(context.Background(), d.Config.MediaURL); err != nil {
			return nil, err
		}
	}

	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	// gin believes X-Forwarded-For from anyone unless told otherwise; c.ClientIP()
	// is the one client-address rule every per-IP limit and record uses.
	if err := e.SetTrustedProxies(d.Config.trustedProxyList()); err != nil {
		return nil, fmt.Errorf("app: TRUSTED_PROXIES: %w", err)
	}
	e.HandleMethodNotAllowed = false
	e.RedirectTrailingSlash = true
	e.Use(s.requestLog, s.recoverPanics, s.securityHeaders, s.handleErrors, s.csrfProtect())
	e.Use(s.nulGuard)
	e.NoRoute(func(c *gin.Context) {
		if isAPI(c) {
			apiError(c, http.StatusNotFound, "not_found", "no such endpoint", nil)
			return
		}
		c.Set(ctxUser, s.sessionUser(c))
		s.errorPage(c, http.StatusNotFound, "Page not found", "There is nothing at this address.")
	})
	s.engine = e

	static := http.FileServer(http.FS(templates.Static()))
	e.GET("/static/*file", func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=86400")
		c.Request.URL.Path = c.Param("file")
		static.ServeHTTP(c.Writer, c.Request)
	})
	s.routes = append(s.routes, RouteInfo{Method: http.MethodGet, Path: "/static/*file", Access: Public})

	root := Routes{s: s, g: &e.RouterGroup}
	api := Routes{s: s, g: e.Group("/api/v1"), api: true}
	admin := root.Group("/admin")

	(&HealthHandler{s: s}).Register(root)
	(&AuthHandler{s: s}).Register(root)
	(&DashboardHandler{s: s}).Register(admin)
	(&SettingsHandler{s: s}).Register(admin)
	(&UsersHandler{s: s}).Register(admin)
	(&TokensHandler{s: s}).Register(admin)
	(&AccountHandler{s: s}).Register(admin)
	(&TwoFactorHandler{s: s}).Register(admin)
	(&AuditHandler{s: s}).Register(admin)
	(&OutboxHandler{s: s}).Register(admin)
	(&ReleasesHandler{s: s}).Register(admin)
	(&NewsroomHandler{s: s}).Register(root)
	(&PreviewHandler{s: s}).Register(root, admin)
	(&PublicAPI{s: s}).Register(api)
	(&PublishingHandler{s: s}).Register(admin)
	(&APIHandler{s: s}).Register(api)
	(&OpenAPIHandler{s: s}).Register(api)
	(&ReleasesAPI{s: s}).Register(api)
	contacts, supporters, subscribe := &ContactsHandler{s: s}, &SupportersHandler{s: s}, &SubscribeHandler{s: s}
	contacts.Register(admin)
	contacts.RegisterAPI(api)
	supporters.Register(admin)
	supporters.RegisterAPI(api)
	subscribe.Register(root)
	subscribe.RegisterAPI(api)
	(&NewsroomSubscribeHandler{s: s}).Register(root)
	(&UnsubscribeHandler{s: s}).Register(root)
	(&ImportsHandler{s: s}).Register(admin)
	webhooks := &WebhooksHandler{s: s}
	if key := d.Config.SendGridWebhookPublicKey; key != "" {
		if webhooks.verifier, err = jobs.NewWebhookVerifier(key); err != nil {
			return nil, fmt.Errorf("app: SENDGRID_WEBHOOK_PUBLIC_KEY: %w", err)
		}
	}
	webhooks.Register(root)
	(&SendsAPI{s: s}).Register(api)
	(&SendsHandler{s: s}).Register(admin)
	petitions := &PetitionPublicHandler{s: s}
	petitions.Register(root)
	petitions.RegisterAPI(api)
	(&PetitionEmbedHandler{pub: petitions}).Register(root)
	actions := newActionPublicHandler(s, petitions)
	actions.Register(root)
	actions.RegisterAPI(api)
	(&LettersAPI{s: s}).Register(api)
	(&EmailRulesHandler{s: s}).Register(admin)
	(&PetitionsAPI{s: s}).Register(api)
	(&PetitionsHandler{s: s}).Register(admin)
	(&LetterReviewHandler{s: s}).Register(admin)
	(&AnalyticsHandler{s: s}).Register(admin)
	(&PackageHandler{s: s}).Register(admin, api)
	targets := &TargetsHandler{s: s}
	targets.Register(admin)
	targets.RegisterAPI(api)
	NewCSPReportsHandler(s).Register(root, admin)
	(&MediaHandler{s: s}).Register(root, admin, api)
	return s, nil
}

// Handler returns the HTTP handler.
func (s *Server) Handler() http.Handler { return s.engine }

// String names the server in logs.
func (s *Server) String() string { return fmt.Sprintf("pressroom web (%s)", s.db.Dialect) }
