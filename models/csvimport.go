package models

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// CSV import rules, shared by media contacts and supporters:
//
//   - The file is read whole first. UTF-8 with or without a BOM, UTF-16 with a
//     BOM (Excel's "Unicode text"), and anything that is not valid UTF-8 is
//     decoded as Windows-1252 (a superset of Latin-1 for printable text).
//   - Lines end with LF, CRLF or a lone CR (classic Mac exports).
//   - The delimiter (comma, semicolon or tab) is the one the header line uses
//     most, outside quotes.
//   - A file that cannot be read (no header, no email column, a broken quoted
//     field) is refused whole: nothing is imported, and the error names the line.
//   - Otherwise every good row is kept and every bad row is reported with its
//     line number in the file (the header is line 1; a quoted field spanning
//     lines counts every line) and the reason.
//   - A cell starting with a single quote and then "=", "+", "-", "@", a tab or
//     a CR loses the quote: it is the quote exports put there to keep
//     spreadsheets from running the cell as a formula (see CSVWriter), so
//     an export re-imports to the same values.
//   - Blank lines and rows whose cells are all empty are skipped silently; extra
//     columns are ignored; headers are matched loosely ("E-mail", "Email
//     Address" and "e_mail" all mean email).
//   - Addresses are lower-cased. When the same address appears twice in a file,
//     the later row's non-empty cells are merged over the earlier row's and the
//     later row counts as updated, exactly as if it had been imported by a second
//     file.
//   - Writes are set-based: existing rows are looked up in chunks, then batched
//     INSERT … ON CONFLICT statements write everything in one transaction.

// MaxImportBytes bounds an uploaded file.
const MaxImportBytes = 64 << 20

// importBatch is the number of addresses per lookup query.
const importBatch = 1000

// batchRows is how many rows of cols columns fit in one INSERT: fewer, larger
// statements are what makes a 100,000-row import fast, bounded by the engine's
// limit on bound parameters (65,535 on PostgreSQL, 32,766 on SQLite).
func batchRows(tx *gorm.DB, cols int) int {
	limit := 32000
	if tx.Dialector.Name() == "postgres" {
		limit = 65000
	}
	return min(limit/cols, 10000)
}

// CSVTable is a decoded CSV file: its header and its non-blank rows.
type CSVTable struct {
	Header []string
	Rows   []CSVRow
	// Broken are lines that could not be read as records (a broken quote);
	// Records reports them as rejected, and every other row still imports.
	Broken    []RejectedRow
	Delimiter rune
	Encoding  string
}

// CSVRow is one record and the line of the file it starts on.
type CSVRow struct {
	Line   int
	Fields []string
}

func unreadable(format string, args ...any) error {
	return &ValidationError{Fields: map[string]string{"file": fmt.Sprintf(format, args...)}}
}

// decodeText turns the bytes of an uploaded file into UTF-8 text and names the
// encoding it found.
func decodeText(data []byte) (string, string, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data = data[3:]
		if utf8.Valid(data) {
			return string(data), "utf-8", nil
		}
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		dec := xunicode.UTF16(xunicode.LittleEndian, xunicode.ExpectBOM).NewDecoder()
		out, err := dec.Bytes(data)
		if err != nil {
			return "", "", unreadable("the file looks like UTF-16 but cannot be decoded")
		}
		return string(out), "utf-16", nil
	case utf8.Valid(data):
		return string(data), "utf-8", nil
	}
	out, err := charmap.Windows1252.NewDecoder().Bytes(data)
	if err != nil {
		return "", "", unreadable("the file is neither UTF-8 nor Windows-1252 text")
	}
	return string(out), "windows-1252", nil
}

