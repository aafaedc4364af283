import type { LiveBroker } from "../../src/exchange/broker";
import { SimulatedCrash } from "./simulated-crash";

/**
 * The live broker of one simulated process, as its database is fenced: a dead process calls
 * nothing more, and an answer that arrives after it died is never seen (the request itself, if it
 * had left, still reached the venue: see venue-gate.ts).
 */
export function fencedBroker(broker: LiveBroker, dead: () => boolean): LiveBroker {
  return new Proxy(broker, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return async (...args: unknown[]): Promise<unknown> => {
        if (dead()) throw new SimulatedCrash("the process is dead (venue)");
        let result: unknown;
        try {
          result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (error) {
          if (dead()) throw new SimulatedCrash("the process is dead (venue)");
          throw error;
        }
        if (dead()) throw new SimulatedCrash("the process is dead (venue)");
        return result;
      };
    },
  });
}
