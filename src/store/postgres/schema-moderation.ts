/**
 * The PostgreSQL migration of issue 19 (edits, deletions, blocks, bans, reports). Listed in order in schema.ts's
 * MIGRATIONS; never edit it once released.
 *
 * `chat_append` once more: a private message from a sender its recipient blocked (a row in `blocks` when the
 * function runs, under the log_head lock) is stored hidden from the recipient, and already delivered (nobody is
 * to receive it at a login); `hidden` comes back in the result and, last, in the notification's tuple.
 */
export const moderationMigration = (channel: string, payloadLimit: number): string => `
  ALTER TABLE messages
    ADD COLUMN target_id  bigint,
    ADD COLUMN edited_at  bigint,
    ADD COLUMN deleted_at bigint,
    ADD COLUMN hidden     boolean NOT NULL DEFAULT false;
  CREATE INDEX messages_target ON messages (target_id) WHERE target_id IS NOT NULL;

  CREATE TABLE blocks (
    blocker_id bigint NOT NULL REFERENCES users (id),
    blocked_id bigint NOT NULL REFERENCES users (id),
    created_at bigint NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
  );
  CREATE INDEX blocks_blocked ON blocks (blocked_id);

  CREATE TABLE bans (
    user_id    bigint PRIMARY KEY REFERENCES users (id),
    reason     text,
    created_at bigint NOT NULL
  );

  CREATE TABLE reports (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id     bigint NOT NULL,
    sender_name    text   NOT NULL,
    recipient_name text,
    room_name      text,
    body           text   NOT NULL,
    message_ts     bigint NOT NULL,
    edited_at      bigint,
    reporter_id    bigint NOT NULL REFERENCES users (id),
    reporter_name  text   NOT NULL,
    reason         text,
    created_at     bigint NOT NULL
  );

  DROP FUNCTION chat_append(text, jsonb);
  CREATE FUNCTION chat_append(p_store text, p_batch jsonb)
  RETURNS TABLE (n bigint, id bigint, duplicate boolean, err_code text, err_message text,
                 sender_name text, sender_display text, recipient_name text, recipient_display text, room_name text,
                 body text, created_at bigint, hidden boolean,
                 edited_at bigint, deleted_at bigint)
  LANGUAGE plpgsql AS $fn$
  #variable_conflict use_column
  DECLARE
    m record;
    head bigint;
    last bigint;
    told json[] := '{}';
    payload text;
    blocked boolean;
  BEGIN
    -- Held until commit: the next writer, on any node, waits here and then reads our last_id.
    SELECT h.last_id INTO head FROM log_head h WHERE h.one FOR UPDATE;
    last := head;
    FOR m IN
      SELECT x.* FROM ROWS FROM (jsonb_to_recordset(p_batch)
        AS (sid bigint, sname text, sdisp text, rid bigint, rname text, rdisp text, room bigint, roomname text, body text,
            ts bigint, cid text, origin text))
        WITH ORDINALITY AS x(sid, sname, sdisp, rid, rname, rdisp, room, roomname, body, ts, cid, origin, n)
      ORDER BY x.n
    LOOP
      n := m.n; id := NULL; duplicate := false; err_code := NULL; err_message := NULL;
      sender_name := NULL; sender_display := NULL; recipient_name := NULL; recipient_display := NULL; room_name := NULL; body := NULL; created_at := NULL; hidden := NULL;
      edited_at := NULL; deleted_at := NULL;
      BEGIN
        IF m.room IS NOT NULL AND NOT EXISTS (
          SELECT 1 FROM room_members rm WHERE rm.room_id = m.room AND rm.user_id = m.sid AND rm.member
        ) THEN
          err_code := 'not_member'; err_message := 'the sender is not a member of the room';
        ELSE
          blocked := m.rid IS NOT NULL AND EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = m.rid AND b.blocked_id = m.sid);
          INSERT INTO messages AS t (id, sender_id, sender_name, recipient_id, recipient_name, room_id, room_name,
                                     body, created_at, delivered, client_id, hidden)
          VALUES (last + 1, m.sid, m.sname, m.rid, m.rname, m.room, m.roomname, m.body, m.ts, m.rid IS NULL OR blocked, m.cid, blocked)
          ON CONFLICT (sender_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
          RETURNING t.id INTO id;
        END IF;
        IF id IS NOT NULL THEN
          last := id;
          hidden := blocked;
          told := array_append(told, json_build_array(id, m.sid, m.rid, m.sname, m.rname, m.body, m.ts, m.origin, m.room, m.roomname, blocked,
                                                      m.sdisp, m.rdisp));
        ELSIF m.cid IS NOT NULL THEN
          -- A duplicate clientId (also a refused room message that was stored before): the original, as it is now.
          SELECT o.id, s.name, s.display_name, r.name, r.display_name, o.room_name, o.body, o.created_at, o.hidden,
                 o.edited_at, o.deleted_at
            INTO id, sender_name, sender_display, recipient_name, recipient_display, room_name, body, created_at, hidden,
                 edited_at, deleted_at
            FROM messages o JOIN users s ON s.id = o.sender_id LEFT JOIN users r ON r.id = o.recipient_id
            WHERE o.sender_id = m.sid AND o.client_id = m.cid;
          IF id IS NOT NULL THEN duplicate := true; err_code := NULL; err_message := NULL; END IF;
        END IF;
      EXCEPTION WHEN OTHERS THEN
        id := NULL; duplicate := false; err_code := SQLSTATE; err_message := SQLERRM;
      END;
      RETURN NEXT;
    END LOOP;
    IF last > head THEN
      UPDATE log_head SET last_id = last WHERE one;
      payload := json_build_object('s', p_store, 'f', head + 1, 'l', last, 'm', array_to_json(told))::text;
      IF octet_length(payload) >= ${payloadLimit} THEN
        payload := json_build_object('s', p_store, 'f', head + 1, 'l', last)::text;
      END IF;
      -- Delivered to every listener after the commit, in commit order.
      PERFORM pg_notify('${channel}', payload);
    END IF;
  END
  $fn$;`;