// detectDelimiter picks the separator the first line uses most.
func detectDelimiter(text string) rune {
	counts := map[rune]int{}
	inQuotes := false
	for _, r := range text {
		if r == '"' {
			inQuotes = !inQuotes
			continue
		}
		if !inQuotes && (r == '\n' || r == '\r') {
			if len(counts) > 0 {
				break
			}
			continue
		}
		if !inQuotes && (r == ',' || r == ';' || r == '\t') {
			counts[r]++
		}
	}
	best, n := ',', 0
	for _, r := range []rune{',', ';', '\t'} {
		if counts[r] > n {
			best, n = r, counts[r]
		}
	}
	return best
}

// ParseCSV decodes an uploaded file. A *ValidationError (field "file") means
// the file as a whole cannot be read and nothing should be imported.
func ParseCSV(data []byte) (*CSVTable, error) {
	text, enc, err := decodeText(data)
	if err != nil {
		return nil, err
	}
	if strings.ContainsRune(text, 0) {
		return nil, unreadable("the file contains binary data; export it as CSV text")
	}
	if strings.TrimSpace(text) == "" {
		return nil, unreadable("the file is empty: choose a CSV file with a header row and at least one row")
	}
	if strings.ContainsRune(text, '\r') {
		// encoding/csv only ends lines at LF (dropping a CR before it); classic
		// Mac exports end them with a lone CR, which would read as one endless
		// header line and import nothing. CRLF and lone CR both become LF (in a
		// quoted cell too, where either is a line break).
		text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	}
	delim := detectDelimiter(text)
	t, err := readCSV(text, delim, false)
	var pe *csv.ParseError
	if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrBareQuote) {
		// A stray quote inside an unquoted cell (Mary "Molly" Smith) is common in
		// hand-made files and unambiguous; read it as a literal quote.
		t, err = readCSV(text, delim, true)
	}
	if errors.As(err, &pe) && pe.StartLine > 1 {
		// A broken quote below the header: read line by line so the rows
		// around it still import, and report the broken lines.
		t, err = readCSVByLine(text, delim)
	}
	if err != nil {
		if errors.As(err, &pe) {
			return nil, unreadable("line %d: %s", pe.StartLine, quoteProblem(pe.Err))
		}
		return nil, unreadable("%v", err)
	}
	if len(t.Rows) == 0 && len(t.Broken) == 0 {
		return nil, unreadable("the file has a header row but no rows below it, so there is nothing to import")
	}
	t.Encoding = enc
	return t, nil
}

// quoteProblem says in words what encoding/csv found wrong.
func quoteProblem(err error) string {
	switch {
	case errors.Is(err, csv.ErrQuote):
		return `a quote (") opens a cell but does not close it, or a quoted cell has text after its closing quote; check the quotes on this line`
	case errors.Is(err, csv.ErrBareQuote):
		return `a quote (") appears inside a cell that does not start with one; put the cell in quotes and double the quote ("")`
	case errors.Is(err, csv.ErrFieldCount):
		return "the line has a different number of cells from the header"
	}
	return err.Error()
}

// maxRecordLines bounds how many lines a quoted cell may span when a file is
// read line by line: a cell longer than that is taken for a broken quote.
const maxRecordLines = 20

