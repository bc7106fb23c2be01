/**
 * Confirms the private messages to this user that reached the application (`received { ids }`), so the server
 * does not send them again at the next login of any of the user's connections (docs/protocol.md, "Receipts").
 * Batched: one event per turn of the event loop, at most MAX_IDS ids each. An id whose confirmation is lost
 * (the connection dropped) is simply sent again by the server at the next login, and confirmed then.
 */
const MAX_IDS = 500;

export class Receipts {
  private ids = new Set<number>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** `confirm(ids)`: sends one `received` event (nothing when there is no connection). */
  constructor(private readonly confirm: (ids: number[]) => void) {}

  add(id: number): void {
    this.ids.add(id);
    if (this.timer === undefined) this.timer = setTimeout(() => this.flush());
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.ids.clear();
  }

  private flush(): void {
    this.timer = undefined;
    const ids = [...this.ids];
    this.ids.clear();
    for (let i = 0; i < ids.length; i += MAX_IDS) this.confirm(ids.slice(i, i + MAX_IDS));
  }
}
