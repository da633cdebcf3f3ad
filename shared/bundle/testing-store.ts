// Tests' bundle store: a plain static file server, the shape http(s) bundle URIs expect (a bundle is
// a directory of files under a base URL). Test-only: no range requests or caching headers; a real
// store is S3, GCS or nginx.
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

export interface BundleStore {
  /** http://127.0.0.1:<port>, no trailing slash. */
  base: string;
  /** Paths requested so far, in order. */
  requests: string[];
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Close each connection after its response, as `python3 -m http.server` (HTTP/1.0) does. */
  closeConnections?: boolean;
}

export async function serveBundleStore(root: string, o: StoreOptions = {}): Promise<BundleStore> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? "");
    const file = path.join(root, decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
    stat(file).then(
      (s) => {
        if (!s.isFile()) throw new Error("not a file");
        res.writeHead(200, {
          "content-length": s.size,
          ...(o.closeConnections ? { connection: "close" } : {}),
        });
        // Whole, then the FIN at once: a client still writing the start of it to disk gets both.
        if (o.closeConnections) void readFile(file).then((bytes) => res.end(bytes));
        else createReadStream(file).pipe(res);
      },
      () => {
        res.writeHead(404).end("not found");
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