// readCSVByLine reads a file whose quotes are broken somewhere: each record
// starts on a line and takes the fewest following lines that make it a record
// (a quoted cell may span lines); a line that never does is reported as
// broken and reading resumes on the next line.
func readCSVByLine(text string, delim rune) (*CSVTable, error) {
	lines := strings.Split(text, "\n")
	t := &CSVTable{Delimiter: delim}
	parse := func(s string, lazy bool) ([]string, error) {
		r := csv.NewReader(strings.NewReader(s))
		r.Comma, r.FieldsPerRecord, r.LazyQuotes = delim, -1, lazy
		recs, err := r.ReadAll()
		if err != nil {
			return nil, err
		}
		if len(recs) != 1 {
			return nil, csv.ErrQuote
		}
		return recs[0], nil
	}
	for i := 0; i < len(lines); {
		if strings.TrimSpace(lines[i]) == "" {
			i++
			continue
		}
		var rec []string
		var err error = csv.ErrQuote
		n := 1
		for ; n <= maxRecordLines && i+n <= len(lines); n++ {
			chunk := strings.Join(lines[i:i+n], "\n")
			if strings.Count(chunk, `"`)%2 != 0 {
				continue // a quoted cell still open: it may go on to the next line
			}
			rec, err = parse(chunk, false)
			if errors.Is(err, csv.ErrBareQuote) {
				rec, err = parse(chunk, true)
			}
			break
		}
		if err != nil {
			if t.Header == nil {
				return nil, &csv.ParseError{StartLine: i + 1, Line: i + 1, Err: err}
			}
			t.Broken = append(t.Broken, RejectedRow{Row: i + 1, Reason: fmt.Sprintf("line %d: %s", i+1, quoteProblem(err)), Fields: []string{lines[i]}})
			i++
			continue
		}
		blank := true
		for j := range rec {
			rec[j] = strings.TrimSpace(UnneutralizeCSVCell(strings.TrimSpace(rec[j])))
			if rec[j] != "" {
				blank = false
			}
		}
		if !blank {
			if t.Header == nil {
				t.Header = rec
			} else {
				t.Rows = append(t.Rows, CSVRow{Line: i + 1, Fields: rec})
			}
		}
		i += n
	}
	if t.Header == nil {
		return nil, errors.New("the file has no header row")
	}
	return t, nil
}

func readCSV(text string, delim rune, lazy bool) (*CSVTable, error) {
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = delim
	r.FieldsPerRecord = -1
	r.LazyQuotes = lazy
	t := &CSVTable{Delimiter: delim}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := r.FieldPos(0)
		blank := true
		for i := range rec {
			rec[i] = strings.TrimSpace(UnneutralizeCSVCell(strings.TrimSpace(rec[i])))
			if rec[i] != "" {
				blank = false
			}
		}
		if blank {
			continue
		}
		if t.Header == nil {
			t.Header = rec
			continue
		}
		t.Rows = append(t.Rows, CSVRow{Line: line, Fields: rec})
	}
	if t.Header == nil {
		return nil, errors.New("the file has no header row")
	}
	return t, nil
}

// Mapping says which column (by index) feeds each import field; fields not in
// the map are not imported.
type Mapping map[string]int

// Import fields. first_name and last_name are joined into name when the file
// has no name column.
var (
	mediaFields     = []string{"email", "name", "first_name", "last_name", "outlet", "role", "beats", "countries", "languages", "phone", "notes"}
	supporterFields = []string{"email", "name", "first_name", "last_name", "country", "language", "tags", "consent_source", "consent_at"}
	targetFields    = []string{"email", "name", "first_name", "last_name", "title", "organisation", "country", "postal_address", "salutation", "language", "notes"}
)

// ImportFields lists the fields an audience's import understands.
func ImportFields(a Audience) []string {
	if a == AudienceTargets {
		return slices.Clone(targetFields)
	}
	if a == AudienceMedia {
		return slices.Clone(mediaFields)
	}
	return slices.Clone(supporterFields)
}

