package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// pgColumn is one column of a column-wise insert: its name, its PostgreSQL
// array type and its values, one per row (a []string, []*string or
// []time.Time the driver sends as one array).
type pgColumn struct {
	name, arrayType string
	values          any
}

// insertColumnsPG writes many rows in one statement on PostgreSQL: each column
// travels as one array parameter and unnest turns them back into rows. A
// multi-row INSERT with a parameter per cell makes the server parse and bind
// tens of thousands of parameters per statement and needs a statement per few
// thousand rows; this is one small statement for any number of rows, which
// the server executes at nearly the speed of COPY. suffix is appended as is
// (ON CONFLICT …). The rows land exactly as the equivalent INSERT would put
// them, constraints, indexes and triggers included.
func insertColumnsPG(ctx context.Context, tx *gorm.DB, table string, cols []pgColumn, suffix string) error {
	names := make([]string, len(cols))
	arrays := make([]string, len(cols))
	args := make([]any, len(cols))
	for i, c := range cols {
		names[i] = c.name
		arrays[i] = fmt.Sprintf("$%d::%s", i+1, c.arrayType)
		args[i] = c.values
	}
	q := fmt.Sprintf("INSERT INTO %s (%s) SELECT * FROM unnest(%s) %s", table, strings.Join(names, ", "), strings.Join(arrays, ", "), suffix)
	// Past gorm on purpose: gorm would expand each slice into a parameter
	// per element; the pgx driver sends a Go slice as one array.
	if _, err := tx.Statement.ConnPool.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	return nil
}

// pgLookupRows is how many addresses one PostgreSQL lookup sends as a single
// array parameter (SQLite has no arrays and keeps IN lists of importBatch).
const pgLookupRows = 20_000

// knownSupporters loads the supporters already holding any of the addresses.
func knownSupporters(ctx context.Context, tx *gorm.DB, emails []string) ([]Supporter, error) {
	var out []Supporter
	if tx.Dialector.Name() != "postgres" {
		for _, part := range chunks(emails, importBatch) {
			var ss []Supporter
			if err := tx.Where("email IN ?", part).Find(&ss).Error; err != nil {
				return nil, err
			}
			out = append(out, ss...)
		}
		return out, nil
	}
	for _, part := range chunks(emails, pgLookupRows) {
		rows, err := tx.Statement.ConnPool.QueryContext(ctx, "SELECT * FROM supporters WHERE email = ANY($1::text[])", part)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var s Supporter
			if err := tx.ScanRows(rows, &s); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, s)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// erasedHashes returns those of the address hashes whose person was erased on
// request (a suppression with the hash and no address).
func erasedHashes(ctx context.Context, tx *gorm.DB, hashes []string) ([]string, error) {
	var out []string
	if tx.Dialector.Name() != "postgres" {
		for _, part := range chunks(hashes, importBatch) {
			var hs []string
			if err := tx.Model(&Suppression{}).Where("email_hash IN ? AND email IS NULL", part).Pluck("email_hash", &hs).Error; err != nil {
				return nil, err
			}
			out = append(out, hs...)
		}
		return out, nil
	}
	for _, part := range chunks(hashes, pgLookupRows) {
		rows, err := tx.Statement.ConnPool.QueryContext(ctx, "SELECT email_hash FROM suppressions WHERE email_hash = ANY($1::text[]) AND email IS NULL", part)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, h)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// writeSupporterImport stores an import's supporters (inserted or updated by
// address), their consent records and their list memberships.
func writeSupporterImport(ctx context.Context, tx *gorm.DB, rows []Supporter, consents []ConsentRecord, members []SupporterListMember) error {
	if tx.Dialector.Name() != "postgres" {
		upsert := clause.OnConflict{Columns: []clause.Column{{Name: "email"}},
			DoUpdates: clause.AssignmentColumns([]string{"name", "country", "language", "tags", "status", "updated_at"})}
		if err := tx.Clauses(upsert).CreateInBatches(rows, batchRows(tx, 16)).Error; err != nil {
			return err
		}
		if err := tx.CreateInBatches(consents, batchRows(tx, 9)).Error; err != nil {
			return err
		}
		return tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(members, batchRows(tx, 3)).Error
	}
	n := len(rows)
	var (
		ids, hashes, names, countries, languages, tags = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		sources, statuses, topics, frequencies         = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		emails                                         = make([]*string, n)
		engaged, erasedAt                              = make([]*time.Time, n), make([]*time.Time, n)
		created, updated                               = make([]time.Time, n), make([]time.Time, n)
	)
	for i, s := range rows {
		ids[i], emails[i], hashes[i], names[i], countries[i], languages[i], tags[i] = s.ID, s.Email, s.EmailHash, s.Name, s.Country, s.Language, s.Tags
		sources[i], statuses[i], topics[i], frequencies[i] = s.Source, string(s.Status), s.Topics, s.Frequency
		engaged[i], erasedAt[i], created[i], updated[i] = s.LastEngagedAt, s.ErasedAt, s.CreatedAt, s.UpdatedAt
	}
	if err := insertColumnsPG(ctx, tx, "supporters", []pgColumn{
		{"id", "text[]", ids}, {"email", "text[]", emails}, {"email_hash", "text[]", hashes}, {"name", "text[]", names},
		{"country", "text[]", countries}, {"language", "text[]", languages}, {"tags", "text[]", tags}, {"source", "text[]", sources},
		{"status", "text[]", statuses}, {"topics", "text[]", topics}, {"frequency", "text[]", frequencies},
		{"last_engaged_at", "timestamptz[]", engaged}, {"erased_at", "timestamptz[]", erasedAt},
		{"created_at", "timestamptz[]", created}, {"updated_at", "timestamptz[]", updated},
	}, `ON CONFLICT (email) DO UPDATE SET name = excluded.name, country = excluded.country, language = excluded.language,
		tags = excluded.tags, status = excluded.status, updated_at = excluded.updated_at`); err != nil {
		return err
	}
	if len(consents) > 0 {
		m := len(consents)
		cids, sids, actions, cstatus, csources, ips, wordings := make([]string, m), make([]string, m), make([]string, m), make([]string, m), make([]string, m), make([]string, m), make([]string, m)
		ats, actors := make([]time.Time, m), make([]*string, m)
		for i, c := range consents {
			cids[i], sids[i], ats[i], actions[i], cstatus[i], csources[i], ips[i], wordings[i], actors[i] = c.ID, c.SupporterID, c.At, c.Action, string(c.Status), c.Source, c.IP, c.WordingVersion, c.ActorID
		}
		if err := insertColumnsPG(ctx, tx, "consent_records", []pgColumn{
			{"id", "text[]", cids}, {"supporter_id", "text[]", sids}, {"at", "timestamptz[]", ats}, {"action", "text[]", actions},
			{"status", "text[]", cstatus}, {"source", "text[]", csources}, {"ip", "text[]", ips}, {"wording_version", "text[]", wordings},
			{"actor_id", "text[]", actors},
		}, ""); err != nil {
			return err
		}
	}
	lists, sups, added := make([]string, len(members)), make([]string, len(members)), make([]time.Time, len(members))
	for i, mb := range members {
		lists[i], sups[i], added[i] = mb.ListID, mb.SupporterID, mb.AddedAt
	}
	return insertColumnsPG(ctx, tx, "supporter_list_members", []pgColumn{
		{"list_id", "text[]", lists}, {"supporter_id", "text[]", sups}, {"added_at", "timestamptz[]", added},
	}, "ON CONFLICT DO NOTHING")
}
