/**
 * A TCP proxy between a client and a server on this host, for network faults a test must control: replies
 * that never arrive, connections cut, and a partition (new connections refused until healed).
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';

export class TcpProxy {
  /** `dropped`: server bytes were swallowed (so the server did answer). */
  readonly events = new EventEmitter<{ dropped: [bytes: number] }>();
  private readonly sockets = new Set<net.Socket>();
  private dropping = false;
  /** Client sides of the connections that carry nothing any more, either way (see `silence`). */
  private readonly silenced = new Set<net.Socket>();
  private held: Array<() => void> | undefined;
  private blocked = false;
  private swallowing = false;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port);
    server.on('connection', (client) => proxy.accept(client, targetPort));
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** From now on, what the server sends is swallowed (until `cut`). */
  dropReplies(): void {
    this.dropping = true;
  }

  /** From now on, what the server sends waits (until `release`): a slow network. */
  holdReplies(): void {
    this.held ??= [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const send of held) send();
  }

  /**
   * The connections open now stop carrying anything, either way, without being closed: the network under them
   * vanished (a Wi-Fi switch, a NAT forgetting them), and neither end hears about it. Later connections are
   * forwarded normally.
   */
  silence(): void {
    for (const socket of this.sockets) this.silenced.add(socket);
  }

  /** Refuses new connections (they are closed at once) until `heal`. */
  block(): void {
    this.blocked = true;
  }

  /**
   * The server stops answering, as a frozen host or a network dropping every packet looks: the connections open
   * now carry nothing (`silence`), and new ones are accepted and carry nothing either, until `heal`.
   */
  blackhole(): void {
    this.silence();
    this.swallowing = true;
  }

  heal(): void {
    this.blocked = false;
    this.swallowing = false;
  }

  /** Closes every connection through the proxy; later connections are forwarded normally again. */
  async cut(): Promise<void> {
    this.dropping = false;
    this.held = undefined;
    const closed = [...this.sockets].map((s) => new Promise((resolve) => (s.destroyed ? resolve(null) : s.once('close', resolve))));
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(closed);
  }

  async close(): Promise<void> {
    await this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: net.Socket, targetPort: number): void {
    if (this.blocked) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    if (this.swallowing) this.silenced.add(client);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined); // a reset is one of the faults this proxy is for
      socket.on('close', () => {
        this.sockets.delete(socket);
        this.silenced.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk) => {
      if (!this.silenced.has(client)) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (this.silenced.has(client)) return;
      if (this.dropping) this.events.emit('dropped', chunk.length);
      else if (this.held) this.held.push(() => client.write(chunk));
      else client.write(chunk);
    });
  }
}
