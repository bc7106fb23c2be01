/**
 * The PostgreSQL schema as an append-only list of migrations; table `schema_migrations` records which have run
 * (migrate.ts). Never edit a released migration: add a new one (CREATE OR REPLACE FUNCTION included).
 *
 * It mirrors the SQLite schema (sqlite/schema.ts), with two additions that several writers need:
 * - `log_head`, a one-row counter of the last message id. Writers take its row lock before assigning ids and
 *   hold it until they commit, so ids are assigned in commit order and without gaps (see index.ts).
 * - `chat_append`, the function that appends one group commit: one round trip per batch, so the row lock is
 *   held for the statement and its commit, never across a network round trip.
 * Timestamps are epoch milliseconds in bigint columns; name_key sorts bytewise ("C"), as SQLite does.
 */

import type pg from 'pg';
import { sortKey } from '../../sort-key';
import { roomsMigration } from './schema-log';
import { moderationMigration } from './schema-moderation';

/** The channel `chat_append` notifies on commit. */
export const COMMIT_CHANNEL = 'chat_commits';

/** NOTIFY refuses payloads of 8000 bytes or more (PostgreSQL's default build). */
export const NOTIFY_PAYLOAD_LIMIT = 8000;

/** A migration: SQL, or a function for what SQL alone cannot compute. Each runs in its own transaction. */
export type Migration = string | ((client: pg.PoolClient) => Promise<void>);

