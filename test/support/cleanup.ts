import { afterEach } from "vitest";

/**
 * Stops registered during a test, run after it, last registered first (a transport before the
 * stand-in it talks to): `const atEnd = useCleanup(); atEnd(() => server.stop(), () => client.stop());`.
 */
export function useCleanup(): (...stops: (() => Promise<unknown>)[]) => void {
  let stops: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    const now = stops.reverse();
    stops = [];
    for (const stop of now) await stop();
  });
  return (...more) => { stops.push(...more); };
}
