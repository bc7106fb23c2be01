/**
 * The PostgreSQL migrations that made the messages table the log of every entry (store/log.ts): rooms and
 * read state (issue 17). Listed in order in schema.ts's MIGRATIONS; never edit one once released.
 */

/**
 * Rooms, memberships and read marks; the log's new columns; and `chat_append` again, now with room messages:
 * a row with a room is stored only if its sender is a member when the function runs, under the log_head lock
 * (every membership change takes it too, jobs in writer.ts), so membership at commit decides. A refused row
 * answers `err_code = 'not_member'` (never a SQLSTATE: those are five characters), unless it is the retry of a
 * message already stored, which answers the original as any duplicate does. Callers of the first version
 * keep working: a batch without room fields appends as before.
 */
export const roomsMigration = (channel: string, payloadLimit: number): string => `
  CREATE TABLE rooms (
    id           bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text    NOT NULL,
    name_key     text    COLLATE "C" NOT NULL UNIQUE,
    sort_key     text    COLLATE "C" NOT NULL,
    private      boolean NOT NULL,
    owner_id     bigint  NOT NULL REFERENCES users (id),
    owner_name   text    NOT NULL,
    member_count integer NOT NULL DEFAULT 0,
    created_at   bigint  NOT NULL
  );
  CREATE INDEX rooms_sorted ON rooms (sort_key);

  -- One row per room and user who ever was a member: member now, or the log id of their leaving.
  CREATE TABLE room_members (
    room_id   bigint  NOT NULL REFERENCES rooms (id),
    user_id   bigint  NOT NULL REFERENCES users (id),
    member    boolean NOT NULL,
    joined_id bigint  NOT NULL,
    left_id   bigint,
    sort_key  text    COLLATE "C" NOT NULL,
    PRIMARY KEY (room_id, user_id)
  );
  CREATE INDEX room_members_user ON room_members (user_id) WHERE member;
  CREATE INDEX room_members_sorted ON room_members (room_id, sort_key) WHERE member;

  ALTER TABLE messages
    ADD COLUMN kind      text NOT NULL DEFAULT 'message',
    ADD COLUMN room_id   bigint REFERENCES rooms (id),
    ADD COLUMN room_name text,
    ADD COLUMN action    text;
  DROP INDEX messages_public;
  CREATE INDEX messages_public ON messages (id) WHERE kind = 'message' AND recipient_id IS NULL AND room_id IS NULL;
  CREATE INDEX messages_room ON messages (room_id, id) WHERE room_id IS NOT NULL;

  CREATE TABLE read_marks (
    user_id bigint NOT NULL REFERENCES users (id),
    conv    text   NOT NULL,
    up_to   bigint NOT NULL,
    PRIMARY KEY (user_id, conv)
  );

  DROP FUNCTION chat_append(text, jsonb);
  CREATE FUNCTION chat_append(p_store text, p_batch jsonb)
  RETURNS TABLE (n bigint, id bigint, duplicate boolean, err_code text, err_message text,
                 sender_name text, sender_display text, recipient_name text, recipient_display text, room_name text,
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
      sender_name := NULL; sender_display := NULL; recipient_name := NULL; recipient_display := NULL; room_name := NULL; body := NULL; created_at := NULL;
      BEGIN
        IF m.room IS NOT NULL AND NOT EXISTS (
          SELECT 1 FROM room_members rm WHERE rm.room_id = m.room AND rm.user_id = m.sid AND rm.member
        ) THEN
          err_code := 'not_member'; err_message := 'the sender is not a member of the room';
        ELSE
          INSERT INTO messages AS t (id, sender_id, sender_name, recipient_id, recipient_name, room_id, room_name,
                                     body, created_at, delivered, client_id)
          VALUES (last + 1, m.sid, m.sname, m.rid, m.rname, m.room, m.roomname, m.body, m.ts, m.rid IS NULL, m.cid)
          ON CONFLICT (sender_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
          RETURNING t.id INTO id;
        END IF;
        IF id IS NOT NULL THEN
          last := id;
          told := array_append(told, json_build_array(id, m.sid, m.rid, m.sname, m.rname, m.body, m.ts, m.origin, m.room, m.roomname, false,
                                                      m.sdisp, m.rdisp));
        ELSIF m.cid IS NOT NULL THEN
          -- A duplicate clientId (also a refused room message that was stored before): the original.
          SELECT o.id, s.name, s.display_name, r.name, r.display_name, o.room_name, o.body, o.created_at
            INTO id, sender_name, sender_display, recipient_name, recipient_display, room_name, body, created_at
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