export const MIGRATIONS: Migration[] = [
  `CREATE TABLE users (
     id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     name         text    NOT NULL,
     name_key     text    COLLATE "C" NOT NULL,
     token_hash   text    NOT NULL,
     created_at   bigint  NOT NULL,
     last_seen_at bigint  NOT NULL,
     retired_at   bigint,
     provisional  boolean NOT NULL DEFAULT false
   );
   CREATE UNIQUE INDEX users_active_key ON users (name_key) WHERE retired_at IS NULL;
   CREATE INDEX users_token ON users (token_hash) WHERE retired_at IS NULL;

   -- Ids come from log_head, not from a sequence: a sequence hands out ids in call order, not commit order.
   CREATE TABLE messages (
     id             bigint  PRIMARY KEY,
     sender_id      bigint  NOT NULL REFERENCES users (id),
     sender_name    text    NOT NULL,
     recipient_id   bigint  REFERENCES users (id),
     recipient_name text,
     body           text    NOT NULL,
     created_at     bigint  NOT NULL,
     delivered      boolean NOT NULL DEFAULT true,
     client_id      text
   );
   CREATE INDEX messages_public ON messages (id) WHERE recipient_id IS NULL;
   CREATE INDEX messages_pair ON messages (sender_id, recipient_id, id) WHERE recipient_id IS NOT NULL;
   CREATE INDEX messages_to ON messages (recipient_id, id) WHERE recipient_id IS NOT NULL;
   CREATE INDEX messages_undelivered ON messages (recipient_id, id) WHERE NOT delivered;
   CREATE UNIQUE INDEX messages_client ON messages (sender_id, client_id) WHERE client_id IS NOT NULL;
   CREATE INDEX messages_created ON messages (created_at);

   -- Never decreases, also when retention deletes the newest messages: ids are never reused.
   CREATE TABLE log_head (
     one     boolean PRIMARY KEY DEFAULT true CHECK (one),
     last_id bigint  NOT NULL
   );
   INSERT INTO log_head (one, last_id) VALUES (true, 0);

   CREATE TABLE meta (key text PRIMARY KEY, value bigint NOT NULL);

   -- Appends a batch (a JSON array of {sid, sname, rid, rname, body, ts, cid, origin}) in one transaction.
   -- One row per input, in input order (n from 1): the new id, or the original message for a duplicate
   -- clientId, or the error that rolled back this message alone. Each message runs in its own subtransaction
   -- (a savepoint), and last_id only advances past a message that was stored, so ids stay gapless.
   CREATE FUNCTION chat_append(p_store text, p_batch jsonb)
   RETURNS TABLE (n bigint, id bigint, duplicate boolean, err_code text, err_message text,
                  sender_name text, recipient_name text, body text, created_at bigint)
   LANGUAGE plpgsql AS $fn$
   #variable_conflict use_column
   DECLARE
     m record;
     head bigint;
     last bigint;
     told json[] := '{}';
     payload text;
   BEGIN
     -- Held until commit: the next writer, on any node, waits here and then reads our last_id.
     SELECT h.last_id INTO head FROM log_head h WHERE h.one FOR UPDATE;
     last := head;
     FOR m IN
       SELECT x.* FROM ROWS FROM (jsonb_to_recordset(p_batch)
         AS (sid bigint, sname text, rid bigint, rname text, body text, ts bigint, cid text, origin text))
         WITH ORDINALITY AS x(sid, sname, rid, rname, body, ts, cid, origin, n)
       ORDER BY x.n
     LOOP
       n := m.n; id := NULL; duplicate := false; err_code := NULL; err_message := NULL;
       sender_name := NULL; recipient_name := NULL; body := NULL; created_at := NULL;
       BEGIN
         INSERT INTO messages AS t
           (id, sender_id, sender_name, recipient_id, recipient_name, body, created_at, delivered, client_id)
         VALUES (last + 1, m.sid, m.sname, m.rid, m.rname, m.body, m.ts, m.rid IS NULL, m.cid)
         ON CONFLICT (sender_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
         RETURNING t.id INTO id;
         IF id IS NULL THEN
           duplicate := true;
           SELECT o.id, o.sender_name, o.recipient_name, o.body, o.created_at
             INTO id, sender_name, recipient_name, body, created_at
             FROM messages o WHERE o.sender_id = m.sid AND o.client_id = m.cid;
         ELSE
           last := id;
           told := array_append(told, json_build_array(id, m.sid, m.rid, m.sname, m.rname, m.body, m.ts, m.origin));
         END IF;
       EXCEPTION WHEN OTHERS THEN
         id := NULL; duplicate := false; err_code := SQLSTATE; err_message := SQLERRM;
       END;
       RETURN NEXT;
     END LOOP;
     IF last > head THEN
       UPDATE log_head SET last_id = last WHERE one;
       payload := json_build_object('s', p_store, 'f', head + 1, 'l', last, 'm', array_to_json(told))::text;
       IF octet_length(payload) >= ${NOTIFY_PAYLOAD_LIMIT} THEN
         payload := json_build_object('s', p_store, 'f', head + 1, 'l', last)::text;
       END IF;
       -- Delivered to every listener after the commit, in commit order.
       PERFORM pg_notify('${COMMIT_CHANNEL}', payload);
     END IF;
   END
   $fn$;`,

  // Issue 21: display names; JWT users are host accounts (iss, sub); tokens belong to sessions, one per device
  // (each user's token becomes its first session), and sign-in codes open new ones. chat_append also tells
  // the parties' display names in its notification, and answers a duplicate with its parties' current names.
  `ALTER TABLE users ADD COLUMN display_name text NOT NULL DEFAULT '';
   UPDATE users SET display_name = name;
   ALTER TABLE users ADD COLUMN account_issuer text, ADD COLUMN account_subject text,
                     ADD COLUMN names_at bigint NOT NULL DEFAULT 0;
   CREATE UNIQUE INDEX users_account ON users (account_issuer, account_subject) WHERE account_subject IS NOT NULL;

   CREATE TABLE sessions (
     id           text   PRIMARY KEY,
     user_id      bigint NOT NULL REFERENCES users (id),
     token_hash   text   NOT NULL,
     created_at   bigint NOT NULL,
     last_seen_at bigint NOT NULL,
     address      text   NOT NULL DEFAULT '',
     agent        text   NOT NULL DEFAULT ''
   );
   CREATE UNIQUE INDEX sessions_token ON sessions (token_hash);
   CREATE INDEX sessions_user ON sessions (user_id);
   INSERT INTO sessions (id, user_id, token_hash, created_at, last_seen_at)
     SELECT replace(gen_random_uuid()::text, '-', ''), id, token_hash, created_at, GREATEST(created_at, last_seen_at)
     FROM users WHERE token_hash <> '' AND retired_at IS NULL;
   DROP INDEX users_token;
   ALTER TABLE users DROP COLUMN token_hash;

   CREATE TABLE sign_in_codes (
     hash       text   PRIMARY KEY,
     user_id    bigint NOT NULL REFERENCES users (id),
     created_at bigint NOT NULL,
     expires_at bigint NOT NULL
   );
   CREATE INDEX sign_in_codes_user ON sign_in_codes (user_id, created_at);
   CREATE INDEX sign_in_codes_expiry ON sign_in_codes (expires_at);

   -- As in the first migration, with the display names (sdisp, rdisp) passed through to the notification.
   DROP FUNCTION chat_append(text, jsonb);
   CREATE FUNCTION chat_append(p_store text, p_batch jsonb)
   RETURNS TABLE (n bigint, id bigint, duplicate boolean, err_code text, err_message text,
                  sender_name text, sender_display text, recipient_name text, recipient_display text,
                  body text, created_at bigint)
   LANGUAGE plpgsql AS $fn$
   #variable_conflict use_column
   DECLARE
     m record;
     head bigint;
     last bigint;
     told json[] := '{}';
     payload text;
   BEGIN
     SELECT h.last_id INTO head FROM log_head h WHERE h.one FOR UPDATE;
     last := head;
     FOR m IN
       SELECT x.* FROM ROWS FROM (jsonb_to_recordset(p_batch)
         AS (sid bigint, sname text, sdisp text, rid bigint, rname text, rdisp text, body text, ts bigint,
             cid text, origin text))
         WITH ORDINALITY AS x(sid, sname, sdisp, rid, rname, rdisp, body, ts, cid, origin, n)
       ORDER BY x.n
     LOOP
       n := m.n; id := NULL; duplicate := false; err_code := NULL; err_message := NULL;
       sender_name := NULL; sender_display := NULL; recipient_name := NULL; recipient_display := NULL;
       body := NULL; created_at := NULL;
       BEGIN
         INSERT INTO messages AS t
           (id, sender_id, sender_name, recipient_id, recipient_name, body, created_at, delivered, client_id)
         VALUES (last + 1, m.sid, m.sname, m.rid, m.rname, m.body, m.ts, m.rid IS NULL, m.cid)
         ON CONFLICT (sender_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
         RETURNING t.id INTO id;
         IF id IS NULL THEN
           duplicate := true;
           SELECT o.id, s.name, s.display_name, r.name, r.display_name, o.body, o.created_at
             INTO id, sender_name, sender_display, recipient_name, recipient_display, body, created_at
             FROM messages o JOIN users s ON s.id = o.sender_id LEFT JOIN users r ON r.id = o.recipient_id
             WHERE o.sender_id = m.sid AND o.client_id = m.cid;
         ELSE
           last := id;
           told := array_append(told, json_build_array(id, m.sid, m.rid, m.sname, m.rname, m.body, m.ts, m.origin,
                                                       m.sdisp, m.rdisp));
         END IF;
       EXCEPTION WHEN OTHERS THEN
         id := NULL; duplicate := false; err_code := SQLSTATE; err_message := SQLERRM;
       END;
       RETURN NEXT;
     END LOOP;
     IF last > head THEN
       UPDATE log_head SET last_id = last WHERE one;
       payload := json_build_object('s', p_store, 'f', head + 1, 'l', last, 'm', array_to_json(told))::text;
       IF octet_length(payload) >= ${NOTIFY_PAYLOAD_LIMIT} THEN
         payload := json_build_object('s', p_store, 'f', head + 1, 'l', last)::text;
       END IF;
       PERFORM pg_notify('${COMMIT_CHANNEL}', payload);
     END IF;
   END
   $fn$;`,

  // Issue 17: rooms and read state; the messages table becomes the log of every entry (store/log.ts).
  roomsMigration(COMMIT_CHANNEL, NOTIFY_PAYLOAD_LIMIT),
  // Issue 19: edits and deletions in the log; blocks (hidden private messages), bans, reports.
  moderationMigration(COMMIT_CHANNEL, NOTIFY_PAYLOAD_LIMIT),

  // Issue 16: `users` pages through an index in display order, so each user keeps its sort key (names.ts,
  // legacyKey: NFKC and JavaScript's lower case, which PostgreSQL's lower() does not match in every locale).
  addSortKeys,
];

async function addSortKeys(client: pg.PoolClient): Promise<void> {
  await client.query(`ALTER TABLE users ADD COLUMN sort_key text COLLATE "C" NOT NULL DEFAULT ''`);
  const { rows } = await client.query<{ id: number; name: string }>('SELECT id, name FROM users');
  if (rows.length > 0) {
    await client.query(
      'UPDATE users SET sort_key = k.sort_key FROM unnest($1::bigint[], $2::text[]) AS k(id, sort_key) WHERE users.id = k.id',
      [rows.map((r) => r.id), rows.map((r) => sortKey(r.name))],
    );
  }
  await client.query('CREATE INDEX users_by_name ON users (sort_key, (name COLLATE "C")) WHERE retired_at IS NULL');
  // An anonymous `sync` reads the public timeline's entries (messages, their edits and deletions) alone.
  await client.query('CREATE INDEX messages_public_log ON messages (id) WHERE recipient_id IS NULL AND room_id IS NULL');
}
