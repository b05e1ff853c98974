-- +goose Up
-- R3: projects.round follows the workflow's submission round (each resubmission after a return
-- for revision starts the next). Rows written before the lifecycle recorded it stayed at 1; the
-- audit log's project.submit / project.resubmit rows name every round, so the highest one is
-- the project's. Re-running this statement changes nothing.
UPDATE projects p SET round = r.round
FROM (SELECT object_id, max((detail->>'round')::int) AS round FROM audit_log
      WHERE object_type = 'project' AND action IN ('project.submit', 'project.resubmit')
        AND detail->>'round' ~ '^[0-9]{1,9}$'
      GROUP BY object_id) r
WHERE p.id = r.object_id AND r.round > p.round;

-- +goose StatementBegin
-- R7/R9/R15: the non-rejected payments of a project never add up to more than its contract
-- amount once a contract exists (R9 keeps the contract at or below the approved amount), nor
-- ever more than its approved amount, whoever writes the row. The project row is locked first,
-- as before: two transactions paying the same project are checked one after the other, and the
-- contract (written with the stage change that lets payments in, in one transaction) is read
-- after the lock. The refusal keeps SQLSTATE EG015; its JSON DETAIL adds contract_amount_fen
-- (null without a contract), which the gateway turns into 422 amount_over_contract.
CREATE OR REPLACE FUNCTION payments_within_approved() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    approved   bigint;
    contracted bigint;
    paid       bigint;
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
    SELECT amount_fen INTO contracted FROM contracts WHERE project_id = NEW.project_id;
    SELECT coalesce(sum(amount_fen), 0) INTO paid FROM payments
        WHERE project_id = NEW.project_id AND status <> 'rejected' AND id <> NEW.id;
    IF approved IS NULL OR paid + NEW.amount_fen > approved THEN
        RAISE EXCEPTION 'payments of project % would exceed the approved amount (R15)', NEW.project_id
            USING ERRCODE = 'EG015',
                  DETAIL = json_build_object('approved_amount_fen', approved, 'contract_amount_fen', contracted,
                                             'paid_fen', paid)::text;
    END IF;
    IF contracted IS NOT NULL AND paid + NEW.amount_fen > contracted THEN
        RAISE EXCEPTION 'payments of project % would exceed the contract amount (R7, R15)', NEW.project_id
            USING ERRCODE = 'EG015',
                  DETAIL = json_build_object('approved_amount_fen', approved, 'contract_amount_fen', contracted,
                                             'paid_fen', paid)::text;
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION payments_within_approved() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    approved bigint;
    paid     bigint;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.id <> OLD.id THEN
            RAISE EXCEPTION 'payments.id cannot change (R18)' USING ERRCODE = 'EG016';
        END IF;
        IF OLD.status <> 'recorded' THEN
            RAISE EXCEPTION 'payment % is already %', OLD.id, OLD.status USING ERRCODE = 'EG016';
        END IF;
        IF NEW.status = 'rejected' OR (NEW.project_id = OLD.project_id AND NEW.amount_fen <= OLD.amount_fen) THEN
            RETURN NEW;
        END IF;
    END IF;
    IF NEW.status = 'rejected' THEN
        RETURN NEW;
    END IF;
    SELECT approved_amount_fen INTO approved FROM projects WHERE id = NEW.project_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NEW;
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