// headerAliases maps a folded header (lower-case letters and digits only) to a
// field.
func headerAliases(a Audience) map[string]string {
	m := map[string]string{
		"email": "email", "emailaddress": "email", "mail": "email", "emailadress": "email", "courriel": "email", "correo": "email", "mailaddress": "email",
		"name": "name", "fullname": "name", "contactname": "name", "displayname": "name", "nom": "name", "nombre": "name",
		"firstname": "first_name", "givenname": "first_name", "forename": "first_name",
		"lastname": "last_name", "surname": "last_name", "familyname": "last_name",
	}
	if a == AudienceTargets {
		return targetAliases(m)
	}
	if a == AudienceMedia {
		for _, k := range []string{"outlet", "publication", "media", "mediaoutlet", "organisation", "organization", "company", "newspaper"} {
			m[k] = "outlet"
		}
		for _, k := range []string{"role", "title", "jobtitle", "position"} {
			m[k] = "role"
		}
		for _, k := range []string{"beats", "beat", "themes", "theme", "topics", "topic"} {
			m[k] = "beats"
		}
		for _, k := range []string{"countries", "country", "countrycodes"} {
			m[k] = "countries"
		}
		for _, k := range []string{"languages", "language", "lang", "langs"} {
			m[k] = "languages"
		}
		for _, k := range []string{"phone", "telephone", "tel", "mobile", "phonenumber"} {
			m[k] = "phone"
		}
		for _, k := range []string{"notes", "note", "comments", "comment"} {
			m[k] = "notes"
		}
		return m
	}
	for _, k := range []string{"country", "countrycode"} {
		m[k] = "country"
	}
	for _, k := range []string{"language", "lang", "languagecode"} {
		m[k] = "language"
	}
	for _, k := range []string{"tags", "tag", "labels"} {
		m[k] = "tags"
	}
	for _, k := range []string{"consentsource", "source", "signupsource"} {
		m[k] = "consent_source"
	}
	for _, k := range []string{"consentat", "consentdate", "consentedat", "optinat", "optindate", "subscribedat", "consenttime"} {
		m[k] = "consent_at"
	}
	return m
}

