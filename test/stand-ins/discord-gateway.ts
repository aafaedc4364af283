/**
 * The gateway side of the Discord stand-in: HELLO, heartbeats, IDENTIFY (refusing privileged
 * intents the way Discord closes with 4014) and sequence-numbered dispatches. It knows nothing
 * about guilds or messages; the stand-in says what a freshly identified connection receives.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { Json } from "./discord-rules";

const PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15); // GuildMembers, GuildPresences, MessageContent

export interface GatewayOptions {
  readonly token: string;
  readonly heartbeatIntervalMs: number;
  /** Receives each IDENTIFY payload with the token removed, so tests can check intents. */
  readonly identifies: Json[];
  /** Sends READY and what follows it to a connection that has just identified. */
  readonly welcome: (send: (t: string, d: Json) => void) => void;
}

export class DiscordGateway {
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #sockets = new Set<WebSocket>();
  readonly #identified = new WeakSet<WebSocket>();
  readonly #options: GatewayOptions;
  #sequence = 0;

  constructor(options: GatewayOptions) {
    this.#options = options;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onConnection(ws, req));
  }

  /** Sends an event to every identified connection; a test that dispatches before login is wrong. */
  dispatch(t: string, d: Json): void {
    const identified = [...this.#sockets].filter((ws) => this.#identified.has(ws));
    if (identified.length === 0) throw new Error(`cannot dispatch ${t}: no identified gateway connection`);
    for (const ws of identified) this.#send(ws, t, d);
  }

  async close(): Promise<void> {
    for (const ws of this.#sockets) ws.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  #onConnection(ws: WebSocket, req: IncomingMessage): void {
    const query = new URL(req.url ?? "/", "http://x").searchParams;
    if (query.get("v") !== "10") return ws.close(4012, "Invalid API version");
    if (query.get("encoding") !== "json") return ws.close(4002, "Error while decoding payload.");
    this.#sockets.add(ws);
    ws.on("close", () => this.#sockets.delete(ws));
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: this.#options.heartbeatIntervalMs }, s: null, t: null }));
    ws.on("message", (raw: Buffer) => {
      let frame: { op?: number; d?: Json };
      try { frame = JSON.parse(raw.toString("utf8")) as typeof frame; } catch { ws.close(4002, "Error while decoding payload."); return; }
      if (frame.op === 1) ws.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
      else if (frame.op === 2) this.#identify(ws, frame.d ?? {});
      else if (frame.op === 6) ws.send(JSON.stringify({ op: 9, d: false, s: null, t: null })); // no resumable sessions
    });
  }

  #identify(ws: WebSocket, d: Json): void {
    if (d.token !== this.#options.token) return ws.close(4004, "Authentication failed.");
    const { token: _token, ...withoutToken } = d;
    this.#options.identifies.push(withoutToken);
    if ((Number(d.intents) & PRIVILEGED_INTENTS) !== 0) return ws.close(4014, "Disallowed intent(s).");
    this.#identified.add(ws);
    this.#options.welcome((t, payload) => this.#send(ws, t, payload));
  }

  #send(ws: WebSocket, t: string, d: Json): void {
    ws.send(JSON.stringify({ op: 0, s: ++this.#sequence, t, d }));
  }
}
