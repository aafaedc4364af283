import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * One simulated process's network path to the venue: a pass-through HTTP proxy on 127.0.0.1 in
 * front of the exchange stand-in. While the process lives, every request goes through unchanged.
 * From the instant it dies, a request that had not left yet is cut at the door (a SIGKILLed
 * process sends nothing more), while a request already on its way reaches the venue, as a real
 * one would; its answer is dropped by the fenced broker (see fenced-broker.ts).
 */
export class VenueGate {
  private readonly server: Server;
  private port = 0;
  /** Requests cut because the process was dead. */
  refused = 0;

  constructor(private readonly target: string, private readonly alive: () => boolean) {
    const upstream = new URL(target);
    this.server = createServer((req, res) => {
      if (!this.alive()) {
        this.refused += 1;
        req.socket.destroy();
        return;
      }
      const forward = request({
        host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host },
      }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      forward.on("error", () => res.destroy());
      // The client gave up (its timeout): stop waiting upstream too.
      res.on("close", () => {
        if (!res.writableFinished) forward.destroy();
      });
      req.pipe(forward);
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((done, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => done());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** "http://127.0.0.1:PORT": the process's hostOverride. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  toString(): string {
    return `VenueGate(${this.url} → ${this.target})`;
  }
}
