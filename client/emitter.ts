/**
 * A small typed event emitter: the library runs in browsers and in Node, so it uses neither's own. A listener
 * that throws does not stop the others, nor the library: its error is thrown again on its own turn, where the
 * host reports it (an uncaught error in the console, or Node's 'uncaughtException').
 */
/** Each event's listener signature. (`never[]` accepts a listener of any parameters.) */
export type EventMap<Events> = { [K in keyof Events]: (...args: never[]) => void };

export class Emitter<Events extends EventMap<Events>> {
  private readonly listeners = new Map<keyof Events, Set<Events[keyof Events]>>();

  /** Calls `listener` on every `event` until the returned function is called. */
  on<K extends keyof Events>(event: K, listener: Events[K]): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => this.off(event, listener);
  }

  off<K extends keyof Events>(event: K, listener: Events[K]): void {
    this.listeners.get(event)?.delete(listener);
  }

  protected emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        (listener as (...args: Parameters<Events[K]>) => void)(...args);
      } catch (err) {
        setTimeout(() => {
          throw err;
        });
      }
    }
  }
}
