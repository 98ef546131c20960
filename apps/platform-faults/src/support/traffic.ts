/**
 * Requests at a steady rate, each sent on its tick whatever the earlier ones are doing, as a population of
 * clients sends them: a slow answer does not hold the next request back. `send` must not throw.
 */
export function steadyTraffic(perSecond: number, send: (n: number) => Promise<void>): { sent(): number; stop(): Promise<void> } {
  const inFlight = new Set<Promise<void>>();
  let n = 0;
  const timer = setInterval(() => {
    const request = send(n++).finally(() => inFlight.delete(request));
    inFlight.add(request);
  }, 1000 / perSecond);
  return {
    sent: () => n,
    // Resolves once every request sent has its answer.
    stop: async () => {
      clearInterval(timer);
      await Promise.all(inFlight);
    },
  };
}