func foldHeader(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// AutoMapping matches a file's header to the audience's fields. The first
// column matching a field wins.
func AutoMapping(a Audience, header []string) Mapping {
	aliases := headerAliases(a)
	m := Mapping{}
	for i, h := range header {
		if f, ok := aliases[foldHeader(h)]; ok {
			if _, taken := m[f]; !taken {
				m[f] = i
			}
		}
	}
	return m
}

// RejectedRow is one row left out of an import, and why.
type RejectedRow struct {
	Row    int      `json:"row"`
	Reason string   `json:"reason"`
	Fields []string `json:"-"` // the row as it was in the file, for the downloadable report
}

// ImportResult counts what an import did.
type ImportResult struct {
	Imported int           `json:"imported"`
	Updated  int           `json:"updated"`
	Rejected []RejectedRow `json:"rejected"`
}

// ImportRecord is one good row of a file, its values keyed by field.
type ImportRecord struct {
	Line      int
	Email     string
	Values    map[string]string
	ConsentAt *time.Time
	Merged    int // later rows of the file merged into this one
}

var consentLayouts = []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02", "2006/01/02"}

func parseConsentAt(s string) (time.Time, bool) {
	for _, l := range consentLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// Records validates every row against the mapping and merges duplicate
// addresses (see the package rules above). It is pure, so it is what the fuzz
// test exercises. now bounds consent dates: consent cannot come from the future.
func (t *CSVTable) Records(a Audience, m Mapping, now time.Time) ([]ImportRecord, []RejectedRow, error) {
	ei, ok := m["email"]
	if !ok || ei < 0 || ei >= len(t.Header) {
		return nil, nil, unreadable("no column holds email addresses; map one of the columns to email")
	}
	fields := ImportFields(a)
	var recs []ImportRecord
	rejects := append([]RejectedRow(nil), t.Broken...)
	seen := map[string]int{}
	for _, row := range t.Rows {
		cell := func(f string) string {
			i, ok := m[f]
			if !ok || i < 0 || i >= len(row.Fields) {
				return ""
			}
			return row.Fields[i]
		}
		raw := cell("email")
		email := NormalizeEmail(strings.Trim(raw, "<>\"' "))
		if email == "" {
			rejects = append(rejects, RejectedRow{Row: row.Line, Reason: "missing email address", Fields: row.Fields})
			continue
		}
		if !ValidEmail(email) {
			rejects = append(rejects, RejectedRow{Row: row.Line, Reason: "invalid email address", Fields: row.Fields})
			continue
		}
		vals := map[string]string{}
		for _, f := range fields {
			if f == "email" || f == "first_name" || f == "last_name" {
				continue
			}
			if v := cell(f); v != "" {
				vals[f] = v
			}
		}
		if vals["name"] == "" {
			if n := strings.TrimSpace(cell("first_name") + " " + cell("last_name")); n != "" {
				vals["name"] = n
			}
		}
		if len(vals["name"]) > 200 {
			rejects = append(rejects, RejectedRow{Row: row.Line, Reason: "name is longer than 200 characters", Fields: row.Fields})
			continue
		}
		var consentAt *time.Time
		if s := vals["consent_at"]; s != "" {
			ct, ok := parseConsentAt(s)
			if !ok {
				rejects = append(rejects, RejectedRow{Row: row.Line, Reason: "consent_at is not a date (use YYYY-MM-DD or RFC 3339)", Fields: row.Fields})
				continue
			}
			if ct.After(now.Add(24 * time.Hour)) {
				rejects = append(rejects, RejectedRow{Row: row.Line, Reason: "consent_at is in the future", Fields: row.Fields})
				continue
			}
			consentAt = &ct
		}
		if i, dup := seen[email]; dup {
			for k, v := range vals {
				if k == "tags" {
					v = NormalizeTags(recs[i].Values[k] + "," + v)
				}
				recs[i].Values[k] = v
			}
			if consentAt != nil {
				recs[i].ConsentAt = consentAt
			}
			recs[i].Merged++
			continue
		}
		seen[email] = len(recs)
		recs = append(recs, ImportRecord{Line: row.Line, Email: email, Values: vals, ConsentAt: consentAt})
	}
	sort.SliceStable(rejects, func(i, j int) bool { return rejects[i].Row < rejects[j].Row })
	return recs, rejects, nil
}

func emailsOf(recs []ImportRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Email
	}
	return out
}

func chunks[T any](s []T, n int) [][]T {
	var out [][]T
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	if len(s) > 0 {
		out = append(out, s)
	}
	return out
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// ImportContacts imports a parsed file of media contacts onto a list: new
// addresses are created, known ones updated (non-empty cells replace stored
// values; do-not-contact is never changed by an import), and all of them join
// the list.
func ImportContacts(ctx context.Context, db *gorm.DB, listID string, t *CSVTable, m Mapping) (*ImportResult, error) {
	recs, rejects, err := t.Records(AudienceMedia, m, db.NowFunc())
	if err != nil {
		return nil, err
	}
	res := &ImportResult{Rejected: rejects}
	err = Transaction(ctx, db, func(tx *gorm.DB) error {
		if _, err := MediaListByID(ctx, tx, listID); err != nil {
			return err
		}
		now := tx.NowFunc().UTC()
		existing := map[string]MediaContact{}
		for _, part := range chunks(emailsOf(recs), importBatch) {
			var cs []MediaContact
			if err := tx.Where("email IN ?", part).Find(&cs).Error; err != nil {
				return err
			}
			for _, c := range cs {
				existing[c.Email] = c
			}
		}
		rows := make([]MediaContact, 0, len(recs))
		members := make([]MediaListMember, 0, len(recs))
		for _, r := range recs {
			v := r.Values
			c, found := existing[r.Email]
			if !found {
				c = MediaContact{ID: NewID(), Email: r.Email, EmailHash: EmailHash(r.Email), CreatedAt: now}
				res.Imported++
			} else {
				res.Updated++
			}
			res.Updated += r.Merged
			c.Name = firstNonEmpty(v["name"], c.Name)
			c.Outlet = firstNonEmpty(v["outlet"], c.Outlet)
			c.Role = firstNonEmpty(v["role"], c.Role)
			c.Beats = firstNonEmpty(normalizeLower(v["beats"]), c.Beats)
			c.Countries = firstNonEmpty(normalizeCodes(v["countries"]), c.Countries)
			c.Languages = firstNonEmpty(normalizeLower(v["languages"]), c.Languages)
			c.Phone = firstNonEmpty(v["phone"], c.Phone)
			c.Notes = firstNonEmpty(v["notes"], c.Notes)
			c.UpdatedAt = now
			rows = append(rows, c)
			members = append(members, MediaListMember{ListID: listID, ContactID: c.ID, AddedAt: now})
		}
		if len(rows) == 0 {
			return nil
		}
		upsert := clause.OnConflict{Columns: []clause.Column{{Name: "email"}},
			DoUpdates: clause.AssignmentColumns([]string{"name", "outlet", "role", "beats", "countries", "languages", "phone", "notes", "updated_at"})}
		if err := tx.Clauses(upsert).CreateInBatches(rows, batchRows(tx, 16)).Error; err != nil {
			return err
		}
		return tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(members, batchRows(tx, 3)).Error
	})
	if err != nil {
		return nil, fmt.Errorf("models: import contacts: %w", translate(err))
	}
	return res, nil
}

// ImportSupporters imports a parsed file of supporters onto a list. Rows with
// consent_at become subscribed with that consent recorded; rows without it are
// pending and are not mailed until they confirm. An import never downgrades or
// overrides a known supporter's status except pending → subscribed with
// recorded consent; unsubscribed, bounced and complained supporters stay so
// (and the suppression list wins anyway). Addresses erased on request are
// rejected rather than re-created.
func ImportSupporters(ctx context.Context, db *gorm.DB, listID string, t *CSVTable, m Mapping, actorID *string) (*ImportResult, error) {
	recs, rejects, err := t.Records(AudienceSupporters, m, db.NowFunc())
	if err != nil {
		return nil, err
	}
	res := &ImportResult{Rejected: rejects}
	err = Transaction(ctx, db, func(tx *gorm.DB) error {
		if _, err := SupporterListByID(ctx, tx, listID); err != nil {
			return err
		}
		now := tx.NowFunc().UTC()
		existing := map[string]Supporter{}
		erased := map[string]bool{}
		hashes := make([]string, len(recs))
		for i, r := range recs {
			hashes[i] = EmailHash(r.Email)
		}
		for _, part := range chunks(emailsOf(recs), importBatch) {
			var ss []Supporter
			if err := tx.Where("email IN ?", part).Find(&ss).Error; err != nil {
				return err
			}
			for _, s := range ss {
				existing[s.Address()] = s
			}
		}
		for _, part := range chunks(hashes, importBatch) {
			var hs []string
			if err := tx.Model(&Suppression{}).Where("email_hash IN ? AND email IS NULL", part).Pluck("email_hash", &hs).Error; err != nil {
				return err
			}
			for _, h := range hs {
				erased[h] = true
			}
		}
		rows := make([]Supporter, 0, len(recs))
		consents := make([]ConsentRecord, 0, len(recs))
		members := make([]SupporterListMember, 0, len(recs))
		for i, r := range recs {
			v := r.Values
			if erased[hashes[i]] {
				res.Rejected = append(res.Rejected, RejectedRow{Row: r.Line, Reason: "this person's data was erased on request; they cannot be re-imported"})
				continue
			}
			s, found := existing[r.Email]
			source := firstNonEmpty(v["consent_source"], "import")
			record := false
			if !found {
				email := r.Email
				s = Supporter{ID: NewID(), Email: &email, EmailHash: hashes[i], Status: StatusPending, Source: source, Frequency: "all", CreatedAt: now}
				record = true
				res.Imported++
			} else {
				res.Updated++
			}
			res.Updated += r.Merged
			if r.ConsentAt != nil && s.Status == StatusPending {
				s.Status = StatusSubscribed
				record = true
			}
			s.Name = firstNonEmpty(v["name"], s.Name)
			country := strings.TrimSpace(v["country"])
			if len(country) <= 3 {
				country = strings.ToUpper(country)
			}
			s.Country = firstNonEmpty(country, s.Country)
			s.Language = firstNonEmpty(strings.ToLower(v["language"]), s.Language)
			s.Tags = NormalizeTags(s.Tags + "," + v["tags"])
			s.UpdatedAt = now
			rows = append(rows, s)
			members = append(members, SupporterListMember{ListID: listID, SupporterID: s.ID, AddedAt: now})
			if record {
				at := now
				if r.ConsentAt != nil {
					at = *r.ConsentAt
				}
				consents = append(consents, ConsentRecord{ID: NewID(), SupporterID: s.ID, At: at, Action: ConsentImported, Status: s.Status,
					Source: source, WordingVersion: "", ActorID: actorID})
			}
		}
		if len(rows) == 0 {
			return nil
		}
		upsert := clause.OnConflict{Columns: []clause.Column{{Name: "email"}},
			DoUpdates: clause.AssignmentColumns([]string{"name", "country", "language", "tags", "status", "updated_at"})}
		if err := tx.Clauses(upsert).CreateInBatches(rows, batchRows(tx, 16)).Error; err != nil {
			return err
		}
		if err := tx.CreateInBatches(consents, batchRows(tx, 9)).Error; err != nil {
			return err
		}
		return tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(members, batchRows(tx, 3)).Error
	})
	if err != nil {
		return nil, fmt.Errorf("models: import supporters: %w", translate(err))
	}
	slices.SortFunc(res.Rejected, func(a, b RejectedRow) int { return a.Row - b.Row })
	return res, nil
}

// Import statuses. A small file is imported during the request and recorded
// as done; a large one is queued, and a background job moves it through running
// to done (or failed), updating Processed as it goes.
const (
	ImportQueued  = "queued"
	ImportRunning = "running"
	ImportDone    = "done"
	ImportFailed  = "failed"
)

// Import is the record of one CSV import: its counts and the report of
// rejected rows, kept so staff can download the rejects after the fact. While a
// background import waits, it also holds the file and the column mapping.
type Import struct {
	ID        string `gorm:"primaryKey"`
	Audience  Audience
	ListID    string
	UserID    *string
	Status    string
	TotalRows int
	Processed int
	Imported  int
	Updated   int
	Rejected  int
	Rejects   string // CSV: row, reason, then the rejected row's cells
	Mapping   string // JSON of Mapping
	Data      []byte
	Error     string
	CreatedAt time.Time
}

// Percent is how far a background import has got, 0 to 100.
func (im *Import) Percent() int {
	if im.TotalRows == 0 {
		return 100
	}
	return im.Processed * 100 / im.TotalRows
}

// Finished reports whether the import has stopped (done or failed).
func (im *Import) Finished() bool { return im.Status == ImportDone || im.Status == ImportFailed }

func rejectsCSV(header []string, rejects []RejectedRow) string {
	var buf bytes.Buffer
	w := NewCSVWriter(&buf)
	_ = w.Write(append([]string{"row", "reason"}, header...))
	for _, r := range rejects {
		_ = w.Write(append([]string{strconv.Itoa(r.Row), r.Reason}, r.Fields...))
	}
	w.Flush()
	return buf.String()
}

// RecordImport stores the outcome of an import run during the request.
func RecordImport(ctx context.Context, db *gorm.DB, a Audience, listID string, userID *string, t *CSVTable, res *ImportResult) (*Import, error) {
	n := len(t.Rows)
	im := &Import{ID: NewID(), Audience: a, ListID: listID, UserID: userID, Status: ImportDone, TotalRows: n, Processed: n,
		Imported: res.Imported, Updated: res.Updated, Rejected: len(res.Rejected), Rejects: rejectsCSV(t.Header, res.Rejected), Mapping: "{}", CreatedAt: db.NowFunc().UTC()}
	if err := db.WithContext(ctx).Create(im).Error; err != nil {
		return nil, fmt.Errorf("models: record import: %w", err)
	}
	return im, nil
}

// QueueImport stores a parsed file for a background import. Call it in the
// transaction that enqueues the job. The file was parsed already, so an
// unreadable file never gets this far.
func QueueImport(ctx context.Context, tx *gorm.DB, a Audience, listID string, userID *string, data []byte, t *CSVTable, m Mapping) (*Import, error) {
	mj, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("models: queue import: %w", err)
	}
	im := &Import{ID: NewID(), Audience: a, ListID: listID, UserID: userID, Status: ImportQueued, TotalRows: len(t.Rows),
		Mapping: string(mj), Data: data, CreatedAt: tx.NowFunc().UTC()}
	if err := tx.WithContext(ctx).Create(im).Error; err != nil {
		return nil, fmt.Errorf("models: queue import: %w", err)
	}
	return im, nil
}

// RunImport performs a queued import in chunks of chunkRows rows, each in its
// own transaction, recording progress after each so the UI can show it. A
// duplicate address in a later chunk counts as updated, as it would in one
// pass. Running it again after a crash resumes at the first unfinished chunk.
func RunImport(ctx context.Context, db *gorm.DB, id string, chunkRows int) error {
	im, err := ImportByID(ctx, db, id)
	if err != nil {
		return err
	}
	if im.Finished() {
		return nil
	}
	fail := func(err error) error {
		db.WithContext(ctx).Model(&Import{}).Where("id = ?", id).Updates(map[string]any{"status": ImportFailed, "error": err.Error(), "data": nil})
		return fmt.Errorf("models: run import: %w", err)
	}
	t, err := ParseCSV(im.Data)
	if err != nil {
		return fail(err)
	}
	var m Mapping
	if err := json.Unmarshal([]byte(im.Mapping), &m); err != nil {
		return fail(err)
	}
	var rejects []RejectedRow
	if im.Rejects != "" {
		rr := csv.NewReader(strings.NewReader(im.Rejects))
		rr.FieldsPerRecord, rr.LazyQuotes = -1, true // rejected rows keep their own cells
		rows, _ := rr.ReadAll()
		for _, r := range rows[min(1, len(rows)):] {
			n, _ := strconv.Atoi(r[0])
			rejects = append(rejects, RejectedRow{Row: n, Reason: r[1], Fields: r[2:]})
		}
	}
	for start := im.Processed; start < len(t.Rows); start += chunkRows {
		end := min(start+chunkRows, len(t.Rows))
		part := &CSVTable{Header: t.Header, Rows: t.Rows[start:end], Delimiter: t.Delimiter, Encoding: t.Encoding}
		if start == 0 {
			part.Broken = t.Broken // reported once, with the first chunk
		}
		var res *ImportResult
		if im.Audience == AudienceMedia {
			res, err = ImportContacts(ctx, db, im.ListID, part, m)
		} else {
			res, err = ImportSupporters(ctx, db, im.ListID, part, m, im.UserID)
		}
		if err != nil {
			return fail(err)
		}
		rejects = append(rejects, res.Rejected...)
		im.Processed, im.Imported, im.Updated, im.Rejected = end, im.Imported+res.Imported, im.Updated+res.Updated, len(rejects)
		if err := db.WithContext(ctx).Model(&Import{}).Where("id = ?", id).Updates(map[string]any{"status": ImportRunning, "processed": im.Processed,
			"imported": im.Imported, "updated": im.Updated, "rejected": im.Rejected, "rejects": rejectsCSV(t.Header, rejects)}).Error; err != nil {
			return fmt.Errorf("models: run import: %w", err)
		}
	}
	if err := db.WithContext(ctx).Model(&Import{}).Where("id = ?", id).Updates(map[string]any{"status": ImportDone, "data": nil}).Error; err != nil {
		return fmt.Errorf("models: run import: %w", err)
	}
	return nil
}

// ImportByID loads one import record.
func ImportByID(ctx context.Context, db *gorm.DB, id string) (*Import, error) {
	var im Import
	if err := db.WithContext(ctx).First(&im, "id = ?", id).Error; err != nil {
		return nil, fmt.Errorf("models: import by id: %w", translate(err))
	}
	return &im, nil
}
