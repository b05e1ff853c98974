-- +goose Up
-- R18: audit.Chain.AppendAlone writes a change, its audit row and the chain head in one
-- statement, and checks in that statement that the row went in (the head was where the
-- writer thought, the dedup key was new). When it did not, this raises (SQLSTATE EA001) so
-- that nothing in the statement happens: no change is ever written without its audit row.
-- +goose StatementBegin
CREATE FUNCTION audit_appended(appended boolean) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF NOT appended THEN
        RAISE EXCEPTION 'audit_appended: the chain head moved (SQLSTATE EA001)'
            USING ERRCODE = 'EA001',
                  DETAIL = 'Expected now and then, not a fault: another writer appended first, or the entry was appended before; the writer appends in a transaction instead (docs/DEPLOY.md).';
    END IF;
    RETURN true;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION audit_appended(boolean);
