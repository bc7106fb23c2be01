// A bot on the client library (docs/client.md): it joins a room (creating it if there is none) and answers
// `!time` there with the time. Run it from the repository's root after `npm install`:
//   CHAT_URL=http://localhost:3000 BOT_ROOM=lobby node examples/time-bot.mjs
import { io } from 'socket.io-client';
import { createChatClient } from '../static/js/lib/chat-client/index.js';

const room = process.env.BOT_ROOM ?? 'lobby';
const chat = createChatClient({ io, url: process.env.CHAT_URL ?? 'http://localhost:3000' });

chat.on('message', (m) => {
  // Each message comes once, also those sent while the bot was cut off; a request older than a minute is stale.
  if (m.kind === 'room' && m.room === room && !m.mine && m.text.trim() === '!time' && Date.now() - m.ts < 60_000) {
    void chat.sendToRoom(room, `${m.fromName}: it is ${new Date().toISOString()}`);
  }
});

const signedIn = await chat.connect({ username: 'time-bot' });
if (!signedIn.ok) throw new Error(`cannot sign in: ${signedIn.error.message}`);
let joined = await chat.joinRoom(room);
if (!joined.ok && joined.error.code === 'unknown_room') joined = await chat.createRoom({ name: room });
if (!joined.ok) throw new Error(`cannot join ${room}: ${joined.error.message}`);
console.log(`answering !time in ${room}`);
process.once('SIGTERM', () => chat.close());
process.once('SIGINT', () => chat.close());
