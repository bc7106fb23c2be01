/**
 * Child process: the reference the project is measured against. A bare Socket.IO server (the same
 * socket.io package the project uses) that stores and checks nothing: `login` joins the user's room and
 * acks; `sendMsg` broadcasts on `allmessage`; `privateMsg` emits to the recipient's room. It sends the same
 * message shape as the project (id, from, text, ts), so both put the same bytes on the wire and the
 * difference measured is the project's work, not payload size.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents } from '../src/protocol';
import { serveControl } from './child-control';

type Data = { name: string };

const httpServer = http.createServer();
const io = new Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, Data>(httpServer, {
  serveClient: false,
});
let lastId = 0;

io.on('connection', (socket) => {
  socket.data.name = '';
  socket.on('login', (payload, ack) => {
    socket.data.name = String(payload.username);
    socket.join(`user:${socket.data.name}`);
    ack?.({ ok: true, user: { name: socket.data.name, displayName: socket.data.name }, token: '', online: [], onlineCount: 0, blocked: [] });
  });
  socket.on('sendMsg', (payload, ack) => {
    const message = { id: ++lastId, from: socket.data.name, fromName: socket.data.name, text: String(payload.text), ts: Date.now() };
    io.emit('allmessage', message);
    ack?.({ ok: true, message });
  });
  socket.on('privateMsg', (payload, ack) => {
    const message = { id: ++lastId, from: socket.data.name, fromName: socket.data.name, to: payload.to, toName: payload.to, text: payload.text, ts: Date.now() };
    io.to(`user:${payload.to}`).emit('privateMsg', message);
    ack?.({ ok: true, message, delivered: true });
  });
});

httpServer.listen(0, '127.0.0.1', () => serveControl((httpServer.address() as AddressInfo).port));
