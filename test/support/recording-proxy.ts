import { createServer, request, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One call that went through the proxy: the method path, and both JSON bodies (null when not JSON). */
export interface ProxiedCall {
  readonly path: string;
  readonly requestBody: unknown;
  readonly responseBody: unknown;
}

const readAll = async (stream: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

const json = (bytes: Buffer): unknown => {
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch {
    return null;
  }
};

/**
 * A plain HTTP proxy in front of a stand-in that records what the real client library sent and
 * got, byte for byte, without changing either (e.g. whether telegraf sent a reply as a reply to the
 * user's own message). Long polls pass through untouched.
 */
export class RecordingProxy {
  readonly calls: ProxiedCall[] = [];
  readonly #server: Server;

  constructor(private readonly target: () => string) {
    this.#server = createServer((req, res) => {
      void (async () => {
        const body = await readAll(req);
        const upstream = new URL(req.url ?? "/", this.target());
        const forwarded = request(upstream, { method: req.method, headers: { ...req.headers, host: upstream.host } }, (answer) => {
          void readAll(answer).then((bytes) => {
            this.calls.push({ path: req.url ?? "", requestBody: json(body), responseBody: json(bytes) });
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(bytes);
          });
        });
        forwarded.on("error", () => res.destroy());
        forwarded.end(body);
      })();
    });
  }

  get root(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
