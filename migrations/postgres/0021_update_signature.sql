-- An incident update's public signature (issue 15: "public pages never show
-- who wrote what unless the organiser chooses a signature"): plain text the
-- organiser typed for that update, shown under it on the status page, the
-- incident's page and the Atom feed. Null: unsigned (every earlier update).
-- Who actually wrote it is in the audit log either way.
-- Keep it in step with ../sqlite/0021_update_signature.sql.
alter table incident_update add column signature text;
