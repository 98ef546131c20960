/** A counting semaphore: at most `limit` tasks run at once, the rest wait in arrival order. */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly limit: number) {}

  /** Takes a free slot without waiting, if there is one: the fast path of a busy loop. */
  tryAcquire(): boolean {
    if (this.active >= this.limit) return false;
    this.active++;
    return true;
  }

  /** Resolves when a slot is free, taking it. */
  async acquire(): Promise<void> {
    if (this.tryAcquire()) return;
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  /** Runs `task` when a slot is free; the promise settles with the task. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const promise = this.acquire()
      .then(task)
      .finally(() => {
        this.release();
        this.running.delete(promise);
      });
    this.running.add(promise);
    return promise;
  }

  /** Waits until every slot is free again: all work that acquired one has finished. */
  async drain(): Promise<void> {
    for (let i = 0; i < this.limit; i++) await this.acquire();
    for (let i = 0; i < this.limit; i++) this.release();
  }

  /** Waits until every task started or queued through `run` has settled. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
