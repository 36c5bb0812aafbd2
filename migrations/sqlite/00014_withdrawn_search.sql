-- +goose Up
-- A withdrawn release (and a translation of a withdrawn original) is found in
-- public by its headline or index number only: its public search row keeps no
-- standfirst or body, so neither its words nor a snippet of them can surface.
-- Withdrawals from now on index it so; this clears the rows of earlier ones.
UPDATE search_entries SET standfirst = '', body = ''
WHERE which = 'public' AND document_id IN (
    SELECT d.id FROM documents d
    LEFT JOIN documents o ON o.id = d.original_id
    WHERE d.status = 'withdrawn' OR o.status = 'withdrawn'
);

-- +goose Down
-- Nothing to restore: ReindexSearch rebuilds every row under the same rule.
SELECT 1;
