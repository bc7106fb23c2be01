// Tells the server which private messages to us this tab received (`received {ids}`), so they are not sent
// again at the next login of any tab (docs/protocol.md, "Receipts"). Batched: one event per burst.
import { request } from './request.js';

const MAX_IDS = 500;

export class Receipts {
  constructor(socket) {
    this.socket = socket;
    this.ids = [];
    this.scheduled = false;
  }

  add(id) {
    this.ids.push(id);
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => this.#flush(), 0);
  }

  #flush() {
    this.scheduled = false;
    // Unconfirmed ids are simply sent again by the server at the next login; nothing to retry here.
    while (this.ids.length > 0 && this.socket.connected) void request(this.socket, 'received', { ids: this.ids.splice(0, MAX_IDS) });
    this.ids = [];
  }
}
