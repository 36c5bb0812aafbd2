-- +goose Up
-- Public search reads its candidates from search_entries alone: each public
-- row carries what the newsroom's visibility rule and a hit need of its own
-- document, so a query joins no other table before its candidate limits and
-- costs a fraction of the planning (documents has many indexes to weigh).
--
-- public_from is when the row's document becomes visible by its own state
-- (published or withdrawn, from published_at), NULL while it is not. A
-- translation is visible only once its original is as well: the query checks
-- the original's own public row (original_id), so no row depends on another
-- document's state and nothing has to be propagated between documents.
--
-- The columns are never written by the application. A row trigger fills them
-- from the document on every insert and update of a public row, with the
-- document's row locked in share mode (a concurrent change to it either
-- commits first and is read, or waits for this transaction and then updates
-- the row again), and a trigger on documents updates the document's public
-- row whenever one of the columns it copies changes. Whatever writes a
-- document, in the same transaction its public row agrees with it.
ALTER TABLE search_entries
    ADD COLUMN public_from  timestamptz,
    ADD COLUMN doc_status   text,
    ADD COLUMN kind         text,
    ADD COLUMN slug         text,
    ADD COLUMN doc_index    text,
    ADD COLUMN published_at timestamptz,
    ADD COLUMN campaign_id  text,
    ADD COLUMN original_id  text;

-- +goose StatementBegin
CREATE FUNCTION search_entry_document() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.which <> 'public' THEN
        NEW.public_from := NULL; NEW.doc_status := NULL; NEW.kind := NULL; NEW.slug := NULL;
        NEW.doc_index := NULL; NEW.published_at := NULL; NEW.campaign_id := NULL; NEW.original_id := NULL;
        RETURN NEW;
    END IF;
    SELECT CASE WHEN d.status IN ('published', 'withdrawn') THEN d.published_at END,
           d.status, d.kind, d.slug, d.index_number, d.published_at, d.campaign_id, d.original_id
      INTO NEW.public_from, NEW.doc_status, NEW.kind, NEW.slug,
           NEW.doc_index, NEW.published_at, NEW.campaign_id, NEW.original_id
      FROM documents d WHERE d.id = NEW.document_id
       FOR SHARE;
    IF NOT FOUND THEN
        NEW.public_from := NULL; -- the foreign key refuses the row anyway
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER search_entries_document BEFORE INSERT OR UPDATE ON search_entries
    FOR EACH ROW EXECUTE FUNCTION search_entry_document();

-- +goose StatementBegin
CREATE FUNCTION documents_search_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The row trigger above recomputes every copied column.
    UPDATE search_entries SET public_from = NULL WHERE document_id = NEW.id AND which = 'public';
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER documents_search_entry AFTER UPDATE ON documents
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.published_at IS DISTINCT FROM NEW.published_at
       OR OLD.kind IS DISTINCT FROM NEW.kind OR OLD.slug IS DISTINCT FROM NEW.slug
       OR OLD.index_number IS DISTINCT FROM NEW.index_number OR OLD.campaign_id IS DISTINCT FROM NEW.campaign_id
       OR OLD.original_id IS DISTINCT FROM NEW.original_id)
    EXECUTE FUNCTION documents_search_entry();

UPDATE search_entries SET public_from = NULL WHERE which = 'public';

-- Whether a translation's original is visible at a moment, by the original's
-- own public row. A function, not an EXISTS in the query, for the planner's
-- sake: it charges a subquery's whole cost to every row a scan filters (most
-- rows have no original and never run it), which priced a scan that stops at
-- the candidate limit above building a bitmap of every match of a common
-- word; a PL/pgSQL function is not inlined and costs what COST says.
-- +goose StatementBegin
CREATE FUNCTION search_original_visible(original text, at timestamptz) RETURNS boolean
    LANGUAGE plpgsql STABLE STRICT COST 1 AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM search_entries WHERE document_id = original AND which = 'public' AND public_from <= at);
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION search_original_visible(text, timestamptz);
DROP TRIGGER documents_search_entry ON documents;
DROP FUNCTION documents_search_entry();
DROP TRIGGER search_entries_document ON search_entries;
DROP FUNCTION search_entry_document();
ALTER TABLE search_entries
    DROP COLUMN public_from, DROP COLUMN doc_status, DROP COLUMN kind, DROP COLUMN slug,
    DROP COLUMN doc_index, DROP COLUMN published_at, DROP COLUMN campaign_id, DROP COLUMN original_id;
