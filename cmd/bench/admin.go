package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"pressroom/app"
	"pressroom/internal/benchkit"
	"pressroom/jobs"
	"pressroom/migrations"
	"pressroom/models"
)

// adminRequests is how many times each admin page is fetched (after one
// warm-up fetch): enough for a p95 that is not the single slowest request.
const adminRequests = 40

// adminRows measures the admin pages at 10,000 releases and 100,000 contacts
// (and 100,000 supporters) in a database of their own, built by
// benchkit.BuildAdminData: each page fetched over loopback HTTP by one signed-in
// client at a time, as the role that uses it, as staff do.
func adminRows(ctx context.Context, dbURL string) ([]row, error) {
	const what = "admin pages at 10,000 releases / 100,000 contacts"
	db, cleanup, err := benchkit.OpenFresh(ctx, dbURL, "benchadmin")
	if err != nil {
		return nil, err
	}
	defer cleanup()
	if db.Dialect != models.Postgres {
		return []row{{measurement: what, figure: "PostgreSQL only (the data is built with generate_series)", target: "p95 < 100 ms", met: "—"}}, nil
	}
	if _, err := migrations.Up(ctx, db.SQL, string(db.Dialect)); err != nil {
		return nil, err
	}
	if _, err := models.SeedDemo(ctx, db.Gorm); err != nil {
		return nil, err
	}
	logins := map[models.Role]string{models.RoleAdmin: "admin@example.org", models.RolePressOfficer: "press@example.org",
		models.RoleApprover: "head.press@example.org"} // head of press approves for the press desk
	users := map[models.Role]*models.User{}
	for r, email := range logins {
		if users[r], err = models.UserByEmail(ctx, db.Gorm, email); err != nil {
			return nil, fmt.Errorf("admin rows: seeded %s: %w", email, err)
		}
	}
	start := time.Now()
	data, err := benchkit.BuildAdminData(ctx, db, users[models.RolePressOfficer], users[models.RoleAdmin])
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "admin pages: 10,000 releases, 100,000 contacts, 100,000 supporters built in %s\n", time.Since(start).Round(time.Second))

	cfg, err := app.LoadConfig(func(string) string { return "" }, app.ModeDev)
	if err != nil {
		return nil, err
	}
	client, err := jobs.NewClient(db, nil, jobs.ClientOptions{})
	if err != nil {
		return nil, err
	}
	srv, err := app.New(app.Deps{Config: cfg, DB: db, Jobs: client, NewsroomVersionTTL: app.DefaultNewsroomVersionTTL})
	if err != nil {
		return nil, err
	}
	site, stop, err := benchkit.Serve(srv.Handler())
	if err != nil {
		return nil, err
	}
	defer stop()
	clients := map[models.Role]*http.Client{}
	for r, email := range logins {
		if clients[r], err = benchkit.Login(site, email, models.DemoPassword); err != nil {
			return nil, err
		}
	}
	var rows []row
	for _, p := range benchkit.AdminPages(data) {
		c := clients[p.Role]
		if !benchkit.Get(c, site+p.Path, http.StatusOK) {
			return nil, fmt.Errorf("admin rows: GET %s as %s did not answer 200", p.Path, p.Role)
		}
		r := benchkit.Drive(ctx, 1, adminRequests, 30*time.Second, func(int) bool { return benchkit.Get(c, site+p.Path, http.StatusOK) })
		rows = append(rows, row{
			measurement: fmt.Sprintf("admin `%s` as %s, 10,000 releases / 100,000 contacts", shortID(p.Path, data), p.Role),
			figure:      fmt.Sprintf("p50 %s, p95 %s (%d requests, %d errors)", ms(r.P50), ms(r.P95), r.N, r.Errors()),
			target:      "p95 < 100 ms",
			met:         yes(r.P95 < 100*time.Millisecond && r.Errors() == 0),
		})
	}
	return rows, nil
}

// shortID names the measured release and send by what they are rather than
// by their generated ids, so that tables of different runs line up.
func shortID(path string, d benchkit.AdminData) string {
	return strings.NewReplacer("/releases/"+d.Release, "/releases/<id>", "/sends/"+d.Send, "/sends/<id>").Replace(path)
}
