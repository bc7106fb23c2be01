import path from 'node:path';
import { ack, next, record, startServer } from './helpers';
import { tempDir } from './tmpdir';

test('restarting on the same SQLite file keeps history, users, tokens and queued private messages', async () => {
  const { dir, cleanup } = tempDir();
  const storage = { kind: 'sqlite' as const, path: path.join(dir, 'nested', 'chat.db'), synchronous: 'full' as const };
  try {
    const first = await startServer({ storage });
    const { client: amy, res: amyLogin } = await first.login('amy');
    const { res: benLogin } = await first.login('ben');
    for (let i = 0; i < 3; i++) await ack(amy, 'sendMsg', { text: `before restart ${i}` });
    await ack(amy, 'privateMsg', { to: 'ben', text: 'seen live' });
    await first.close();

    const second = await startServer({ storage });
    try {
      const history = await ack(await second.connect(), 'history', {});
      expect(history.ok && history.messages.map((m) => m.text)).toEqual(['before restart 0', 'before restart 1', 'before restart 2']);
      expect(await ack(await second.connect(), 'login', { username: 'amy' })).toMatchObject({ error: { code: 'username_taken' } });
      const amyAgain = await second.connect();
      expect(await ack(amyAgain, 'login', { username: 'amy', token: amyLogin.token })).toMatchObject({ ok: true });
      await ack(amyAgain, 'privateMsg', { to: 'ben', text: 'queued while ben is offline' });

      const ben = await second.connect();
      const queued = next(ben, 'privateMsg', (m) => m.text === 'queued while ben is offline');
      const pushed = record(ben, 'privateMsg');
      await ack(ben, 'login', { username: 'ben', token: benLogin.token });
      expect(await queued).toMatchObject({ from: 'amy', text: 'queued while ben is offline' });
      // "seen live" reached ben's first socket, but no heartbeat confirmed it before the restart: at least once.
      expect(pushed.map((m) => m.text)).toEqual(['seen live', 'queued while ben is offline']);
      const convo = await ack(ben, 'history', { with: 'amy' });
      expect(convo.ok && convo.messages.map((m) => m.text)).toEqual(['seen live', 'queued while ben is offline']);
      const sent = await ack(amyAgain, 'sendMsg', { text: 'after restart' });
      const lastBefore = history.ok ? history.messages[2].id : Infinity;
      expect(sent.ok && sent.message.id).toBeGreaterThan(lastBefore);
    } finally {
      await second.close();
    }
  } finally {
    cleanup();
  }
});
