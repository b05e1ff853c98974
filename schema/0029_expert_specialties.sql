-- +goose Up
-- Issue 19 item 6 (R4, 随机抽取): each expert's specialties, the pool a random draw of a panel
-- picks from. The codes are domain.ExpertSpecialties; an expert may have several.
CREATE TABLE expert_specialties (
    user_id   text NOT NULL REFERENCES users(id),
    specialty text NOT NULL CHECK (specialty IN ('software','security','data','infrastructure')),
    PRIMARY KEY (user_id, specialty)
);
CREATE INDEX expert_specialties_specialty_idx ON expert_specialties (specialty, user_id);

-- +goose Down
DROP TABLE expert_specialties;
