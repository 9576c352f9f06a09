-- +goose Up
-- Names sort regardless of case ("esilva" before "Yuki Jones" under any collation): the identities list orders by
-- lower(display_name) and lower(primary_email), which these indexes serve as the earlier ones did. Account
-- statuses are stored lower-case (Okta says ACTIVE, GitHub active); identities take theirs from their accounts.
DROP INDEX identities_list_name;
DROP INDEX identities_list_email;
CREATE INDEX identities_list_name ON identities (lower(display_name), id);
CREATE INDEX identities_list_email ON identities (lower(primary_email), id);
UPDATE accounts SET status = lower(status) WHERE status <> lower(status);
UPDATE identities SET status = lower(status) WHERE status <> lower(status);

-- +goose Down
DROP INDEX identities_list_name;
DROP INDEX identities_list_email;
CREATE INDEX identities_list_name ON identities (display_name, id);
CREATE INDEX identities_list_email ON identities (primary_email, id);
