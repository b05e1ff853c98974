-- +goose Up
-- R15: payments against contract milestones, recorded by the unit and confirmed (or rejected)
-- by Finance or DRB. Money in integer fen. Nothing is deleted (R18): a wrong payment is
-- rejected, which takes it out of the total.
CREATE TABLE payments (
    id           text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
    project_id   text NOT NULL REFERENCES projects(id),
    milestone    text NOT NULL CHECK (length(milestone) BETWEEN 1 AND 200),
    amount_fen   bigint NOT NULL CHECK (amount_fen > 0),
    paid_on      date NOT NULL CHECK (paid_on >= DATE '2000-01-01'),
    status       text NOT NULL DEFAULT 'recorded' CHECK (status IN ('recorded','confirmed','rejected')),
    recorded_by  text NOT NULL REFERENCES users(id),
    confirmed_by text REFERENCES users(id),
    confirmed_at timestamptz,
    comment      text NOT NULL DEFAULT '' CHECK (length(comment) <= 2000),
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- A decided payment names who decided and when; a recorded one names nobody.
    CHECK ((status = 'recorded') = (confirmed_by IS NULL)),
    CHECK ((confirmed_by IS NULL) = (confirmed_at IS NULL))
);
CREATE INDEX payments_project_idx ON payments (project_id, created_at, id);

-- +goose StatementBegin
-- R7/R15: the non-rejected payments of a project never add up to more than its approved
-- amount, whoever writes the row (the gateway, a script, psql). The project row is locked
-- first, so two transactions paying the same project are checked one after the other and the
-- second sees the first's row (READ COMMITTED takes a new snapshot for each statement below).
-- The refusal has SQLSTATE EG015 and a JSON DETAIL {approved_amount_fen, paid_fen} that the
-- gateway turns into 422 amount_over_approved.
CREATE FUNCTION payments_within_approved() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    approved bigint;
    paid     bigint;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.id <> OLD.id THEN
            RAISE EXCEPTION 'payments.id cannot change (R18)' USING ERRCODE = 'EG016';
        END IF;
        -- A decision is final: confirmed and rejected payments stay as they are (R18).
        IF OLD.status <> 'recorded' THEN
            RAISE EXCEPTION 'payment % is already %', OLD.id, OLD.status USING ERRCODE = 'EG016';
        END IF;
        -- Rejecting, or confirming without changing project or amount, cannot raise the total.
        IF NEW.status = 'rejected' OR (NEW.project_id = OLD.project_id AND NEW.amount_fen <= OLD.amount_fen) THEN
            RETURN NEW;
        END IF;
    END IF;
    IF NEW.status = 'rejected' THEN
        RETURN NEW;
    END IF;
    SELECT approved_amount_fen INTO approved FROM projects WHERE id = NEW.project_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NEW; -- the foreign key refuses it
    END IF;
    SELECT coalesce(sum(amount_fen), 0) INTO paid FROM payments
        WHERE project_id = NEW.project_id AND status <> 'rejected' AND id <> NEW.id;
    IF approved IS NULL OR paid + NEW.amount_fen > approved THEN
        RAISE EXCEPTION 'payments of project % would exceed the approved amount (R15)', NEW.project_id
            USING ERRCODE = 'EG015',
                  DETAIL = json_build_object('approved_amount_fen', approved, 'paid_fen', paid)::text;
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER payments_within_approved BEFORE INSERT OR UPDATE ON payments
    FOR EACH ROW EXECUTE FUNCTION payments_within_approved();

-- +goose StatementBegin
CREATE FUNCTION payments_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'payments are never deleted; reject the payment instead (R18)' USING ERRCODE = 'EG016';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER payments_no_delete BEFORE DELETE ON payments
    FOR EACH ROW EXECUTE FUNCTION payments_no_delete();

-- +goose Down
DROP TABLE payments;
DROP FUNCTION payments_no_delete();
DROP FUNCTION payments_within_approved();
